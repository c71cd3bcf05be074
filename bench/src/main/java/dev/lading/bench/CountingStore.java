package dev.lading.bench;

import dev.lading.core.storage.BlobSource;
import dev.lading.core.storage.ForwardingObjectStore;
import dev.lading.core.storage.KeyPage;
import dev.lading.core.storage.ListedLevel;
import dev.lading.core.storage.ListedPage;
import dev.lading.core.storage.MultipartWrite;
import dev.lading.core.storage.ObjectInfo;
import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.ObjectWrite;
import java.io.IOException;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A store that counts the calls made through it and their time, per kind, so a benchmark can say
 * where a run's time goes (how many listing pages, reads, stats and deletes, and how long each took
 * on average) instead of only how long the whole took.
 */
final class CountingStore extends ForwardingObjectStore {

  /** Calls of one kind: how many, and their summed wall time. */
  private static final class Tally {
    final LongAdder calls = new LongAdder();
    final LongAdder nanos = new LongAdder();
  }

  @FunctionalInterface
  private interface StoreCall<R> {
    R call() throws IOException;
  }

  private final Map<String, Tally> tallies = new ConcurrentHashMap<>();

  CountingStore(ObjectStore store) {
    super(store);
  }

  private <R> R timed(String kind, StoreCall<R> call) throws IOException {
    long start = System.nanoTime();
    try {
      return call.call();
    } finally {
      Tally tally = tallies.computeIfAbsent(kind, k -> new Tally());
      tally.calls.increment();
      tally.nanos.add(System.nanoTime() - start);
    }
  }

  /** One line per kind of call since the last reset ({@code list 120 calls, 310.2 ms avg}). */
  String report() {
    StringBuilder out = new StringBuilder();
    for (Map.Entry<String, Tally> e : new TreeMap<>(tallies).entrySet()) {
      long calls = e.getValue().calls.sum();
      double avgMillis = calls == 0 ? 0 : e.getValue().nanos.sum() / 1e6 / calls;
      out.append(
          String.format(
              "    %-12s %,9d calls, %8.2f ms avg, %8.1f s summed%n",
              e.getKey(), calls, avgMillis, e.getValue().nanos.sum() / 1e9));
    }
    return out.toString();
  }

  void reset() {
    tallies.clear();
  }

  @Override
  public Optional<ObjectInfo> stat(String key) throws IOException {
    return timed("stat", () -> delegate.stat(key));
  }

  @Override
  public Optional<byte[]> read(String key) throws IOException {
    return timed("read", () -> delegate.read(key));
  }

  @Override
  public BlobSource openRange(String key, long offset, long length) throws IOException {
    return timed("openRange", () -> delegate.openRange(key, offset, length));
  }

  @Override
  public void write(String key, byte[] content) throws IOException {
    timed(
        "write",
        () -> {
          delegate.write(key, content);
          return null;
        });
  }

  @Override
  public void writeRevertible(String key, byte[] content) throws IOException {
    timed(
        "write",
        () -> {
          delegate.writeRevertible(key, content);
          return null;
        });
  }

  @Override
  public boolean writeIfAbsent(String key, byte[] content) throws IOException {
    return timed("writeIfAbsent", () -> delegate.writeIfAbsent(key, content));
  }

  @Override
  public List<Boolean> writeAll(List<ObjectWrite> writes) throws IOException {
    return timed("writeAll", () -> delegate.writeAll(writes));
  }

  @Override
  public KeyPage list(String prefix, Optional<String> startAfter, int limit) throws IOException {
    return timed("list", () -> delegate.list(prefix, startAfter, limit));
  }

  @Override
  public ListedPage listWithInfo(String prefix, Optional<String> startAfter, int limit)
      throws IOException {
    return timed("listWithInfo", () -> delegate.listWithInfo(prefix, startAfter, limit));
  }

  @Override
  public ListedLevel listLevel(String prefix, Optional<String> startAfter, int limit)
      throws IOException {
    return timed("listLevel", () -> delegate.listLevel(prefix, startAfter, limit));
  }

  @Override
  public void delete(Collection<String> keys) throws IOException {
    timed(
        "delete",
        () -> {
          delegate.delete(keys);
          return null;
        });
  }

  /** Counted as a delete: one store call either way. */
  @Override
  public void deleteDurably(Collection<String> keys) throws IOException {
    timed(
        "delete",
        () -> {
          delegate.deleteDurably(keys);
          return null;
        });
  }

  @Override
  public MultipartWrite startMultipart(String key) throws IOException {
    return timed("startMultipart", () -> delegate.startMultipart(key));
  }

  @Override
  public MultipartWrite resumeMultipart(String key, String resumeToken) throws IOException {
    return timed("resumeMultipart", () -> delegate.resumeMultipart(key, resumeToken));
  }

  @Override
  public List<String> sweepAbandonedWrites(Set<String> liveKeys, Instant before, boolean dryRun)
      throws IOException {
    return timed("sweepAbandoned", () -> delegate.sweepAbandonedWrites(liveKeys, before, dryRun));
  }
}
