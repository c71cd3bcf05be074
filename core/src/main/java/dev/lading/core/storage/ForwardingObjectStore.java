package dev.lading.core.storage;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A store that hands every call to another: the one base for wrappers that count, meter, slow down
 * or break calls (metering, benchmarks' call counts, the crash-point tests). It forwards the
 * methods that have defaults too, so a wrapped store keeps its own listing strategy and residue
 * sweep instead of silently falling back to the interface's generic ones.
 */
public abstract class ForwardingObjectStore implements ObjectStore {
  protected final ObjectStore delegate;

  protected ForwardingObjectStore(ObjectStore delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  public ObjectStore delegate() {
    return delegate;
  }

  /** The store under every wrapper: what a caller inspects for the backend's own traits. */
  public static ObjectStore innermost(ObjectStore store) {
    ObjectStore inner = store;
    while (inner instanceof ForwardingObjectStore wrapper) {
      inner = wrapper.delegate();
    }
    return inner;
  }

  @Override
  public Optional<ObjectInfo> stat(String key) throws IOException {
    return delegate.stat(key);
  }

  @Override
  public Optional<byte[]> read(String key) throws IOException {
    return delegate.read(key);
  }

  @Override
  public BlobSource openRange(String key, long offset, long length) throws IOException {
    return delegate.openRange(key, offset, length);
  }

  @Override
  public void write(String key, byte[] content) throws IOException {
    delegate.write(key, content);
  }

  @Override
  public void writeRevertible(String key, byte[] content) throws IOException {
    delegate.writeRevertible(key, content);
  }

  @Override
  public boolean writeIfAbsent(String key, byte[] content) throws IOException {
    return delegate.writeIfAbsent(key, content);
  }

  @Override
  public List<Boolean> writeAll(List<ObjectWrite> writes) throws IOException {
    return delegate.writeAll(writes);
  }

  @Override
  public KeyPage list(String prefix, Optional<String> startAfter, int limit) throws IOException {
    return delegate.list(prefix, startAfter, limit);
  }

  @Override
  public ListedPage listWithInfo(String prefix, Optional<String> startAfter, int limit)
      throws IOException {
    return delegate.listWithInfo(prefix, startAfter, limit);
  }

  @Override
  public ListedLevel listLevel(String prefix, Optional<String> startAfter, int limit)
      throws IOException {
    return delegate.listLevel(prefix, startAfter, limit);
  }

  @Override
  public boolean callsAreRoundTrips() {
    return delegate.callsAreRoundTrips();
  }

  @Override
  public int keysPerListCall() {
    return delegate.keysPerListCall();
  }

  @Override
  public void delete(Collection<String> keys) throws IOException {
    delegate.delete(keys);
  }

  @Override
  public void deleteDurably(Collection<String> keys) throws IOException {
    delegate.deleteDurably(keys);
  }

  @Override
  public MultipartWrite startMultipart(String key) throws IOException {
    return delegate.startMultipart(key);
  }

  @Override
  public MultipartWrite resumeMultipart(String key, String resumeToken) throws IOException {
    return delegate.resumeMultipart(key, resumeToken);
  }

  @Override
  public Optional<URI> presignedGet(String key, Duration ttl) throws IOException {
    return delegate.presignedGet(key, ttl);
  }

  @Override
  public List<String> sweepAbandonedWrites(Set<String> liveKeys, Instant before, boolean dryRun)
      throws IOException {
    return delegate.sweepAbandonedWrites(liveKeys, before, dryRun);
  }

  @Override
  public void close() throws IOException {
    delegate.close();
  }
}
