package dev.lading.core.registry;

import static dev.lading.core.registry.StorageCalls.io;

import com.github.benmanes.caffeine.cache.stats.CacheStats;
import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.CatalogKey;
import dev.lading.core.layout.StoredValues.BlobRecord;
import dev.lading.core.model.ByteRange;
import dev.lading.core.model.Digest;
import dev.lading.core.model.DigestAlgorithm;
import dev.lading.core.model.Reference;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import dev.lading.core.model.UploadId;
import dev.lading.core.policy.ImmutableTagOverride;
import dev.lading.core.policy.ImmutableTags;
import dev.lading.core.policy.Quotas;
import dev.lading.core.storage.BlobSource;
import dev.lading.core.storage.KeyPage;
import dev.lading.core.storage.ObjectStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry implemented once over any {@link ObjectStore}, with every key taken from {@link
 * StorageLayout}: blob reads here, and three peers for the rest, {@link RepositoryBlobs} (records
 * and links), {@link UploadSessions} (resumable uploads) and {@link RepositoryManifests}
 * (manifests, tags, referrers). Holds no state of its own beyond caches of immutable things, so any
 * number of instances may share one store.
 */
public final class StoreRegistry implements Registry {
  private static final Logger LOG = LoggerFactory.getLogger(StoreRegistry.class);

  private final ObjectStore store;
  private final RegistryOptions options;
  private final RepositoryBlobs blobs;
  private final UploadSessions uploads;
  private final RepositoryManifests manifests;
  private volatile PullRecorder pulls = PullRecorder.NONE;
  private final QuotaLedger quotas;

  public StoreRegistry(ObjectStore store, RegistryOptions options) {
    this(store, options, GcFence.of(store, options.clock()));
  }

  /** A registry whose pushes take part in online GC's fence through {@code fence}. */
  public StoreRegistry(ObjectStore store, RegistryOptions options, GcFence fence) {
    this.store = Objects.requireNonNull(store, "store");
    this.options = Objects.requireNonNull(options, "options");
    this.blobs =
        new RepositoryBlobs(
            store,
            options.blobRecordCacheSize(),
            Objects.requireNonNull(fence, "fence"),
            options.inlineSmallBlobs(),
            options.keepsLinkEpoch() && store.callsAreRoundTrips());
    this.uploads = new UploadSessions(store, blobs, options);
    this.quotas = new QuotaLedger(store, blobs, options.clock());
    this.manifests = new RepositoryManifests(store, options, blobs, quotas);
  }

  public RegistryOptions options() {
    return options;
  }

  /**
   * A snapshot of the in-memory caches' counters by cache name ({@code blob_records}, {@code
   * small_content}, {@code layer_links}), for metrics.
   */
  public Map<String, CacheStats> cacheStats() {
    return blobs.cacheStats();
  }

  /** The pushers' half of the GC fence this registry uses (tests install hooks on it). */
  public GcFence fence() {
    return blobs.fence();
  }

  // ---- blobs --------------------------------------------------------------------------------

  @Override
  public BlobInfo statBlob(RepositoryName repo, Digest digest) {
    requireSupported(options, digest);
    BlobRecord record = blobs.linkedRecord(repo, digest).orElseThrow(() -> blobUnknown(digest));
    // A HEAD is how a client decides to skip an upload: while GC runs, confirm (mark) the blob,
    // and call it unknown when a sweeper is about to delete the blob or its link here, so the
    // client uploads it again.
    if (!blobs.fence().confirmIfRunActive(digest, repo)) {
      throw blobUnknown(digest);
    }
    return new BlobInfo(digest, record.size());
  }

  /**
   * A pull never fails because a collection runs: no intent is consulted, and while a run is active
   * the read is marked as a use, so the run keeps the blob.
   */
  @Override
  public BlobInfo statBlobForRead(RepositoryName repo, Digest digest) {
    requireSupported(options, digest);
    BlobRecord record = blobs.linkedRecord(repo, digest).orElseThrow(() -> blobUnknown(digest));
    blobs.fence().markReadIfRunActive(digest);
    return new BlobInfo(digest, record.size());
  }

  @Override
  public BlobContent openBlob(RepositoryName repo, Digest digest, Optional<ByteRange> range) {
    requireSupported(options, digest);
    BlobRecord record = blobs.linkedRecord(repo, digest).orElseThrow(() -> blobUnknown(digest));
    BlobInfo info = new BlobInfo(digest, record.size());
    if (range.isPresent() && !range.get().fitsIn(record.size())) {
      throw ErrorCode.RANGE_NOT_SATISFIABLE
          .exception("range outside the blob")
          .withDetail(Map.of("size", record.size()))
          .withHeader("Content-Range", "bytes */" + record.size());
    }
    long offset = range.map(ByteRange::first).orElse(0L);
    long length = range.map(ByteRange::length).orElse(record.size());
    BlobSource source;
    try {
      source = open(record, offset, length);
    } catch (NoSuchFileException e) {
      // A cached record whose data GC removed: the store's current record decides.
      BlobRecord current = blobs.freshRecord(digest).orElseThrow(() -> blobUnknown(digest));
      if (current.size() != record.size()) {
        throw blobUnknown(digest);
      }
      source = io(() -> open(current, offset, length));
    } catch (IOException | UncheckedIOException e) {
      throw StorageCalls.unavailable(e);
    }
    return new BlobContent(info, range, source);
  }

