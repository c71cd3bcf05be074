package dev.lading.core.registry;

import static dev.lading.core.registry.StorageCalls.io;
import static dev.lading.core.registry.StorageCalls.run;

import dev.lading.core.concurrent.Concurrently;
import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.CatalogKey;
import dev.lading.core.layout.StorageLayout.ManifestLinkKey;
import dev.lading.core.layout.StorageLayout.ReferrerKey;
import dev.lading.core.layout.StorageLayout.TagKey;
import dev.lading.core.layout.StoredValues;
import dev.lading.core.layout.StoredValues.BlobRecord;
import dev.lading.core.layout.StoredValues.ManifestLink;
import dev.lading.core.layout.StoredValues.ReferrerDescriptor;
import dev.lading.core.layout.StoredValues.TagTarget;
import dev.lading.core.manifest.ManifestValidator;
import dev.lading.core.manifest.ParsedManifest;
import dev.lading.core.model.ByteRange;
import dev.lading.core.model.Digest;
import dev.lading.core.model.Reference;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import dev.lading.core.model.UploadId;
import dev.lading.core.storage.BlobSource;
import dev.lading.core.storage.KeyPage;
import dev.lading.core.storage.ObjectStore;
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
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry implemented once over any {@link ObjectStore}, with every key taken from
 * {@link StorageLayout}. Holds no state of its own beyond caches of immutable things, so any
 * number of instances may share one store.
 *
 * <p>Write order matters where a reader could see a half-done operation: a manifest's bytes
 * and record come before its link, the link before its tag, so a tag never names a manifest the
 * repository lacks; deletes go the other way.
 */
public final class StoreRegistry implements Registry {
  private static final Logger LOG = LoggerFactory.getLogger(StoreRegistry.class);
  private static final int LIST_PAGE = 1000;

  private final ObjectStore store;
  private final RegistryOptions options;
  private final RepositoryBlobs blobs;
  private final UploadSessions uploads;
  private final ManifestValidator validator;

  public StoreRegistry(ObjectStore store, RegistryOptions options) {
    this(store, options, GcFence.of(store, options.clock()));
  }

  /** A registry whose pushes take part in online GC's fence through {@code fence}. */
  public StoreRegistry(ObjectStore store, RegistryOptions options, GcFence fence) {
    this.store = Objects.requireNonNull(store, "store");
    this.options = Objects.requireNonNull(options, "options");
    this.blobs = new RepositoryBlobs(store, options.blobRecordCacheSize(), Objects.requireNonNull(fence, "fence"));
    this.uploads = new UploadSessions(store, blobs, options);
    this.validator = new ManifestValidator(options.maxManifestBytes());
  }

  public RegistryOptions options() {
    return options;
  }

  /**
   * A snapshot of the in-memory caches' counters by cache name ({@code blob_records},
   * {@code small_content}), for metrics.
   */
  public java.util.Map<String, com.github.benmanes.caffeine.cache.stats.CacheStats> cacheStats() {
    return blobs.cacheStats();
  }

  /** The pushers' half of the GC fence this registry uses (tests install hooks on it). */
  public GcFence fence() {
    return blobs.fence();
  }

  // ---- blobs --------------------------------------------------------------------------------

