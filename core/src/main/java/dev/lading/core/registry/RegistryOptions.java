package dev.lading.core.registry;

import dev.lading.core.layout.StoreFormat;
import dev.lading.core.model.DigestAlgorithm;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * Tunables of {@link StoreRegistry}.
 *
 * @param maxManifestBytes manifests larger than this are refused ({@code 413 MANIFEST_INVALID})
 * @param clock time source for session timestamps (tests inject a fixed one)
 * @param resumableHashing save the SHA-256 state with each upload chunk so any instance can go on
 *     hashing; when false (or when the JVM does not open {@code sun.security.provider}) a chunked
 *     upload is hashed by re-reading its bytes at commit, slower but equally correct
 * @param blobRecordCacheSize how many blob records (immutable, content-addressed) to cache
 * @param allowSparseIndex see {@link #DEFAULT_ALLOW_SPARSE_INDEX}
 * @param allowBlake3 see {@link #DEFAULT_ALLOW_BLAKE3}
 * @param storeLayout the layout version the store holds ({@link StoreFormat}, which the server
 *     reads at start): it decides what this registry may write there, see {@link
 *     #inlineSmallBlobs}, {@link #unstoredSessions}, {@link #closesByLink}, {@link
 *     #ownTypeManifestLinks} and {@link #keepsLinkEpoch}
 * @param uploadExpiry how long an upload session lives: GC removes stored sessions older than this,
 *     and a session not stored yet ({@link SignedUploadIds}) ends at the same age
 */
public record RegistryOptions(
    long maxManifestBytes,
    Clock clock,
    boolean resumableHashing,
    long blobRecordCacheSize,
    boolean allowSparseIndex,
    boolean allowBlake3,
    int storeLayout,
    Duration uploadExpiry) {

  /**
   * Whether an index may name child manifests the repository does not hold (a sparse index,
   * image-spec {@code image-index.md}). The distribution-spec lets a registry refuse a manifest
   * whose references are missing ("MAY reject ... MANIFEST_BLOB_UNKNOWN") and the spec's own
   * conformance suite tests sparse content only when asked ({@code OCI_DATA_SPARSE}, off by
   * default), so refusing stays the default. An image manifest's config and layers are checked
   * whatever the switch.
   */
  public static final boolean DEFAULT_ALLOW_SPARSE_INDEX = false;

  /**
   * Whether blobs and manifests may be pushed and read under {@code blake3:} digests. image-spec
   * registers BLAKE3 but makes it optional ("Implementations MAY implement BLAKE3 digest
   * verification"), distribution-spec lets a registry answer an algorithm it does not support with
   * {@code 400}, and the spec's conformance suite pushes blake3 content only when asked; so off is
   * the default, as the spec leaves it. Off, every request naming a blake3 digest (and every
   * manifest whose descriptors use one) is refused with {@code 400 DIGEST_INVALID}, as for any
   * algorithm the registry does not implement. What the store already holds under blake3 stays
   * known to GC either way.
   */
  public static final boolean DEFAULT_ALLOW_BLAKE3 = false;

  public RegistryOptions(
      long maxManifestBytes, Clock clock, boolean resumableHashing, long blobRecordCacheSize) {
    this(
        maxManifestBytes,
        clock,
        resumableHashing,
        blobRecordCacheSize,
        DEFAULT_ALLOW_SPARSE_INDEX,
        DEFAULT_ALLOW_BLAKE3,
        StoreFormat.CURRENT,
        DEFAULT_UPLOAD_EXPIRY);
  }

  /** The upload expiry GC applies by default. */
  public static final Duration DEFAULT_UPLOAD_EXPIRY = Duration.ofHours(24);

  /** 4 MiB, the limit Distribution and most registries apply. */
  public static final long DEFAULT_MAX_MANIFEST_BYTES = 4L * 1024 * 1024;

  public RegistryOptions {
    if (maxManifestBytes <= 0) {
      throw new IllegalArgumentException("maxManifestBytes must be positive");
    }
    Objects.requireNonNull(clock, "clock");
    if (blobRecordCacheSize < 0) {
      throw new IllegalArgumentException("blobRecordCacheSize must not be negative");
    }
    Objects.requireNonNull(uploadExpiry, "uploadExpiry");
    if (!uploadExpiry.isPositive()) {
      throw new IllegalArgumentException("uploadExpiry must be positive");
    }
  }

  public static RegistryOptions defaults() {
    return new RegistryOptions(DEFAULT_MAX_MANIFEST_BYTES, Clock.systemUTC(), true, 100_000);
  }

  public RegistryOptions withMaxManifestBytes(long value) {
    return new RegistryOptions(
        value,
        clock,
        resumableHashing,
        blobRecordCacheSize,
        allowSparseIndex,
        allowBlake3,
        storeLayout,
        uploadExpiry);
  }

  public RegistryOptions withClock(Clock value) {
    return new RegistryOptions(
        maxManifestBytes,
        value,
        resumableHashing,
        blobRecordCacheSize,
        allowSparseIndex,
        allowBlake3,
        storeLayout,
        uploadExpiry);
  }

  public RegistryOptions withResumableHashing(boolean value) {
    return new RegistryOptions(
        maxManifestBytes,
        clock,
        value,
        blobRecordCacheSize,
        allowSparseIndex,
        allowBlake3,
        storeLayout,
        uploadExpiry);
  }

  public RegistryOptions withAllowSparseIndex(boolean value) {
    return new RegistryOptions(
        maxManifestBytes,
        clock,
        resumableHashing,
        blobRecordCacheSize,
        value,
        allowBlake3,
        storeLayout,
        uploadExpiry);
  }

  public RegistryOptions withAllowBlake3(boolean value) {
    return new RegistryOptions(
        maxManifestBytes,
        clock,
        resumableHashing,
        blobRecordCacheSize,
        allowSparseIndex,
        value,
        storeLayout,
        uploadExpiry);
  }

  public RegistryOptions withStoreLayout(int value) {
    return new RegistryOptions(
        maxManifestBytes,
        clock,
        resumableHashing,
        blobRecordCacheSize,
        allowSparseIndex,
        allowBlake3,
        value,
        uploadExpiry);
  }

  public RegistryOptions withUploadExpiry(Duration value) {
    return new RegistryOptions(
        maxManifestBytes,
        clock,
        resumableHashing,
        blobRecordCacheSize,
        allowSparseIndex,
        allowBlake3,
        storeLayout,
        value);
  }

  /**
   * Whether a small blob that arrives whole is kept in its blob record ({@link
   * dev.lading.core.layout.StoredValues.BlobRecord#inline}), one durable write instead of two.
   */
  public boolean inlineSmallBlobs() {
    return StoreFormat.inlinesSmallBlobs(storeLayout);
  }

  /** Whether a session's start stores nothing ({@link SignedUploadIds}). */
  public boolean unstoredSessions() {
    return StoreFormat.signsUploadIds(storeLayout);
  }

  /**
   * Whether the close of a session with a signed id is recorded as an empty state ({@link
   * dev.lading.core.layout.StoredValues.UploadState#closedByItsLink}).
   */
  public boolean closesByLink() {
    return StoreFormat.recordsClosesByLink(storeLayout);
  }

  /**
   * Whether a manifest whose bytes name their media type is linked by an empty link ({@link
   * dev.lading.core.layout.StoredValues.ManifestLink#OWN_TYPE}).
   */
  public boolean ownTypeManifestLinks() {
    return StoreFormat.linksManifestsByOwnType(storeLayout);
  }

  /**
   * Whether every instance on the store writes a new link epoch when it deletes layer links, so
   * links seen may be cached ({@link LinkCache}).
   */
  public boolean keepsLinkEpoch() {
    return StoreFormat.keepsLinkEpoch(storeLayout);
  }

  /** Whether this registry takes digests of {@code algorithm} (sha256 and sha512 always). */
  public boolean accepts(DigestAlgorithm algorithm) {
    return algorithm != DigestAlgorithm.BLAKE3 || allowBlake3;
  }
}