  /** The bytes a record holds itself, or a range of the data it names. */
  private BlobSource open(BlobRecord record, long offset, long length) throws IOException {
    if (record.inline().isPresent()) {
      byte[] bytes = record.inline().get().bytes();
      return new BlobSource.StreamSource(
          new ByteArrayInputStream(bytes, (int) offset, (int) length), length);
    }
    return store.openRange(StorageLayout.keyOf(record.dataKey().orElseThrow()), offset, length);
  }

  /**
   * The store's presigned URL of the blob's data. The link is checked like a {@code HEAD}; the
   * record is read fresh, not from the cache: a cached record may name data GC swept before the
   * blob was pushed again under a new data key, and a client sent there would find nothing (the
   * streaming path recovers from that, a redirect cannot).
   */
  @Override
  public Optional<URI> blobRedirect(RepositoryName repo, Digest digest, Duration ttl) {
    requireSupported(options, digest);
    if (!blobs.isLinked(repo, digest)) {
      throw blobUnknown(digest);
    }
    BlobRecord record = blobs.freshRecord(digest).orElseThrow(() -> blobUnknown(digest));
    blobs.fence().markReadIfRunActive(digest);
    if (record.dataKey().isEmpty()) {
      return Optional.empty(); // held in the record: served here, it is small
    }
    return io(() -> store.presignedGet(StorageLayout.keyOf(record.dataKey().get()), ttl));
  }

  @Override
  public void deleteBlob(RepositoryName repo, Digest digest) {
    requireSupported(options, digest);
    if (!blobs.isLinked(repo, digest)) {
      throw blobUnknown(digest);
    }
    blobs.unlink(repo, digest);
    LOG.info("blob deleted repository={} digest={}", repo, digest);
  }

  // ---- uploads ------------------------------------------------------------------------------

  @Override
  public UploadStatus startUpload(RepositoryName repo) {
    return uploads.start(repo);
  }

  @Override
  public boolean acceptsAlgorithm(DigestAlgorithm algorithm) {
    return options.accepts(algorithm);
  }

  @Override
  public Optional<BlobInfo> mountBlob(
      RepositoryName repo, Digest digest, Optional<RepositoryName> from) {
    requireSupported(options, digest);
    Optional<BlobRecord> record =
        from.isPresent() ? blobs.mount(from.get(), repo, digest) : blobs.linkExisting(repo, digest);
    if (record.isEmpty()) {
      return Optional.empty();
    }
    LOG.info(
        "blob mounted repository={} digest={} from={}",
        repo,
        digest,
        from.map(RepositoryName::value).orElse("*"));
    return Optional.of(new BlobInfo(digest, record.get().size()));
  }

  @Override
  public BlobInfo putBlob(
      RepositoryName repo, Digest digest, InputStream body, OptionalLong length) {
    requireSupported(options, digest);
    // Refused before a byte streams when the declared size cannot fit a quota.
    length.ifPresent(n -> quotas.refuseUpload(repo, digest, n));
    return uploads.putMonolithic(repo, digest, body, length);
  }

  @Override
  public UploadStatus appendToUpload(
      RepositoryName repo, UploadId id, OptionalLong start, InputStream body, OptionalLong length) {
    // A chunk carries no digest: refused, declared or mid-stream, once the session's size can fit
    // no quota covering repo whatever blob it turns out to be (QuotaLedger.refuseSession).
    return uploads.append(
        repo,
        id,
        start,
        body,
        length,
        quotas.covers(repo)
            ? size -> quotas.refuseSession(repo, size)
            : UploadSessions.SizeCheck.NONE);
  }

  @Override
  public UploadStatus uploadStatus(RepositoryName repo, UploadId id) {
    return uploads.status(repo, id);
  }

  @Override
  public BlobInfo completeUpload(
      RepositoryName repo,
      UploadId id,
      Digest digest,
      OptionalLong start,
      InputStream finalChunk,
      OptionalLong length) {
    requireSupported(options, digest);
    // The final chunk's declared end (a lower bound of the blob's size when no Content-Range
    // says where it starts) cannot fit a quota: refused before it streams, the session kept.
    if (length.isPresent()) {
      quotas.refuseUpload(repo, digest, start.orElse(0) + length.getAsLong());
    }
    // And while it streams (a chunked body declares nothing): refused as soon as the session's
    // size cannot fit, with the same rule as a declared size.
    return uploads.complete(
        repo,
        id,
        digest,
        start,
        finalChunk,
        length,
        quotas.covers(repo)
            ? size -> quotas.refuseUpload(repo, digest, size)
            : UploadSessions.SizeCheck.NONE);
  }

