package dev.lading.gc;

import dev.lading.core.storage.ForwardingObjectStore;
import dev.lading.core.storage.KeyPage;
import dev.lading.core.storage.ListedLevel;
import dev.lading.core.storage.ListedPage;
import dev.lading.core.storage.ObjectStore;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/**
 * A real store that claims to answer only a few keys per listing call, as S3 answers 1,000: GC then
 * splits every listing of more than that into narrower prefixes, so tests on a handful of keys
 * exercise the split the way 100,000 keys on S3 do. Its listings with info are the SPI's default
 * (list, then stat each key), so the default is exercised too; so are its levels unless {@code
 * storeLevels}.
 */
final class NarrowListingStore extends ForwardingObjectStore {
  private final int perCall;
  final LongAdder listCalls = new LongAdder();

  private final boolean storeLevels;

  /** Levels are the SPI's default (derived from listings) unless {@code storeLevels}. */
  NarrowListingStore(ObjectStore store, int perCall, boolean storeLevels) {
    super(store);
    this.perCall = perCall;
    this.storeLevels = storeLevels;
  }

  NarrowListingStore(ObjectStore store, int perCall) {
    this(store, perCall, false);
  }

  ObjectStore inner() {
    return delegate;
  }

  @Override
  public int keysPerListCall() {
    return perCall;
  }

  @Override
  public KeyPage list(String prefix, Optional<String> startAfter, int limit) throws IOException {
    listCalls.increment();
    return delegate.list(prefix, startAfter, limit);
  }

  @Override
  public ListedPage listWithInfo(String prefix, Optional<String> startAfter, int limit)
      throws IOException {
    return ObjectStore.listWithInfoByStat(this, prefix, startAfter, limit);
  }

  @Override
  public ListedLevel listLevel(String prefix, Optional<String> startAfter, int limit)
      throws IOException {
    return storeLevels
        ? delegate.listLevel(prefix, startAfter, limit)
        : ObjectStore.levelFromListing(this, prefix, startAfter, limit);
  }
}
