package dev.lading.core.registry;

import dev.lading.core.storage.ForwardingObjectStore;
import dev.lading.core.storage.KeyPage;
import dev.lading.core.storage.MultipartWrite;
import dev.lading.core.storage.ObjectInfo;
import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.ObjectWrite;
import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** A store that counts every call by kind, for tests of what an operation costs. */
final class StoreCallCounter extends ForwardingObjectStore {
  final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  final List<String> statted = new CopyOnWriteArrayList<>();

  /** The writes of each {@link #writeAll}, in order. */
  final List<List<ObjectWrite>> batches = new CopyOnWriteArrayList<>();

  StoreCallCounter(ObjectStore store) {
    super(store);
  }

  private void count(String kind) {
    calls.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
  }

  void clear() {
    calls.clear();
    statted.clear();
    batches.clear();
  }

  int total() {
    return calls.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  @Override
  public Optional<ObjectInfo> stat(String key) throws IOException {
    count("stat");
    statted.add(key);
    return super.stat(key);
  }

  @Override
  public Optional<byte[]> read(String key) throws IOException {
    count("read");
    return super.read(key);
  }

  @Override
  public void write(String key, byte[] content) throws IOException {
    count("write");
    super.write(key, content);
  }

  @Override
  public void writeRevertible(String key, byte[] content) throws IOException {
    count("writeRevertible");
    super.writeRevertible(key, content);
  }

  @Override
  public List<Boolean> writeAll(List<ObjectWrite> writes) throws IOException {
    count("writeAll");
    batches.add(List.copyOf(writes));
    return super.writeAll(writes);
  }

  @Override
  public boolean writeIfAbsent(String key, byte[] content) throws IOException {
    count("writeIfAbsent");
    return super.writeIfAbsent(key, content);
  }

  @Override
  public KeyPage list(String prefix, Optional<String> startAfter, int limit) throws IOException {
    count("list");
    return super.list(prefix, startAfter, limit);
  }

  @Override
  public void delete(Collection<String> keys) throws IOException {
    count("delete");
    super.delete(keys);
  }

  @Override
  public MultipartWrite startMultipart(String key) throws IOException {
    count("startMultipart");
    return super.startMultipart(key);
  }

  @Override
  public MultipartWrite resumeMultipart(String key, String resumeToken) throws IOException {
    count("resumeMultipart");
    return super.resumeMultipart(key, resumeToken);
  }
}