  @Override
  public void cancelUpload(RepositoryName repo, UploadId id) {
    uploads.cancel(repo, id);
  }

  // ---- manifests, tags and referrers ---------------------------------------------------------

  @Override
  public ManifestContent getManifest(RepositoryName repo, Reference reference) {
    requireSupported(options, reference);
    ManifestContent m = manifests.getManifest(repo, reference);
    pulls.pulled(repo, reference, m.digest());
    return m;
  }

  /**
   * Tells {@code recorder} about every manifest {@code GET} served from now on (retention's "last
   * pulled"; {@link PullLog}). A {@code HEAD} is no pull: clients and tools ask it to learn whether
   * a tag exists, and the pull that follows a {@code HEAD} fetches the manifest by digest.
   */
  public void recordPulls(PullRecorder recorder) {
    pulls = Objects.requireNonNull(recorder, "recorder");
  }

  @Override
  public ManifestInfo statManifest(RepositoryName repo, Reference reference) {
    requireSupported(options, reference);
    return manifests.statManifest(repo, reference);
  }

  @Override
  public PutManifestResult putManifest(
      RepositoryName repo,
      Reference reference,
      List<Tag> tagParams,
      String contentType,
      byte[] body,
      ImmutableTagOverride override) {
    requireSupported(options, reference);
    return manifests.putManifest(repo, reference, tagParams, contentType, body, override);
  }

  @Override
  public void deleteManifest(
      RepositoryName repo, Reference reference, ImmutableTagOverride override) {
    requireSupported(options, reference);
    manifests.deleteManifest(repo, reference, override);
  }

  /**
   * Puts {@code rules} in force for every later push and delete (at start, and when the
   * configuration is reloaded).
   */
  public void immutableTags(ImmutableTags rules) {
    manifests.immutableTags(rules);
  }

  /**
   * Puts the quotas in force (at start and on a configuration reload); a quota new here is counted
   * by the next {@link #scanQuotas}, which the caller runs at once.
   */
  public void quotas(Quotas rules) {
    quotas.rules(rules);
  }

  /** The quotas in force. */
  public Quotas quotas() {
    return quotas.rules();
  }

  /** Each quota's usage as this instance knows it (see {@link QuotaLedger}). */
  public List<QuotaLedger.Usage> quotaUsage() {
    return quotas.usage();
  }

  /** Recounts the quotas' usage from the store's links (at start and periodically). */
  public void scanQuotas() {
    quotas.scan();
  }

  /** The immutable tag rules in force. */
  public ImmutableTags immutableTags() {
    return manifests.immutableTags();
  }

  @Override
  public Page listTags(RepositoryName repo, int limit, Optional<String> last) {
    return manifests.listTags(repo, limit, last);
  }

  @Override
  public Referrers referrers(RepositoryName repo, Digest subject, Optional<String> artifactType) {
    requireSupported(options, subject);
    return manifests.referrers(repo, subject, artifactType);
  }

  // ---- catalog ------------------------------------------------------------------------------

  @Override
  public Page listRepositories(int limit, Optional<String> last) {
    Page.requireValidLimit(limit);
    if (limit == 0) {
      return new Page(List.of(), false);
    }
    Optional<String> startAfter =
        last.map(
            l -> {
              if (!RepositoryName.isValid(l)) {
                throw ErrorCode.NAME_INVALID.exception("invalid last repository").withDetail(l);
              }
              return StorageLayout.keyOf(new CatalogKey(RepositoryName.parse(l)));
            });
    KeyPage page = io(() -> store.list(StorageLayout.catalogPrefix(), startAfter, limit));
    List<String> names = new ArrayList<>(page.keys().size());
    for (String key : page.keys()) {
      names.add(
          StorageLayout.parse(key, CatalogKey.class)
              .orElseThrow(() -> new IllegalStateException("not a catalog marker: " + key))
              .repository()
              .value());
    }
    return new Page(names, page.truncated());
  }

  // ---- helpers ------------------------------------------------------------------------------

  /**
   * Refuses a digest of an algorithm this registry does not take ({@link RegistryOptions#accepts}:
   * blake3 unless configured) as distribution-spec asks for "an unsupported algorithm": {@code 400}
   * with {@code DIGEST_INVALID}, the code Distribution and zot answer too. Checked before the store
   * is touched, on reads as well as writes, so with the switch off the registry answers exactly as
   * one that never heard of the algorithm, whatever the store holds.
   */
  static void requireSupported(RegistryOptions options, Reference reference) {
    if (reference instanceof Digest digest && !options.accepts(digest.algorithm())) {
      throw ErrorCode.DIGEST_INVALID
          .exception("unsupported digest algorithm")
          .withDetail(
              Map.of(
                  "digest",
                  digest.toString(),
                  "algorithm",
                  digest.algorithm().wireName(),
                  "reason",
                  "this registry does not accept " + digest.algorithm().wireName() + " digests"));
    }
  }

  private static RegistryException blobUnknown(Digest digest) {
    return ErrorCode.BLOB_UNKNOWN.exception().withDetail(Map.of("digest", digest.toString()));
  }
}