  @Override
  public BlobInfo statBlob(RepositoryName repo, Digest digest) {
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
   * A pull never fails because a collection runs: no intent is consulted, and while a run is
   * active the read is marked as a use, so the run keeps the blob.
   */
  @Override
  public BlobInfo statBlobForRead(RepositoryName repo, Digest digest) {
    BlobRecord record = blobs.linkedRecord(repo, digest).orElseThrow(() -> blobUnknown(digest));
    blobs.fence().markReadIfRunActive(digest);
    return new BlobInfo(digest, record.size());
  }

  @Override
  public BlobContent openBlob(RepositoryName repo, Digest digest, Optional<ByteRange> range) {
    BlobRecord record = blobs.linkedRecord(repo, digest).orElseThrow(() -> blobUnknown(digest));
    BlobInfo info = new BlobInfo(digest, record.size());
    if (range.isPresent() && !range.get().fitsIn(record.size())) {
      throw ErrorCode.RANGE_INVALID.exception("range outside the blob").withDetail(Map.of("size", record.size()));
    }
    long offset = range.map(ByteRange::first).orElse(0L);
    long length = range.map(ByteRange::length).orElse(record.size());
    BlobSource source;
    try {
      source = store.openRange(StorageLayout.keyOf(record.dataKey()), offset, length);
    } catch (NoSuchFileException e) {
      // A cached record whose data GC removed: the store's current record decides.
      BlobRecord current = blobs.freshRecord(digest).orElseThrow(() -> blobUnknown(digest));
      if (current.size() != record.size()) {
        throw blobUnknown(digest);
      }
      source = io(() -> store.openRange(StorageLayout.keyOf(current.dataKey()), offset, length));
    } catch (IOException | UncheckedIOException e) {
      throw StorageCalls.unavailable(e);
    }
    return new BlobContent(info, range, source);
  }

  /**
   * The store's presigned URL of the blob's data. The link is checked like a {@code HEAD}; the
   * record is read fresh, not from the cache: a cached record may name data GC swept before the
   * blob was pushed again under a new data key, and a client sent there would find nothing (the
   * streaming path recovers from that, a redirect cannot).
   */
  @Override
  public Optional<URI> blobRedirect(RepositoryName repo, Digest digest, Duration ttl) {
    if (!blobs.isLinked(repo, digest)) {
      throw blobUnknown(digest);
    }
    BlobRecord record = blobs.freshRecord(digest).orElseThrow(() -> blobUnknown(digest));
    blobs.fence().markReadIfRunActive(digest);
    return io(() -> store.presignedGet(StorageLayout.keyOf(record.dataKey()), ttl));
  }

  @Override
  public void deleteBlob(RepositoryName repo, Digest digest) {
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
  public Optional<BlobInfo> mountBlob(
      RepositoryName repo, Digest digest, Optional<RepositoryName> from) {
    if (from.isPresent() && !blobs.isLinked(from.get(), digest)) {
      return Optional.empty();
    }
    Optional<BlobRecord> record = blobs.linkExisting(repo, digest);
    if (record.isEmpty()) {
      return Optional.empty();
    }
    LOG.info(
        "blob mounted repository={} digest={} from={}",
        repo, digest, from.map(RepositoryName::value).orElse("*"));
    return Optional.of(new BlobInfo(digest, record.get().size()));
  }

  @Override
  public BlobInfo putBlob(RepositoryName repo, Digest digest, InputStream body, OptionalLong length) {
    return uploads.putMonolithic(repo, digest, body, length);
  }

  @Override
  public UploadStatus appendToUpload(
      RepositoryName repo, UploadId id, OptionalLong start, InputStream body, OptionalLong length) {
    return uploads.append(repo, id, start, body, length);
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
    return uploads.complete(repo, id, digest, start, finalChunk, length);
  }

  @Override
  public void cancelUpload(RepositoryName repo, UploadId id) {
    uploads.cancel(repo, id);
  }

  // ---- manifests ----------------------------------------------------------------------------

  @Override
  public ManifestContent getManifest(RepositoryName repo, Reference reference) {
    Digest digest = resolve(repo, reference);
    ManifestLink link = manifestLink(repo, digest).orElseThrow(() -> manifestUnknown(reference));
    byte[] body = blobs.readSmall(digest).orElseThrow(() -> manifestUnknown(reference));
    return new ManifestContent(digest, link.mediaType(), body);
  }

  @Override
  public ManifestInfo statManifest(RepositoryName repo, Reference reference) {
    Digest digest = resolve(repo, reference);
    ManifestLink link = manifestLink(repo, digest).orElseThrow(() -> manifestUnknown(reference));
    BlobRecord record = blobs.record(digest).orElseThrow(() -> manifestUnknown(reference));
    return new ManifestInfo(digest, link.mediaType(), record.size());
  }

  @Override
  public PutManifestResult putManifest(
      RepositoryName repo, Reference reference, List<Tag> tagParams, String contentType, byte[] body) {
    if (reference instanceof Tag && !tagParams.isEmpty()) {
      throw ErrorCode.MANIFEST_INVALID.exception("tag query parameters need a push by digest")
          .withDetail(Map.of("reference", reference.toString()));
    }
    ManifestValidator.Accepted accepted = validator.validate(reference, contentType, body);
    ParsedManifest manifest = accepted.manifest();
    Digest digest = reference instanceof Tag
        ? ManifestDigests.asTheClientPushedIt(accepted.digest(), body, d -> manifestLink(repo, d).isPresent())
        : accepted.digest();
    List<Tag> tags = new ArrayList<>(tagParams.stream().distinct().toList());
    if (reference instanceof Tag tag) {
      tags.add(tag);
    }
    fenceManifest(repo, manifest, digest);
    // Write order, each step one atomic object write, so a crash after any step leaves a state
    // readers may see and a retry of the same PUT completes (every step is idempotent):
    // the manifest's bytes and record (a crash before the record leaves only stray data, which
    // GC collects), the catalog marker (a listed repository whose tag list is still empty), the
    // revision link (pullable by digest), the referrer entry (only ever for a linked manifest),
    // and last the tag, the one step that makes the push visible by name.
    blobs.putSmall(digest, body);
    run(() -> store.writeIfAbsent(StorageLayout.keyOf(new CatalogKey(repo)), StoredValues.empty()));
    run(() -> store.write(
        StorageLayout.keyOf(new ManifestLinkKey(repo, digest)),
        new ManifestLink(manifest.mediaType()).write()));
    Optional<Digest> subject = manifest.subject().map(s -> s.digest());
    if (subject.isPresent()) {
      ReferrerDescriptor entry =
          new ReferrerDescriptor(
              manifest.mediaType(),
              digest,
              body.length,
              manifest.effectiveArtifactType(),
              manifest.annotations());
      run(() -> store.write(
          StorageLayout.keyOf(new ReferrerKey(repo, subject.get(), digest)), entry.write()));
    }
    // One object per tag: moving a tag is one atomic write, but several tags (?tag=a&tag=b) are
    // several writes, in the order given. Every tag was validated before the first write above,
    // so a refused push moves none. A crash between two tag writes leaves the first tags moved
    // and the rest where they were, each pointing at a complete manifest (the link is written);
    // the client got no 201, so it retries the same PUT, which is idempotent and sets them all.
    for (Tag tag : tags) {
      run(() -> store.write(StorageLayout.keyOf(new TagKey(repo, tag)), new TagTarget(digest).write()));
    }
    LOG.info(
        "manifest pushed repository={} digest={} tag={} mediaType={}",
        repo, digest, tags.isEmpty() ? "-" : String.join(",", tags.stream().map(Tag::value).toList()),
        manifest.mediaType());
    return new PutManifestResult(digest, subject);
  }

  @Override
  public void deleteManifest(RepositoryName repo, Reference reference) {
    switch (reference) {
      case Tag tag -> {
        String key = StorageLayout.keyOf(new TagKey(repo, tag));
        if (io(() -> store.stat(key)).isEmpty()) {
          throw manifestUnknown(reference);
        }
        run(() -> store.delete(List.of(key)));
        LOG.info("tag deleted repository={} tag={}", repo, tag.value());
      }
      case Digest digest -> {
        ManifestLink link = manifestLink(repo, digest).orElseThrow(() -> manifestUnknown(reference));
        List<String> doomed = new ArrayList<>();
        for (String tagKey : allKeys(StorageLayout.tagsPrefix(repo))) {
          Optional<TagTarget> target = io(() -> store.read(tagKey)).map(TagTarget::read);
          if (target.isPresent() && target.get().manifest().equals(digest)) {
            doomed.add(tagKey);
          }
        }
        // The reverse of a put: tags, then the referrer entry, then the link, deleted in this
        // order (a store deletes a batch's keys in order or all at once), so a crash part-way
        // leaves no tag or referrer entry naming a manifest the repository no longer links, and
        // a retried DELETE finishes the rest.
        subjectOf(digest, link).ifPresent(
            subject -> doomed.add(StorageLayout.keyOf(new ReferrerKey(repo, subject, digest))));
        doomed.add(StorageLayout.keyOf(new ManifestLinkKey(repo, digest)));
        run(() -> store.delete(doomed));
        LOG.info("manifest deleted repository={} digest={} tagsRemoved={}",
            repo, digest, doomed.size() - 1);
      }
    }
  }

  // ---- discovery ----------------------------------------------------------------------------

  @Override
  public Page listTags(RepositoryName repo, int limit, Optional<String> last) {
    checkLimit(limit);
    if (io(() -> store.stat(StorageLayout.keyOf(new CatalogKey(repo)))).isEmpty()) {
      throw ErrorCode.NAME_UNKNOWN.exception().withDetail(Map.of("name", repo.value()));
    }
    if (limit == 0) {
      return new Page(List.of(), false);
    }
    Optional<String> startAfter =
        last.map(l -> {
          if (!Tag.isTag(l)) {
            throw ErrorCode.BAD_REQUEST.exception("invalid last tag").withDetail(l);
          }
          return StorageLayout.keyOf(new TagKey(repo, Tag.parse(l)));
        });
    KeyPage page = io(() -> store.list(StorageLayout.tagsPrefix(repo), startAfter, limit));
    List<String> tags = new ArrayList<>(page.keys().size());
    for (String key : page.keys()) {
      tags.add(StorageLayout.parse(key, TagKey.class)
          .orElseThrow(() -> new IllegalStateException("not a tag: " + key)).tag().value());
    }
    return new Page(tags, page.truncated());
  }

  @Override
  public Page listRepositories(int limit, Optional<String> last) {
    checkLimit(limit);
    if (limit == 0) {
      return new Page(List.of(), false);
    }
    Optional<String> startAfter =
        last.map(l -> {
          if (!RepositoryName.isValid(l)) {
            throw ErrorCode.BAD_REQUEST.exception("invalid last repository").withDetail(l);
          }
          return StorageLayout.keyOf(new CatalogKey(RepositoryName.parse(l)));
        });
    KeyPage page = io(() -> store.list(StorageLayout.catalogPrefix(), startAfter, limit));
    List<String> names = new ArrayList<>(page.keys().size());
    for (String key : page.keys()) {
      names.add(StorageLayout.parse(key, CatalogKey.class)
          .orElseThrow(() -> new IllegalStateException("not a catalog marker: " + key))
          .repository().value());
    }
    return new Page(names, page.truncated());
  }

  @Override
  public Referrers referrers(RepositoryName repo, Digest subject, Optional<String> artifactType) {
    List<Descriptor> out = new ArrayList<>();
    for (String key : allKeys(StorageLayout.referrersPrefix(repo, subject))) {
      Optional<byte[]> bytes = io(() -> store.read(key));
      if (bytes.isEmpty()) {
        continue; // deleted while listing
      }
      ReferrerDescriptor stored = ReferrerDescriptor.read(bytes.get());
      if (artifactType.isPresent() && !artifactType.equals(stored.artifactType())) {
        continue;
      }
      out.add(new Descriptor(
          stored.mediaType(), stored.digest(), stored.size(), stored.artifactType(), stored.annotations()));
    }
    return new Referrers(out, artifactType);
  }

  // ---- helpers ------------------------------------------------------------------------------

  /**
   * How long a manifest push waits for a sweeper to settle the blobs it references before it is
   * refused: a sweep clears the intents of what its re-check saved at once and of the rest once
   * deleted, which takes seconds even for large runs.
   */
  static final Duration MANIFEST_WAITS_FOR_SWEEP = Duration.ofSeconds(30);

  /**
   * GC's fence for a manifest push: mark every digest the manifest needs (and its own); when a
   * sweeper intends to delete one of them or its link here, wait until that sweep has settled it
   * (see {@link GcFence#awaitNoIntents}); then re-check that they still exist in the store itself
   * (not a cache), and only then let the caller write. So the push is refused with
   * {@code MANIFEST_BLOB_UNKNOWN} only for a blob a run really deleted (the client re-uploads and
   * retries), or when the sweep does not settle within {@link #MANIFEST_WAITS_FOR_SWEEP}. A
   * blob swept after the re-check is impossible: the sweeper re-reads the marks after writing
   * its intent, and deletes nothing after clearing it.
   */
  private void fenceManifest(RepositoryName repo, ParsedManifest manifest, Digest digest) {
    List<Digest> blobRefs = manifest.requiredBlobs();
    // A sparse index (children not all here) is accepted only when configured so; the children
    // it does not check are not marked either: GC keeps only children the repository links.
    List<Digest> manifestRefs = options.allowSparseIndex() && manifest.isIndex()
        ? List.of() : manifest.requiredManifests();
    List<Digest> all = new ArrayList<>(blobRefs);
    all.addAll(manifestRefs);
    List<Digest> marked = new ArrayList<>(all);
    marked.add(digest);
    GcFence fence = blobs.fence();
    GcFence.Ticket ticket = fence.enter(repo, marked);
    settleAndCheck(repo, blobRefs, manifestRefs, all, digest, ticket.marked());
    if (!fence.stillClear(ticket)) {
      // A run appeared after a cached "no run": the marks are written now; settle again.
      settleAndCheck(repo, blobRefs, manifestRefs, all, digest, true);
    }
  }

  /**
   * P3 of the fence and the manifest's only check of its references: after any intent on them
   * has settled, each referenced blob must be linked here with its record in the store (read
   * fresh, not from a cache), each child manifest linked here. The checks run side by side, two
   * store calls each; the first missing reference in the manifest's order is the one reported.
   */
  private void settleAndCheck(RepositoryName repo, List<Digest> blobRefs, List<Digest> manifestRefs,
      List<Digest> all, Digest digest, boolean runActive) {
    GcFence fence = blobs.fence();
    // Intents exist only while a run sweeps, and a run writes them only after its fence delay,
    // longer than the run cache: with no run known (and that answer fresh) there are none to
    // read. stillClear re-reads the runs before the final write once that answer has aged.
    if (runActive) {
      for (Digest unsettled : fence.awaitNoIntents(all, repo, MANIFEST_WAITS_FOR_SWEEP)) {
        throw manifestBlobUnknown(unsettled);
      }
    }
    List<Callable<Boolean>> checks = new ArrayList<>(all.size());
    for (Digest d : blobRefs) {
      checks.add(() -> blobs.isLinked(repo, d) && blobs.freshRecord(d).isPresent());
    }
    for (Digest d : manifestRefs) {
      checks.add(() -> manifestLink(repo, d).isPresent() && blobs.freshRecord(d).isPresent());
    }
    List<Boolean> present = Concurrently.call(checks);
    for (int i = 0; i < all.size(); i++) {
      if (!present.get(i)) {
        throw manifestBlobUnknown(all.get(i));
      }
    }
    // The manifest's own bytes: an old copy being swept goes first, then ours is written.
    if (runActive) {
      fence.awaitNoIntent(digest, repo);
    }
  }

  private static RegistryException manifestBlobUnknown(Digest digest) {
    return ErrorCode.MANIFEST_BLOB_UNKNOWN.exception().withDetail(Map.of("digest", digest.toString()));
  }

  private Digest resolve(RepositoryName repo, Reference reference) {
    return switch (reference) {
      case Digest digest -> digest;
      case Tag tag -> {
        byte[] target = io(() -> store.read(StorageLayout.keyOf(new TagKey(repo, tag))))
            .orElseThrow(() -> manifestUnknown(reference));
        yield TagTarget.read(target).manifest();
      }
    };
  }

  private Optional<ManifestLink> manifestLink(RepositoryName repo, Digest digest) {
    return io(() -> store.read(StorageLayout.keyOf(new ManifestLinkKey(repo, digest))))
        .map(ManifestLink::read);
  }

  /** The subject of a stored manifest, read back from its bytes (they were valid when pushed). */
  private Optional<Digest> subjectOf(Digest digest, ManifestLink link) {
    return blobs.readSmall(digest).flatMap(body -> {
      try {
        return StoredValues.readManifest(body, () -> Optional.of(link)).subject().map(s -> s.digest());
      } catch (RegistryException | IOException e) {
        return Optional.empty();
      }
    });
  }

  /** Every key under {@code prefix}, page by page. */
  private List<String> allKeys(String prefix) {
    List<String> keys = new ArrayList<>();
    Optional<String> after = Optional.empty();
    while (true) {
      Optional<String> from = after;
      KeyPage page = io(() -> store.list(prefix, from, LIST_PAGE));
      keys.addAll(page.keys());
      if (!page.truncated() || page.keys().isEmpty()) {
        return keys;
      }
      after = Optional.of(page.keys().get(page.keys().size() - 1));
    }
  }

  private static void checkLimit(int limit) {
    if (limit < 0) {
      throw ErrorCode.PAGINATION_NUMBER_INVALID.exception().withDetail(limit);
    }
  }

  private static RegistryException blobUnknown(Digest digest) {
    return ErrorCode.BLOB_UNKNOWN.exception().withDetail(Map.of("digest", digest.toString()));
  }

  private static RegistryException manifestUnknown(Reference reference) {
    return ErrorCode.MANIFEST_UNKNOWN.exception().withDetail(Map.of("reference", reference.toString()));
  }
}
