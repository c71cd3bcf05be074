package dev.lading.core.registry;

import static dev.lading.core.registry.StorageCalls.io;
import static dev.lading.core.registry.StorageCalls.run;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.BlobRecordKey;
import dev.lading.core.layout.StorageLayout.DataKey;
import dev.lading.core.layout.StorageLayout.LayerLinkKey;
import dev.lading.core.layout.StoredValues;
import dev.lading.core.layout.StoredValues.BlobRecord;
import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.storage.ObjectStore;
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

  RepositoryBlobs(ObjectStore store, long cacheSize, GcFence fence) {
    this.store = store;
    // Stats are recorded (a few LongAdders) so the server can export hit rates: a falling hit
    // rate is what says the record cache is too small for the working set.
    this.records = Caffeine.newBuilder().maximumSize(cacheSize).recordStats().build();
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
    return Map.of("blob_records", records.stats(), "small_content", smallContent.stats());
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
   * deletion intent on it, then write the record and the link. A sweeper that saw the mark keeps
   * the old record; one that did not had written its intent before the mark, so this waits until it
   * has deleted the old record and the fresh one written here is never swept.
   */
  BlobRecord commitAndLink(RepositoryName repo, Digest digest, DataKey dataKey, long size) {
    GcFence.Ticket ticket = fence.enter(repo, List.of(digest));
    do {
      fence.awaitNoIntent(digest, repo);
    } while (!fence.stillClear(ticket));
    BlobRecord record = commit(digest, dataKey, size);
    link(repo, digest);
    return record;
  }

  /**
   * Links a blob that is already in the store into {@code repo} (a mount, a retried close), under
   * GC's fence: empty when the blob is gone or a sweeper is about to delete it, and the client
   * uploads it again, whose commit then waits for the sweep.
   */
  Optional<BlobRecord> linkExisting(RepositoryName repo, Digest digest) {
    GcFence.Ticket ticket = fence.enter(repo, List.of(digest));
    if (fence.intended(digest, repo)) {
      return Optional.empty();
    }
    Optional<BlobRecord> record = freshRecord(digest);
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

  boolean isLinked(RepositoryName repo, Digest digest) {
    return io(() -> store.stat(StorageLayout.keyOf(new LayerLinkKey(repo, digest)))).isPresent();
  }

  /** The blob's record when it is linked into {@code repo}. */
  Optional<BlobRecord> linkedRecord(RepositoryName repo, Digest digest) {
    return isLinked(repo, digest) ? record(digest) : Optional.empty();
  }

  void link(RepositoryName repo, Digest digest) {
    run(
        () ->
            store.write(StorageLayout.keyOf(new LayerLinkKey(repo, digest)), StoredValues.empty()));
  }

  void unlink(RepositoryName repo, Digest digest) {
    run(() -> store.delete(List.of(StorageLayout.keyOf(new LayerLinkKey(repo, digest)))));
  }

  /**
   * Publishes data already written at {@code dataKey} as {@code digest}: writes the small record
   * pointing at it, never moving the bytes. When the blob exists already, the first record wins and
   * this data is deleted, so one copy remains, unless that record names this very data: a commit
   * that crashed after its record and is now retried (deleting would orphan the record).
   */
  BlobRecord commit(Digest digest, DataKey dataKey, long size) {
    BlobRecord fresh = new BlobRecord(size, dataKey);
    boolean written =
        io(
            () ->
                store.writeIfAbsent(StorageLayout.keyOf(new BlobRecordKey(digest)), fresh.write()));
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
    if (!existing.dataKey().equals(dataKey)) {
      run(() -> store.delete(List.of(StorageLayout.keyOf(dataKey))));
    }
    return existing;
  }

  /** Stores small content (a manifest) as a blob, unless that blob exists already. */
  BlobRecord putSmall(Digest digest, byte[] content) {
    Optional<BlobRecord> existing = freshRecord(digest);
    if (existing.isPresent()) {
      return existing.get();
    }
    DataKey dataKey = DataKey.random();
    run(() -> store.write(StorageLayout.keyOf(dataKey), content));
    return commit(digest, dataKey, content.length);
  }

  /** The content of a small blob written by {@link #putSmall}. */
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
    return io(() -> store.read(StorageLayout.keyOf(record.dataKey())));
  }
}
