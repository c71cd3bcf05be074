package dev.lading.core.registry;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import dev.lading.core.layout.StorageLayout.LayerLinkKey;
import dev.lading.core.layout.StoredValues.LinkEpoch;
import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The layer links this instance wrote or found, so that the checks a push makes again and again (a
 * mount's source, a manifest's layers, a {@code HEAD} before an upload) cost no store call when it
 * already saw the link. On S3 that is most of a CI push's requests: a mount re-reads a link of the
 * base image, and the manifest re-reads the 30 links the push itself just wrote.
 *
 * <p>A link only ever disappears by a deletion: a GC sweep, or a blob {@code DELETE}. Each of them
 * writes a new <em>link epoch</em> ({@code gc/link-epoch}, {@link LinkEpoch}), and an entry counts
 * only while the epoch it was seen under is the one the instance reads now. Precisely, an entry is
 * taken only with no GC run known, under the epoch {@link GcFence#quiet} gave <em>before</em> the
 * link was read or written, and only if that read of the runs is still younger than the run cache's
 * TTL once it was; an entry is used only with no run known, under a read of the runs younger than
 * the TTL and a read of the epoch younger than {@link GcFence#linkEpochTtl} (at most the TTL),
 * never read before the runs. Then an entry used at time {@code u} stands for a link no deletion
 * removed since it was seen at {@code s}:
 *
 * <ul>
 *   <li><b>A sweep</b> announces its run, waits its fence delay (longer than the TTL), and writes a
 *       new epoch before it deletes any link (and again after its deletes). Say it deleted the link
 *       at {@code d}, {@code s < d < u}, after writing the epoch at {@code e < d}. If the epoch
 *       read for the entry came after {@code e}, the read of the runs before it could not have seen
 *       the run (it would take no entry), nor come after the run (then {@code s} would be after
 *       {@code d}), so it came before the run's announcement, more than the fence delay before
 *       {@code e}, which is before {@code s}: too old once the link was seen to take the entry. If
 *       the epoch read at use came before {@code e}, the read of the runs at use came before it:
 *       during the run it would have seen the run; before the announcement it is more than the
 *       fence delay older than {@code d}, which is before {@code u}: too old to use. So both reads
 *       of the epoch came on the same side of {@code e}, and as every write is a new random value
 *       they differ: the entry does not count.
 *   <li><b>A blob {@code DELETE}</b> (here or on another instance) deletes the link, then writes a
 *       new epoch, then waits {@link GcFence#linkEpochTtl} before it answers. An entry seen before
 *       the delete was taken under an older epoch; any use that starts after the answer reads the
 *       epoch after the write, so it does not count. A use while the {@code DELETE} is in flight
 *       may answer either way, as it may without a cache.
 * </ul>
 *
 * <p>It is kept only where every instance on the store writes the epoch when it deletes links
 * (layout version 6, {@link dev.lading.core.layout.StoreFormat#keepsLinkEpoch}), and only where a
 * store call is a round trip (S3): there each hit saves one. A filesystem store's link check is a
 * read of its local index, which costs less than the bookkeeping, and the cache stays off.
 */
final class LinkCache {
  /**
   * Links remembered, at most: about 300 bytes each, so about 10 MiB; a CI push of 30 layers needs
   * 60 (its base image's and its own).
   */
  static final int MAX_LINKS = 32_768;

  /** The extra a blob {@code DELETE} waits beyond the epoch's TTL, for clocks that drift. */
  private static final Duration DELETE_MARGIN = Duration.ofMillis(100);

  private final GcFence fence;
  private final boolean enabled;
  private final Cache<LayerLinkKey, LinkEpoch> seen =
      Caffeine.newBuilder().maximumSize(MAX_LINKS).recordStats().build();

  /**
   * A cache of links when {@code enabled}, following the link epoch of {@code fence}'s store; else
   * every check reads the store, and a deletion writes no epoch.
   */
  LinkCache(GcFence fence, boolean enabled) {
    this.fence = fence;
    this.enabled = enabled;
    if (enabled) {
      fence.followLinkEpoch();
    }
  }

  CacheStats stats() {
    return seen.stats();
  }

  /**
   * Whether {@code link} exists: true at once when this instance saw it under the current epoch,
   * else what {@code readStore} says (and a link found is remembered).
   */
  boolean exists(LayerLinkKey link, BooleanSupplier readStore) {
    if (!enabled) {
      return readStore.getAsBoolean();
    }
    Optional<GcFence.Quiet> quiet = fence.quiet();
    if (quiet.isPresent() && quiet.get().epoch().equals(seen.getIfPresent(link))) {
      return true;
    }
    boolean found = readStore.getAsBoolean();
    if (found) {
      remember(link, quiet);
    }
    return found;
  }

  /**
   * Writes a link by {@code write} (alone or in a batch, whose result is returned), and remembers
   * it: the epoch is taken before the write, as {@link #exists} takes it before the read.
   */
  <T> T write(LayerLinkKey link, Supplier<T> write) {
    Optional<GcFence.Quiet> quiet = enabled ? fence.quiet() : Optional.empty();
    T result = write.get();
    remember(link, quiet);
    return result;
  }

  /**
   * After the store deleted {@code link}: forgets it, writes a new epoch and waits until every
   * instance reads it (see the class documentation). The epoch is written after the delete, so no
   * instance can see the link again under the new epoch.
   */
  void deleted(LayerLinkKey link) {
    seen.invalidate(link);
    if (!enabled) {
      return;
    }
    fence.newLinkEpoch();
    try {
      fence.pause().pause(fence.linkEpochTtl().plus(DELETE_MARGIN));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw StorageCalls.unavailable(e);
    }
  }

  private void remember(LayerLinkKey link, Optional<GcFence.Quiet> before) {
    if (before.isPresent() && fence.stillQuiet(before.get())) {
      seen.put(link, before.get().epoch());
    }
  }
}
