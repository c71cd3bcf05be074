package dev.lading.core.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A store that stops the world at a chosen point, as a power failure or {@code kill -9} would: the
 * first {@code survivingChanges} calls that change the store go through, and the next one and every
 * call after it (reads too, on any thread) throw {@link Crash}. A test then opens the same store
 * again as a fresh process would and checks what the crash left.
 *
 * <p>What counts as a change: {@code write}, {@code writeIfAbsent}, {@code delete}, {@code
 * startMultipart}, {@code resumeMultipart} (the filesystem store truncates there), and a multipart
 * write's {@code write}, {@code suspend}, {@code complete} and {@code abort}. Reads never change
 * anything, so a crash before a read is the same as one after the previous change.
 *
 * <p>The crashing call itself may be torn, as a real crash can be inside an operation: a {@code
 * delete} of several keys removes the first half of them, a multipart {@code write} appends the
 * first half of its bytes (never made durable, as a crash before the suspend leaves them), and a
 * small {@code write} runs {@link #tornWrite} (the filesystem store's test leaves a staged file
 * behind, what a crash between its write and its rename leaves).
 *
 * <p>A {@link #writeRevertible} is undone at the crash, as the worst a real one may do to it (the
 * store promised only the content before or after): the key gets back what it held before the first
 * revertible write since its last durable change.
 *
 * <p>{@link Crash} is an {@link Error}: code under test that catches {@code RuntimeException} to
 * clean up must not run its cleanup against a store that, in the real world, is gone.
 */
public final class CrashingStore extends ForwardingObjectStore {

  /** The world stopped here. */
  public static final class Crash extends Error {
    Crash(String where) {
      super("crashed at " + where, null, false, false);
    }
  }

  /** What a small write leaves when the process dies inside it. */
  @FunctionalInterface
  public interface TornWrite {
    void leave(String key, byte[] content) throws IOException;
  }

  private final long survivingChanges;
  private final TornWrite tornWrite;
  private final AtomicLong changes = new AtomicLong();
  private volatile String crashedAt;

  /** Keys written revertibly since their last durable change, with what they held before. */
  private final Map<String, Optional<byte[]>> revertible = new ConcurrentHashMap<>();

  /** A store that never crashes and only counts the changes made through it. */
  public static CrashingStore counting(ObjectStore delegate) {
    return new CrashingStore(delegate, Long.MAX_VALUE, (k, c) -> {});
  }

  public CrashingStore(ObjectStore delegate, long survivingChanges, TornWrite tornWrite) {
    super(delegate);
    this.survivingChanges = survivingChanges;
    this.tornWrite = tornWrite;
  }

  /** Changes made (or attempted, the crashing one included) through this store. */
  public long changes() {
    return changes.get();
  }

  /** Where the world stopped, or empty while it runs. */
  public Optional<String> crashedAt() {
    return Optional.ofNullable(crashedAt);
  }

  /** Stops the world now, whatever the count: from here on every call throws {@link Crash}. */
  public void crashNow(String where) {
    crashedAt = where;
    revert();
  }

  /** The crash undoes every revertible write not made durable since (see the class comment). */
  private void revert() {
    for (Map.Entry<String, Optional<byte[]>> e : revertible.entrySet()) {
      try {
        if (e.getValue().isPresent()) {
          super.write(e.getKey(), e.getValue().get());
        } else {
          super.delete(List.of(e.getKey()));
        }
      } catch (IOException failed) {
        throw new UncheckedIOException(failed);
      }
    }
    revertible.clear();
  }

  private void alive() {
    String at = crashedAt;
    if (at != null) {
      throw new Crash(at + " (already down)");
    }
  }

  /**
   * Counts a change; true when it is the one that crashes (the caller may tear it, then throws).
   */
  private boolean crashesAt(String what) {
    alive();
    if (changes.incrementAndGet() > survivingChanges) {
      crashedAt = "change " + changes.get() + ": " + what;
      revert();
      return true;
    }
    return false;
  }

  private Crash crash() {
    return new Crash(crashedAt);
  }

  @Override
  public Optional<ObjectInfo> stat(String key) throws IOException {
    alive();
    return super.stat(key);
  }

  @Override
  public Optional<byte[]> read(String key) throws IOException {
    alive();
    return super.read(key);
  }

  @Override
  public BlobSource openRange(String key, long offset, long length) throws IOException {
    alive();
    return super.openRange(key, offset, length);
  }

  @Override
  public KeyPage list(String prefix, Optional<String> startAfter, int limit) throws IOException {
    alive();
    return super.list(prefix, startAfter, limit);
  }

