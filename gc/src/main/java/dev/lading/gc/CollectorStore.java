package dev.lading.gc;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.BlobRecordKey;
import dev.lading.core.layout.StoredValues.BlobRecord;
import dev.lading.core.model.Digest;
import dev.lading.core.storage.ListedObject;
import dev.lading.core.storage.ObjectStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store as every step of a run uses it: independent calls side by side under one bound,
 * listings walked in parallel, deletes in batches of what S3's DeleteObjects takes, and records
 * read leniently (an unreadable one keeps nothing and deletes nothing).
 */
final class CollectorStore {
  private static final Logger LOG = LoggerFactory.getLogger(CollectorStore.class);

  /** Keys per delete call: S3's DeleteObjects takes at most 1,000. */
  static final int DELETE_BATCH = 1000;

  /** What follows {@code <alg>/} in digest keys (GC marks): lowercase hex. */
  private static final String HEX = "0123456789abcdef";

  final ObjectStore store;
  final BoundedCalls calls;
  final ParallelListing listing;

  CollectorStore(ObjectStore store, int parallelism) {
    this.store = store;
    this.calls = new BoundedCalls(parallelism);
    this.listing = new ParallelListing(store, parallelism);
  }

  void deleteBatched(List<String> keys) throws IOException {
    for (int i = 0; i < keys.size(); i += DELETE_BATCH) {
      store.delete(keys.subList(i, Math.min(keys.size(), i + DELETE_BATCH)));
    }
  }

  /**
   * Deletes {@code keys} durably ({@link ObjectStore#deleteDurably}), for what must be gone before
   * something it names is deleted. One call, so the filesystem store syncs each directory once
   * however many keys it held (the S3 store sends its own batches).
   */
  void deleteDurably(List<String> keys) throws IOException {
    if (!keys.isEmpty()) {
      store.deleteDurably(keys);
    }
  }

  Optional<BlobRecord> readRecord(Digest digest) throws IOException {
    Optional<byte[]> bytes = store.read(StorageLayout.keyOf(new BlobRecordKey(digest)));
    if (bytes.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(BlobRecord.read(bytes.get()));
    } catch (RuntimeException e) {
      LOG.warn("gc: unreadable blob record {}", digest);
      return Optional.empty();
    }
  }

  /** Objects under {@code prefixes}, each followed by a hex digest, with their listed times. */
  List<ListedObject> digestObjects(List<String> prefixes) throws IOException {
    List<ListedObject> out = new ArrayList<>();
    for (String prefix : prefixes) {
      out.addAll(listing.all(prefix, HEX));
    }
    return out;
  }

  List<String> allKeys(String prefix) throws IOException {
    List<String> keys = new ArrayList<>();
    for (ListedObject object : listing.all(prefix)) {
      keys.add(object.key());
    }
    return keys;
  }
}
