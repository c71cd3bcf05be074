package dev.lading.core.registry;

import static dev.lading.core.registry.StorageCalls.io;
import static dev.lading.core.registry.StorageCalls.run;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import dev.lading.core.concurrent.Concurrently;
import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.BlobRecordKey;
import dev.lading.core.layout.StorageLayout.DataKey;
import dev.lading.core.layout.StorageLayout.LayerLinkKey;
import dev.lading.core.layout.StoredValues;
import dev.lading.core.layout.StoredValues.BlobRecord;
import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.ObjectWrite;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Blobs as repositories see them: global content-addressed records reached only through a
 * per-repository link (Distribution's linked blob store). Records are immutable once written, so
 * they are cached; links are not.
 */
final class RepositoryBlobs {
  /**
   * Bytes of small blobs (manifests) read through {@link #readSmall}, at most this many in all:
   * they are content-addressed, so the bytes cached for a digest can never be wrong, and a manifest
   * GET then costs the store only its tag and link reads (which may change and are always read
   * fresh).
   */
  static final long SMALL_CONTENT_CACHE_BYTES = 16L << 20;

  private final ObjectStore store;
  private final Cache<Digest, BlobRecord> records;
  private final Cache<Digest, byte[]> smallContent;
  private final GcFence fence;
  private final LinkCache links;
  private final boolean inlineSmallBlobs;

  /**
   * A record counts one entry in the cache, plus one per {@link #INLINE_WEIGHT_BYTES} of content it
   * holds inline: the configured size bounds the cache's memory (about 0.5 KiB an entry at most),
   * not only its number of records.
   */
  static final int INLINE_WEIGHT_BYTES = 512;

  RepositoryBlobs(
      ObjectStore store,
      long cacheSize,
      GcFence fence,
      boolean inlineSmallBlobs,
      boolean cachesLinks) {
    this.store = store;
    this.links = new LinkCache(fence, cachesLinks);
    // Stats are recorded (a few LongAdders) so the server can export hit rates: a falling hit
    // rate is what says the record cache is too small for the working set.
    this.records =
        Caffeine.newBuilder()
            .maximumWeight(cacheSize)
            .weigher((Digest d, BlobRecord r) -> 1 + r.inlineLength() / INLINE_WEIGHT_BYTES)
            .recordStats()
            .build();
    this.inlineSmallBlobs = inlineSmallBlobs;
    this.smallContent =
        Caffeine.newBuilder()
            .maximumWeight(SMALL_CONTENT_CACHE_BYTES)
            .weigher((Digest d, byte[] bytes) -> bytes.length)
            .recordStats()
            .build();
    this.fence = fence;
  }

  GcFence fence() {
    return fence;
  }

  /** Hits, misses and evictions so far of the record cache and the small-content cache. */
  Map<String, CacheStats> cacheStats() {
    return Map.of(
        "blob_records",
        records.stats(),
        "small_content",
        smallContent.stats(),
        "layer_links",
        links.stats());
  }

  /**
   * The record as the store has it now, bypassing (and refreshing) the cache: GC may have deleted a
   * cached record, or deleted and a later commit re-created it with other data.
   */
  Optional<BlobRecord> freshRecord(Digest digest) {
    Optional<BlobRecord> read = readRecord(digest);
    read.ifPresentOrElse(r -> records.put(digest, r), () -> records.invalidate(digest));
    return read;
  }

  /**
   * An upload's commit under GC's fence: mark the digest (when a run is active), wait out any
   * deletion intent on it, then write the record and the link, and {@code after} (a session's end,
   * alongside the link) behind them, as one batch ({@link ObjectStore#writeAll}: one commit of the
   * filesystem's index, a step at a time elsewhere, so a crash may leave the record without its
   * link, never the link without its record). A sweeper that saw the mark keeps the old record; one
   * that did not had written its intent before the mark, so this waits until it has deleted the old
   * record and the fresh one written here is never swept.
   */
  BlobRecord commitAndLink(
      RepositoryName repo, Digest digest, BlobRecord fresh, List<ObjectWrite> after) {
    passFence(repo, digest);
    RecordWrite record = new RecordWrite(digest, fresh);
    List<ObjectWrite> writes = new ArrayList<>();
    writes.add(record.write());
    writes.add(linkWrite(repo, digest));
    writes.addAll(after);
    List<Boolean> written =
        links.write(new LayerLinkKey(repo, digest), () -> io(() -> store.writeAll(writes)));
    return settle(record, written.get(0));
  }

  /**
   * As {@link #commitAndLink}, with the link made only when {@code condition}, an if-absent write
   * made alongside the record (one round on S3), wrote: empty when it found an object, and then
   * nothing is linked (the record may have been written; it names the checked bytes, and is visible
   * nowhere until a commit links it).
   */
  Optional<BlobRecord> commitAndLinkIf(
      RepositoryName repo, Digest digest, BlobRecord fresh, ObjectWrite condition) {
    if (condition.mode() != ObjectWrite.Mode.IF_ABSENT) {
      throw new IllegalArgumentException("a condition is an if-absent write: " + condition);
    }
    passFence(repo, digest);
    RecordWrite record = new RecordWrite(digest, fresh);
    List<Boolean> written =
        io(() -> store.writeAll(List.of(record.write(), condition.alongsidePrevious())));
    BlobRecord settled = settle(record, written.get(0));
    if (!written.get(1)) {
      return Optional.empty();
    }
    link(repo, digest);
    return Optional.of(settled);
  }

  /**
   * GC's fence before a commit: mark the digest (when a run is active) and wait out any deletion
   * intent on it (see {@link #commitAndLink}).
   */
  private void passFence(RepositoryName repo, Digest digest) {
    GcFence.Ticket ticket = fence.enter(repo, List.of(digest));
    do {
      // Intents exist only while a run sweeps, written after its fence delay, longer than the
      // run cache: a ticket that knew of no run has none to read (as settleAndCheck in
      // RepositoryManifests); stillClear re-reads the runs once that answer has aged and marks
      // the ticket when one appeared, and the loop then reads the intents.
      if (ticket.marked()) {
        fence.awaitNoIntent(digest, repo);
      }
    } while (!fence.stillClear(ticket));
  }

  /** The write of {@code digest}'s link into {@code repo}, for a batch. */
  private static ObjectWrite linkWrite(RepositoryName repo, Digest digest) {
    return ObjectWrite.replace(
        StorageLayout.keyOf(new LayerLinkKey(repo, digest)), StoredValues.empty());
  }

  /**
   * Links a blob that is already in the store into {@code repo} (a mount, a retried close), under
   * GC's fence: empty when the blob is gone or a sweeper is about to delete it, and the client
   * uploads it again, whose commit then waits for the sweep.
   */
  Optional<BlobRecord> linkExisting(RepositoryName repo, Digest digest) {
    GcFence.Ticket ticket = fence.enter(repo, List.of(digest));
    if (ticket.marked() && fence.intended(digest, repo)) { // no run known: no intent (above)
      return Optional.empty();
    }
    Optional<BlobRecord> record = freshRecord(digest);
    if (record.isEmpty() || !fence.stillClear(ticket)) {
      return Optional.empty();
    }
    link(repo, digest);
    return record;
  }

  /**
   * A mount of {@code digest} from {@code source} into {@code repo}: {@link #linkExisting}, for a
   * blob {@code source} links. While a GC run is known the source is checked first, so that only a
   * mount it allows marks the digest. With no run known the source's link is read from the store
   * and stands for the record, as a manifest's references do (RepositoryManifests#settleAndCheck
   * has the argument: a record is written before any link to it, and a sweep deletes links before
   * records): the record is read only when it is not cached, side by side with the link where calls
   * are round trips, and nothing is linked unless both are there. A cached record may have been
   * swept and written again since, with its bytes elsewhere, but a digest's size never changes, and
   * the size is all a mount answers with. On S3 a mount of a blob this instance has seen is one
   * write: the source's link comes from the {@link LinkCache} when this instance saw it.
   */
  Optional<BlobRecord> mount(RepositoryName source, RepositoryName repo, Digest digest) {
    if (fence.runActive()) {
      return isLinked(source, digest) ? linkExisting(repo, digest) : Optional.empty();
    }
    GcFence.Ticket ticket = fence.enter(repo, List.of(digest));
    if (ticket.marked() && fence.intended(digest, repo)) { // a run appeared meanwhile
      return Optional.empty();
    }
    BlobRecord cached = records.getIfPresent(digest);
    Optional<BlobRecord> record;
    if (cached != null) {
      record = isLinked(source, digest) ? Optional.of(cached) : Optional.empty();
    } else {
      record =
          Concurrently.both(
              () -> isLinked(source, digest),
              () -> freshRecord(digest),
              (linked, read) -> linked ? read : Optional.<BlobRecord>empty(),
              store.callsAreRoundTrips());
    }
    if (record.isEmpty() || !fence.stillClear(ticket)) {
      return Optional.empty();
    }
    link(repo, digest);
    return record;
  }

  /** The global record of {@code digest}, wherever it was pushed. */
  Optional<BlobRecord> record(Digest digest) {
    BlobRecord cached = records.getIfPresent(digest);
    if (cached != null) {
      return Optional.of(cached);
    }
    Optional<BlobRecord> read = readRecord(digest);
    read.ifPresent(r -> records.put(digest, r));
    return read;
  }

  private Optional<BlobRecord> readRecord(Digest digest) {
    return io(() -> store.read(StorageLayout.keyOf(new BlobRecordKey(digest))))
        .map(BlobRecord::read);
  }

  /**
   * Whether {@code digest} is linked into {@code repo}: from the {@link LinkCache} when this
   * instance saw the link under the current link epoch, else from the store.
   */
  boolean isLinked(RepositoryName repo, Digest digest) {
    LayerLinkKey link = new LayerLinkKey(repo, digest);
    return links.exists(link, () -> io(() -> store.stat(StorageLayout.keyOf(link))).isPresent());
  }

  /** The blob's record when it is linked into {@code repo}. */
  Optional<BlobRecord> linkedRecord(RepositoryName repo, Digest digest) {
    return isLinked(repo, digest) ? record(digest) : Optional.empty();
  }

  void link(RepositoryName repo, Digest digest) {
    ObjectWrite link = linkWrite(repo, digest);
    links.write(
        new LayerLinkKey(repo, digest),
        () -> {
          run(() -> store.write(link.key(), link.content()));
          return link;
        });
  }

  /**
   * Deletes {@code digest}'s link in {@code repo}; where links are cached, then writes a new link
   * epoch and waits until every instance reads it ({@link LinkCache#deleted}).
   */
  void unlink(RepositoryName repo, Digest digest) {
    LayerLinkKey link = new LayerLinkKey(repo, digest);
    run(() -> store.delete(List.of(StorageLayout.keyOf(link))));
    links.deleted(link);
  }

  /**
   * A record to publish as {@code digest}'s, created only if absent: the small record pointing at
   * data already written (never moving the bytes), or holding small bytes inline. Written in a
   * batch, then {@linkplain #settle settled} with what the batch said of it.
   */
  record RecordWrite(Digest digest, BlobRecord fresh) {
    ObjectWrite write() {
      return ObjectWrite.ifAbsent(StorageLayout.keyOf(new BlobRecordKey(digest)), fresh.write());
    }
  }

  /**
   * The record {@code digest} has after {@code record} was written ({@code written}) or found one
   * there: when the blob existed already, the first record wins and this data is deleted, so one
   * copy remains, unless that record names this very data: a commit that crashed after its record
   * and is now retried (deleting would orphan the record).
   */
  BlobRecord settle(RecordWrite record, boolean written) {
    Digest digest = record.digest();
    BlobRecord fresh = record.fresh();
    if (written) {
      records.put(digest, fresh);
      return fresh;
    }
    BlobRecord existing =
        freshRecord(digest)
            .orElseThrow(
                () ->
                    StorageCalls.unavailable(
                        new IllegalStateException(
                            "blob record vanished after a conflicting write")));
    Optional<DataKey> ours = fresh.dataKey();
    if (ours.isPresent() && !existing.isAt(ours.get())) {
      run(() -> store.delete(List.of(StorageLayout.keyOf(ours.get()))));
    }
    return existing;
  }

  /**
   * Where the checked bytes of a small blob go: into its record ({@link BlobRecord#inline}), when
   * the store's layout has inline records and they fit, so the commit is the one durable write;
   * otherwise to {@code dataKey}, written here, with a record naming it.
   */
  BlobRecord placeSmall(DataKey dataKey, byte[] content) {
    if (fitsInline(content.length)) {
      return BlobRecord.inline(content);
    }
    run(() -> store.write(StorageLayout.keyOf(dataKey), content));
    return new BlobRecord(content.length, dataKey);
  }

  /** Whether {@link #placeSmall} keeps {@code length} bytes in the record, writing no data. */
  boolean fitsInline(long length) {
    return inlineSmallBlobs && length <= BlobRecord.INLINE_MAX_BYTES;
  }

  /**
   * The record that stores small content (a manifest) as a blob, for a batch. Content that fits in
   * the record goes straight to the batch: its if-absent write leaves a record already there as it
   * was, and {@link #settle} then reads that one (a re-push pays the read a first push saves).
   * Bigger content is written first at a data key of its own, so it is looked for before: empty
   * when the blob exists already, and nothing is written twice.
   */
  Optional<RecordWrite> smallRecord(Digest digest, byte[] content) {
    if (fitsInline(content.length)) {
      return Optional.of(new RecordWrite(digest, BlobRecord.inline(content)));
    }
    if (freshRecord(digest).isPresent()) {
      return Optional.empty();
    }
    return Optional.of(new RecordWrite(digest, placeSmall(DataKey.random(), content)));
  }

  /** The content of a small blob stored by {@link #smallRecord}. */
  Optional<byte[]> readSmall(Digest digest) {
    byte[] cached = smallContent.getIfPresent(digest);
    if (cached != null) {
      return Optional.of(cached);
    }
    Optional<byte[]> bytes = record(digest).flatMap(this::readData);
    if (bytes.isEmpty()) {
      bytes = freshRecord(digest).flatMap(this::readData);
    }
    bytes.ifPresent(b -> smallContent.put(digest, b));
    return bytes;
  }

  private Optional<byte[]> readData(BlobRecord record) {
    if (record.inline().isPresent()) {
      return Optional.of(record.inline().get().bytes());
    }
    return io(() -> store.read(StorageLayout.keyOf(record.dataKey().orElseThrow())));
  }
}