  @Override
  public ListedPage listWithInfo(String prefix, Optional<String> startAfter, int limit)
      throws IOException {
    alive();
    return super.listWithInfo(prefix, startAfter, limit);
  }

  @Override
  public ListedLevel listLevel(String prefix, Optional<String> startAfter, int limit)
      throws IOException {
    alive();
    return super.listLevel(prefix, startAfter, limit);
  }

  @Override
  public void write(String key, byte[] content) throws IOException {
    if (crashesAt("write " + key)) {
      tornWrite.leave(key, content);
      throw crash();
    }
    super.write(key, content);
    revertible.remove(key);
  }

  @Override
  public void writeRevertible(String key, byte[] content) throws IOException {
    if (crashesAt("writeRevertible " + key)) {
      throw crash();
    }
    revertible.putIfAbsent(key, super.read(key));
    super.writeRevertible(key, content);
  }

  @Override
  public boolean writeIfAbsent(String key, byte[] content) throws IOException {
    if (crashesAt("writeIfAbsent " + key)) {
      tornWrite.leave(key, content);
      throw crash();
    }
    boolean written = super.writeIfAbsent(key, content);
    revertible.remove(key);
    return written;
  }

  /**
   * One write after another through this store's own calls, so a crash may fall between any two:
   * the weaker of what {@link ObjectStore#writeAll} allows, which every store gives (a prefix; the
   * writes of one step, {@link ObjectWrite#alongsidePrevious}, in either order). With an odd number
   * of surviving changes a step's writes go last first, with an even one first to last, so a sweep
   * over the crash points meets a crash inside a step in both orders.
   */
  @Override
  public List<Boolean> writeAll(List<ObjectWrite> writes) throws IOException {
    boolean lastFirst = survivingChanges % 2 == 1;
    List<Boolean> written = new ArrayList<>(writes.size());
    for (List<ObjectWrite> step : ObjectWrite.steps(writes)) {
      Boolean[] ofStep = new Boolean[step.size()];
      for (int k = 0; k < step.size(); k++) {
        int i = lastFirst ? step.size() - 1 - k : k;
        ofStep[i] = ObjectStore.writeSingle(this, step.get(i));
      }
      written.addAll(List.of(ofStep));
    }
    return written;
  }

  @Override
  public void delete(Collection<String> keys) throws IOException {
    if (crashesAt("delete " + keys)) {
      List<String> all = new ArrayList<>(keys);
      super.delete(all.subList(0, all.size() / 2));
      throw crash();
    }
    super.delete(keys);
    keys.forEach(revertible::remove);
  }

  /** A delete like any other here: what it may leave at a crash is what {@link #delete} leaves. */
  @Override
  public void deleteDurably(Collection<String> keys) throws IOException {
    delete(keys);
  }

  @Override
  public MultipartWrite startMultipart(String key) throws IOException {
    if (crashesAt("startMultipart " + key)) {
      throw crash();
    }
    return new Write(super.startMultipart(key));
  }

  @Override
  public MultipartWrite resumeMultipart(String key, String resumeToken) throws IOException {
    if (crashesAt("resumeMultipart " + key)) {
      throw crash();
    }
    return new Write(super.resumeMultipart(key, resumeToken));
  }

  @Override
  public List<String> sweepAbandonedWrites(Set<String> liveKeys, Instant before, boolean dryRun)
      throws IOException {
    if (!dryRun && crashesAt("sweepAbandonedWrites")) {
      throw crash();
    }
    alive();
    return super.sweepAbandonedWrites(liveKeys, before, dryRun);
  }

  /** A multipart write whose calls count and crash like the store's. */
  private final class Write extends ForwardingMultipartWrite {
    Write(MultipartWrite write) {
      super(write);
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
      if (crashesAt("multipart write of " + src.remaining() + " bytes to " + key())) {
        ByteBuffer half = src.duplicate();
        half.limit(half.position() + half.remaining() / 2);
        super.write(half);
        throw crash();
      }
      super.write(src);
    }

    @Override
    public String suspend() throws IOException {
      if (crashesAt("suspend " + key())) {
        throw crash();
      }
      return super.suspend();
    }

    @Override
    public void complete() throws IOException {
      if (crashesAt("complete " + key())) {
        throw crash();
      }
      super.complete();
    }

    @Override
    public void abort() throws IOException {
      if (crashesAt("abort " + key())) {
        throw crash();
      }
      super.abort();
    }
  }
}
