package dev.lading.server.metrics;

import static java.util.concurrent.TimeUnit.NANOSECONDS;

import dev.lading.core.storage.BlobSource;
import dev.lading.core.storage.ForwardingMultipartWrite;
import dev.lading.core.storage.ForwardingObjectStore;
import dev.lading.core.storage.KeyPage;
import dev.lading.core.storage.ListedLevel;
import dev.lading.core.storage.ListedPage;
import dev.lading.core.storage.MultipartWrite;
import dev.lading.core.storage.ObjectInfo;
import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.ObjectWrite;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The one metering wrapper around the storage SPI: every call the server makes to its store
 * (registry, GC, token keys, readiness) is timed as {@code lading_store_calls_seconds} by operation
 * and outcome ({@code ok}, {@code not_found} for a {@link NoSuchFileException}, which callers
 * expect and handle, {@code error} for any other failure). A slow or failing bucket shows here
 * before it shows as slow pushes.
 *
 * <p>Opening a range is timed up to the source being handed back; the stream's reads happen later,
 * paced by the client, and are counted by the HTTP byte counters instead.
 */
public final class MeteredObjectStore extends ForwardingObjectStore {
  /** Store operations, as the {@code operation} label spells them. */
  enum Op {
    STAT,
    READ,
    OPEN_RANGE,
    WRITE,
    WRITE_IF_ABSENT,
    WRITE_ALL,
    LIST,
    LIST_WITH_INFO,
    LIST_LEVEL,
    DELETE,
    START_MULTIPART,
    RESUME_MULTIPART,
    MULTIPART_WRITE,
    MULTIPART_SUSPEND,
    MULTIPART_COMPLETE,
    MULTIPART_ABORT,
    PRESIGNED_GET,
    SWEEP_ABANDONED_WRITES;

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Buckets from a local disk's fsync to an S3 part upload over a slow link. */
  static final Duration[] BUCKETS = {
    Duration.ofNanos(250_000), Duration.ofMillis(1), Duration.ofNanos(2_500_000),
        Duration.ofMillis(5),
    Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
    Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2_500),
    Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60)
  };

  /** One operation's timers; failures' are registered at their first occurrence. */
  private static final class Timers {
    final Timer ok;
    private final MeterRegistry registry;
    private final Op op;
    private volatile Timer notFound;
    private volatile Timer error;

    Timers(MeterRegistry registry, Op op) {
      this.registry = registry;
      this.op = op;
      this.ok = timer(registry, op, "ok");
    }

    Timer notFound() {
      Timer t = notFound;
      return t != null ? t : (notFound = timer(registry, op, "not_found"));
    }

    Timer error() {
      Timer t = error;
      return t != null ? t : (error = timer(registry, op, "error"));
    }
  }

  @FunctionalInterface
  private interface Call<T> {
    T run() throws IOException;
  }

  private final Map<Op, Timers> timers = new EnumMap<>(Op.class);

  public MeteredObjectStore(ObjectStore delegate, MeterRegistry registry) {
    super(delegate);
    // Successes are registered up front: every operation shows at zero from the start (a rate
    // works before the first call), and a call costs a field read instead of a registry lookup.
    // Failure series appear when they first happen, which keeps a healthy store's series few.
    for (Op op : Op.values()) {
      timers.put(op, new Timers(registry, op));
    }
  }

  private static Timer timer(MeterRegistry registry, Op op, String outcome) {
    return Timer.builder("lading.store.calls")
        .description("Calls to the storage backend by operation and outcome (ok, not_found, error)")
        .tag("operation", op.label())
        .tag("outcome", outcome)
        .serviceLevelObjectives(BUCKETS)
        .register(registry);
  }

  private <T> T timed(Op op, Call<T> call) throws IOException {
    long start = System.nanoTime();
    Timers t = timers.get(op);
    try {
      T result = call.run();
      t.ok.record(System.nanoTime() - start, NANOSECONDS);
      return result;
    } catch (NoSuchFileException e) {
      t.notFound().record(System.nanoTime() - start, NANOSECONDS);
      throw e;
    } catch (IOException | RuntimeException | Error e) {
      t.error().record(System.nanoTime() - start, NANOSECONDS);
      throw e;
    }
  }

  @Override
  public Optional<ObjectInfo> stat(String key) throws IOException {
    return timed(Op.STAT, () -> delegate.stat(key));
  }

  @Override
  public Optional<byte[]> read(String key) throws IOException {
    return timed(Op.READ, () -> delegate.read(key));
  }

  @Override
  public BlobSource openRange(String key, long offset, long length) throws IOException {
    return timed(Op.OPEN_RANGE, () -> delegate.openRange(key, offset, length));
  }

  @Override
  public void write(String key, byte[] content) throws IOException {
    timed(
        Op.WRITE,
        () -> {
          delegate.write(key, content);
          return null;
        });
  }

  /** Counted as a write: one store call either way. */
  @Override
  public void writeRevertible(String key, byte[] content) throws IOException {
    timed(
        Op.WRITE,
        () -> {
          delegate.writeRevertible(key, content);
          return null;
        });
  }

  @Override
  public boolean writeIfAbsent(String key, byte[] content) throws IOException {
    return timed(Op.WRITE_IF_ABSENT, () -> delegate.writeIfAbsent(key, content));
  }

  /** One call, however many writes it holds (the filesystem's index makes them one commit). */
  @Override
  public List<Boolean> writeAll(List<ObjectWrite> writes) throws IOException {
    return timed(Op.WRITE_ALL, () -> delegate.writeAll(writes));
  }

  @Override
  public KeyPage list(String prefix, Optional<String> startAfter, int limit) throws IOException {
    return timed(Op.LIST, () -> delegate.list(prefix, startAfter, limit));
  }

  @Override
  public ListedPage listWithInfo(String prefix, Optional<String> startAfter, int limit)
      throws IOException {
    return timed(Op.LIST_WITH_INFO, () -> delegate.listWithInfo(prefix, startAfter, limit));
  }

  @Override
  public ListedLevel listLevel(String prefix, Optional<String> startAfter, int limit)
      throws IOException {
    return timed(Op.LIST_LEVEL, () -> delegate.listLevel(prefix, startAfter, limit));
  }

  @Override
  public void delete(Collection<String> keys) throws IOException {
    timed(
        Op.DELETE,
        () -> {
          delegate.delete(keys);
          return null;
        });
  }

  /** Counted as a delete: one store call either way. */
  @Override
  public void deleteDurably(Collection<String> keys) throws IOException {
    timed(
        Op.DELETE,
        () -> {
          delegate.deleteDurably(keys);
          return null;
        });
  }

  @Override
  public MultipartWrite startMultipart(String key) throws IOException {
    return new MeteredWrite(timed(Op.START_MULTIPART, () -> delegate.startMultipart(key)));
  }

  @Override
  public MultipartWrite resumeMultipart(String key, String resumeToken) throws IOException {
    return new MeteredWrite(
        timed(Op.RESUME_MULTIPART, () -> delegate.resumeMultipart(key, resumeToken)));
  }

  @Override
  public Optional<URI> presignedGet(String key, Duration ttl) throws IOException {
    return timed(Op.PRESIGNED_GET, () -> delegate.presignedGet(key, ttl));
  }

  @Override
  public List<String> sweepAbandonedWrites(Set<String> liveKeys, Instant before, boolean dryRun)
      throws IOException {
    return timed(
        Op.SWEEP_ABANDONED_WRITES, () -> delegate.sweepAbandonedWrites(liveKeys, before, dryRun));
  }

  /** A multipart write whose appends, suspends, completion and abort are timed too. */
  private final class MeteredWrite extends ForwardingMultipartWrite {
    MeteredWrite(MultipartWrite write) {
      super(write);
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
      timed(
          Op.MULTIPART_WRITE,
          () -> {
            super.write(src);
            return null;
          });
    }

    @Override
    public String suspend() throws IOException {
      return timed(Op.MULTIPART_SUSPEND, super::suspend);
    }

    @Override
    public void complete() throws IOException {
      timed(
          Op.MULTIPART_COMPLETE,
          () -> {
            super.complete();
            return null;
          });
    }

    @Override
    public void abort() throws IOException {
      timed(
          Op.MULTIPART_ABORT,
          () -> {
            super.abort();
            return null;
          });
    }
  }
}
