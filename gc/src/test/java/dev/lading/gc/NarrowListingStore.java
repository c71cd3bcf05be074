package dev.lading.gc;

import dev.lading.core.storage.BlobSource;
import dev.lading.core.storage.KeyPage;
import dev.lading.core.storage.ListedLevel;
import dev.lading.core.storage.MultipartWrite;
import dev.lading.core.storage.ObjectInfo;
import dev.lading.core.storage.ObjectStore;
import java.io.IOException;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * A real store that claims to answer only a few keys per listing call, as S3 answers 1,000: GC
 * then splits every listing of more than that into narrower prefixes, so tests on a handful of
 * keys exercise the split the way 100,000 keys on S3 do. Its listings with info are the SPI's
 * default (list, then stat each key), so the default is exercised too. That is why it implements
 * the SPI itself instead of extending {@code ForwardingObjectStore}, which forwards the listings
 * with info to the wrapped store.
 */
final class NarrowListingStore implements ObjectStore {
  private final ObjectStore store;
  private final int perCall;
  final LongAdder listCalls = new LongAdder();

  private final boolean storeLevels;

  /** Levels are the SPI's default (derived from listings) unless {@code storeLevels}. */
  NarrowListingStore(ObjectStore store, int perCall, boolean storeLevels) {
    this.store = store;
    this.perCall = perCall;
    this.storeLevels = storeLevels;
  }

  NarrowListingStore(ObjectStore store, int perCall) {
    this(store, perCall, false);
  }

  @Override
  public ListedLevel listLevel(String prefix, Optional<String> startAfter, int limit)
      throws IOException {
    return storeLevels
        ? store.listLevel(prefix, startAfter, limit)
        : ObjectStore.super.listLevel(prefix, startAfter, limit);
  }

  ObjectStore inner() {
    return store;
  }

  @Override
  public int keysPerListCall() {
    return perCall;
  }

  @Override
  public KeyPage list(String prefix, Optional<String> startAfter, int limit) throws IOException {
    listCalls.increment();
    return store.list(prefix, startAfter, limit);
  }

  @Override
  public Optional<ObjectInfo> stat(String key) throws IOException {
    return store.stat(key);
  }

  @Override
  public Optional<byte[]> read(String key) throws IOException {
    return store.read(key);
  }

  @Override
  public BlobSource openRange(String key, long offset, long length) throws IOException {
    return store.openRange(key, offset, length);
  }

  @Override
  public void write(String key, byte[] content) throws IOException {
    store.write(key, content);
  }

  @Override
  public boolean writeIfAbsent(String key, byte[] content) throws IOException {
    return store.writeIfAbsent(key, content);
  }

  @Override
  public void delete(Collection<String> keys) throws IOException {
    store.delete(keys);
  }

  @Override
  public MultipartWrite startMultipart(String key) throws IOException {
    return store.startMultipart(key);
  }

  @Override
  public MultipartWrite resumeMultipart(String key, String resumeToken) throws IOException {
    return store.resumeMultipart(key, resumeToken);
  }

  @Override
  public List<String> sweepAbandonedWrites(Set<String> liveKeys, Instant before, boolean dryRun)
      throws IOException {
    return store.sweepAbandonedWrites(liveKeys, before, dryRun);
  }

  @Override
  public void close() throws IOException {
    store.close();
  }
}
