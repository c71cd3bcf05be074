package dev.lading.gc;

import dev.lading.core.policy.ImmutableTags;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How a GC run behaves.
 *
 * @param grace objects (links, records, data, untagged manifests) younger than this at the run's
 *     start are never swept: a layer whose upload just finished but whose manifest is not pushed
 *     yet survives; it also bounds how long a pusher may stall between its fence check and its
 *     write (see the package documentation)
 * @param uploadExpiry upload sessions started longer ago are aborted and removed
 * @param deleteUntagged sweep manifests no tag, index or referrer keeps (older than the grace)
 * @param dryRun report what would go and delete nothing (no run is announced either)
 * @param fenceDelay wait after announcing the run before marking; must exceed the pushers' run
 *     cache TTL so every pusher either sees the run or finishes before the mark reads
 * @param intentTtl deadline of each deletion intent; a sweep that cannot finish before it gives up
 *     and leaves the rest to the next run
 * @param retention retention policies, evaluated at the start of every run (see {@link
 *     RetentionPlan}); empty: tags are never removed by GC
 * @param immutableTags the immutable tag rules in force: retention never removes a tag they cover
 *     (a server replaces them when its configuration reloads, see {@code
 *     OnlineCollector#immutableTags})
 */
public record GcOptions(
    Duration grace,
    Duration uploadExpiry,
    boolean deleteUntagged,
    boolean dryRun,
    Duration fenceDelay,
    Duration intentTtl,
    List<RetentionPolicy> retention,
    ImmutableTags immutableTags) {

  /** One hour: a layer whose manifest is still coming survives. */
  public static final Duration DEFAULT_GRACE = Duration.ofHours(1);

  /** Upload sessions expire after a day. */
  public static final Duration DEFAULT_UPLOAD_EXPIRY = Duration.ofHours(24);

  /** Untagged manifests are kept: clients pull by digest. */
  public static final boolean DEFAULT_DELETE_UNTAGGED = false;

  public static final boolean DEFAULT_DRY_RUN = false;

  /**
   * 15 s, well past the pushers' run cache ({@code GcFence.DEFAULT_TTL}, 5 s), which it must
   * exceed.
   */
  public static final Duration DEFAULT_FENCE_DELAY = Duration.ofSeconds(15);

  public static final Duration DEFAULT_INTENT_TTL = Duration.ofMinutes(10);

  public GcOptions {
    Objects.requireNonNull(grace, "grace");
    Objects.requireNonNull(uploadExpiry, "uploadExpiry");
    Objects.requireNonNull(fenceDelay, "fenceDelay");
    Objects.requireNonNull(intentTtl, "intentTtl");
    retention = List.copyOf(retention);
    Objects.requireNonNull(immutableTags, "immutableTags");
    if (grace.isNegative() || uploadExpiry.isNegative() || fenceDelay.isNegative()) {
      throw new IllegalArgumentException("durations must not be negative");
    }
    if (!intentTtl.isPositive()) {
      throw new IllegalArgumentException("intentTtl must be positive");
    }
  }

  /** One hour of grace, uploads expire after a day, untagged manifests kept, 15 s fence delay. */
  public static GcOptions defaults() {
    return new GcOptions(
        DEFAULT_GRACE,
        DEFAULT_UPLOAD_EXPIRY,
        DEFAULT_DELETE_UNTAGGED,
        DEFAULT_DRY_RUN,
        DEFAULT_FENCE_DELAY,
        DEFAULT_INTENT_TTL,
        List.of(),
        ImmutableTags.NONE);
  }

  public GcOptions withGrace(Duration value) {
    return new GcOptions(
        value,
        uploadExpiry,
        deleteUntagged,
        dryRun,
        fenceDelay,
        intentTtl,
        retention,
        immutableTags);
  }

  public GcOptions withUploadExpiry(Duration value) {
    return new GcOptions(
        grace, value, deleteUntagged, dryRun, fenceDelay, intentTtl, retention, immutableTags);
  }

  public GcOptions withDeleteUntagged(boolean value) {
    return new GcOptions(
        grace, uploadExpiry, value, dryRun, fenceDelay, intentTtl, retention, immutableTags);
  }

  public GcOptions withDryRun(boolean value) {
    return new GcOptions(
        grace,
        uploadExpiry,
        deleteUntagged,
        value,
        fenceDelay,
        intentTtl,
        retention,
        immutableTags);
  }

  public GcOptions withFenceDelay(Duration value) {
    return new GcOptions(
        grace, uploadExpiry, deleteUntagged, dryRun, value, intentTtl, retention, immutableTags);
  }

  /** With these retention policies (the server's {@code policies.retention}). */
  public GcOptions withRetention(List<RetentionPolicy> value) {
    return new GcOptions(
        grace, uploadExpiry, deleteUntagged, dryRun, fenceDelay, intentTtl, value, immutableTags);
  }

  /** Retention keeps every tag these rules cover. */
  public GcOptions withImmutableTags(ImmutableTags value) {
    return new GcOptions(
        grace, uploadExpiry, deleteUntagged, dryRun, fenceDelay, intentTtl, retention, value);
  }

  public GcOptions withIntentTtl(Duration value) {
    return new GcOptions(
        grace, uploadExpiry, deleteUntagged, dryRun, fenceDelay, value, retention, immutableTags);
  }
}
