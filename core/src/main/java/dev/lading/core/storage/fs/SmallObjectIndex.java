package dev.lading.core.storage.fs;

import dev.lading.core.storage.ListedObject;
import dev.lading.core.storage.ObjectInfo;
import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.lmdbjava.Cursor;
import org.lmdbjava.CursorIterable;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.GetOp;
import org.lmdbjava.KeyRange;
import org.lmdbjava.PutFlags;
import org.lmdbjava.Txn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The filesystem store's small objects (blob records, links, tags, upload states, markers) as
 * entries of one LMDB database instead of one file each: a file costs an inode, a directory entry
 * and two fsyncs (its content, then its directory), an entry costs a share of one commit.
 *
 * <p>Why LMDB: it is a B+tree in one memory-mapped file whose every commit is durable on return
 * (the pages fdatasynced, then the meta page written through a descriptor opened with O_DSYNC) and
 * which a crash can never leave half-written (copy-on-write: the last meta page that was synced
 * names a complete tree), it keeps keys in byte order (listings come out in the store's key order),
 * and several processes may open it at once with one writer at a time (its lock file), so the
 * offline commands and the servers of one machine still share a store as they share its files. It
 * must not be opened twice in one process (its locks belong to the process), so one instance per
 * directory is shared by every store of the process ({@link #open}, {@link #release}).
 *
 * <p>Group commit: callers hand their writes to one committer thread and wait; it applies every
 * write waiting at that moment in one transaction and commits once, so concurrent writers share one
 * pair of fdatasyncs. A writer returns only after the commit holding its write is durable, and the
 * writes of one caller are committed in the order it made them (each waits for the last).
 *
 * <p>Each value is the object's modification time (epoch milliseconds, 8 bytes big-endian) followed
 * by its content, which gives {@code stat} its size and time without a second record.
 */
final class SmallObjectIndex {
  private static final Logger LOG = LoggerFactory.getLogger(SmallObjectIndex.class);

  /** Address space reserved for the map, not disk: the file grows with what is stored. */
  private static final long MAP_BYTES = 1L << 40;

  /** Read transactions open at once across the processes (one per concurrent read). */
  private static final int MAX_READERS = 4096;

  /** Writes one transaction applies at most; the rest wait for the next commit. */
  private static final int MAX_BATCH = 4096;

  private static final int HEADER_BYTES = Long.BYTES;

  /** Idle read transactions kept for the next reads; beyond these, a finished one is closed. */
  private static final int MAX_IDLE_READS = 64;

  private static final Map<Path, SmallObjectIndex> OPEN = new HashMap<>();

  private final Path directory;
  private final Env<ByteBuffer> env;
  private final Dbi<ByteBuffer> db;
  private final int maxKeyBytes;
  private final LinkedBlockingQueue<Write> pending = new LinkedBlockingQueue<>();
  private final Thread committer;
  private int users;

  /**
   * Reads hold this shared while they use the environment; {@link #release} takes it exclusively to
   * close it, so a request still running when its server stops never reads a closed map.
   */
  private final ReentrantReadWriteLock use = new ReentrantReadWriteLock();

  private boolean closed;

  /**
   * Read transactions reset after their read, renewed by the next. A new one costs native memory
   * that jnr-ffi maps for each thread that allocates it (and unmaps from a finalizer), and every
   * request runs on a new virtual thread: opening one per read cost more CPU than the read. A reset
   * transaction keeps its reader slot but no snapshot, so it pins no pages.
   */
  private final ArrayBlockingQueue<Reader> idleReads = new ArrayBlockingQueue<>(MAX_IDLE_READS);

  /** Set by the committer once it has stopped: a write handed over after that fails. */
  private volatile boolean stopped;

  /** A read of the environment, in {@code reader}'s transaction. */
  @FunctionalInterface
  private interface Read<T> {
    T run(Reader reader);
  }

  /**
   * A read transaction and the direct buffer its keys go to LMDB in; both live as long as the
   * reader, which every read uses after its last LMDB call (so the key outlives the call).
   */
  private static final class Reader {
    final Txn<ByteBuffer> txn;
    ByteBuffer key;

    Reader(Txn<ByteBuffer> txn, int maxKeyBytes) {
      this.txn = txn;
      this.key = ByteBuffer.allocateDirect(maxKeyBytes);
    }

    /** {@code key} in this reader's key buffer, for the next call of this reader's. */
    ByteBuffer key(String key) {
      this.key = OwnedBufferProxy.direct(this.key, bytes(key));
      return this.key;
    }
  }

  private enum Kind {
    PUT,
    PUT_IF_ABSENT,
    DELETE
  }

  /** One change of an entry: a put of {@code value} at {@code key}, or its delete. */
  private record Op(Kind kind, byte[] key, byte[] value) {}

  /**
   * One caller's changes, committed together, with for each whether it changed anything (a
   * put-if-absent that found an entry did not); or, with {@code stop}, the committer's last.
   */
  private record Write(List<Op> ops, boolean stop, CompletableFuture<List<Boolean>> done) {}

  /** A put of a batch: {@link #apply}. */
  record Put(String key, byte[] content, boolean ifAbsent) {}

  private SmallObjectIndex(Path directory) throws IOException {
    this.directory = directory;
    // A new index must survive a crash with what is committed to it: its file's entry in its
    // directory, and the directory's in the store's root, are synced once it exists.
    boolean created = !Files.exists(directory.resolve("data.mdb"));
    Files.createDirectories(directory);
    // MDB_NOTLS: a read transaction is not tied to its OS thread, which a virtual thread may
    // change between two calls, and an idle one is renewed by whichever thread reads next.
    this.env =
        Env.create(OwnedBufferProxy.PROXY)
            .setMapSize(MAP_BYTES)
            .setMaxDbs(1)
            .setMaxReaders(MAX_READERS)
            .open(directory.toFile(), EnvFlags.MDB_NOTLS);
    // Reader slots of processes that died holding them would keep pages from being reused.
    int stale = env.readerCheck();
    if (stale > 0) {
      LOG.info("small-object index at {}: cleared {} stale readers", directory, stale);
    }
    this.db = env.openDbi("objects", DbiFlags.MDB_CREATE);
    if (created) {
      FilesystemStore.fsyncDirectory(directory);
      FilesystemStore.fsyncDirectory(directory.getParent());
    }
    this.maxKeyBytes = env.getMaxKeySize();
    this.committer =
        Thread.ofPlatform().daemon().name("lading-index-commit").start(this::commitLoop);
  }

  /** The index in {@code directory}, opened once per process and shared; {@link #release} it. */
  static SmallObjectIndex open(Path directory) throws IOException {
    Path canonical = directory.toAbsolutePath().normalize();
    synchronized (OPEN) {
      SmallObjectIndex index = OPEN.get(canonical);
      if (index == null) {
        index = new SmallObjectIndex(canonical);
        OPEN.put(canonical, index);
      }
      index.users++;
      return index;
    }
  }

  /** Ends one {@link #open}; the last one stops the committer and closes the environment. */
  void release() {
    synchronized (OPEN) {
      if (--users > 0) {
        return;
      }
      OPEN.remove(directory);
    }
    pending.add(new Write(List.of(), true, new CompletableFuture<>()));
    // The environment closes only once the committer thread has ended: a transaction it still
    // held (even one already committed, being closed) would find the environment gone.
    boolean interrupted = false;
    while (committer.isAlive()) {
      try {
        committer.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    use.writeLock().lock();
    try {
      closed = true;
      // Every read returns its transaction before it lets go of the shared lock: all are here.
      for (Reader reader = idleReads.poll(); reader != null; reader = idleReads.poll()) {
        reader.txn.close();
      }
      env.close();
    } finally {
      use.writeLock().unlock();
    }
  }

  private <T> T read(Read<T> read) throws IOException {
    use.readLock().lock();
    try {
      if (closed) {
        throw closed();
      }
      Reader reader = idleReads.poll();
      if (reader == null) {
        reader = new Reader(env.txnRead(), maxKeyBytes);
      } else {
        try {
          reader.txn.renew();
        } catch (RuntimeException e) {
          reader.txn.close();
          throw e;
        }
      }
      try {
        return read.run(reader);
      } finally {
        recycle(reader);
      }
    } finally {
      use.readLock().unlock();
    }
  }

  /** Keeps {@code reader}, done with, for the next read; closes it if it cannot be kept. */
  private void recycle(Reader reader) {
    try {
      reader.txn.reset();
    } catch (RuntimeException e) {
      reader.txn.close();
      return;
    }
    if (!idleReads.offer(reader)) {
      reader.txn.close();
    }
  }

  /** Whether {@code key} can be an entry here (LMDB bounds key length; longer keys stay files). */
  boolean fits(String key) {
    return key.length() <= maxKeyBytes;
  }

  /** Size and modification time of the entry at {@code key}. */
  Optional<ObjectInfo> stat(String key) throws IOException {
    return get(key).map(SmallObjectIndex::info);
  }

  /** The content of the entry at {@code key}. */
  Optional<byte[]> read(String key) throws IOException {
    return get(key).map(value -> Arrays.copyOfRange(value, HEADER_BYTES, value.length));
  }

  private Optional<byte[]> get(String key) throws IOException {
    return read(
        reader -> Optional.ofNullable(db.get(reader.txn, reader.key(key))).map(ByteBuffer::array));
  }

  /**
   * Entries whose keys start with {@code prefix}, in key order, strictly after {@code startAfter}
   * when given, at most {@code limit} of them.
   */
  List<ListedObject> list(String prefix, Optional<String> startAfter, int limit)
      throws IOException {
    if (limit == 0) {
      return List.of();
    }
    String from = seekFrom(prefix, startAfter);
    return read(reader -> listIn(reader, from, prefix, startAfter, limit));
  }

  private List<ListedObject> listIn(
      Reader reader, String from, String prefix, Optional<String> startAfter, int limit) {
    List<ListedObject> out = new ArrayList<>();
    KeyRange<ByteBuffer> range =
        from.isEmpty() ? KeyRange.all() : KeyRange.atLeast(reader.key(from));
    try (CursorIterable<ByteBuffer> entries = db.iterate(reader.txn, range)) {
      for (CursorIterable.KeyVal<ByteBuffer> entry : entries) {
        String key = ascii(entry.key());
        if (startAfter.isPresent() && key.compareTo(startAfter.get()) <= 0) {
          continue;
        }
        if (!key.startsWith(prefix)) {
          break;
        }
        out.add(new ListedObject(key, info(entry.val().array())));
        if (out.size() == limit) {
          break;
        }
      }
    }
    return out;
  }

  /**
   * One level of the entries under {@code prefix} (empty, or ending in {@code /}): the entries
   * directly under it ({@link ListedObject}s) and the deeper prefixes ({@code <prefix><segment>/},
   * as strings), in key order, strictly after {@code startAfter}, at most {@code limit} of them. A
   * deeper prefix costs one seek past it, not a walk of its entries.
   */
  List<Object> level(String prefix, Optional<String> startAfter, int limit) throws IOException {
    String from = seekFrom(prefix, startAfter);
    return read(reader -> levelIn(reader, from, prefix, startAfter, limit));
  }

  /**
   * Where a listing seeks to: the later of the prefix and startAfter, cut to a length LMDB takes (a
   * long startAfter names a file's key); what the seek lands on at or before startAfter is skipped.
   */
  private String seekFrom(String prefix, Optional<String> startAfter) {
    String from =
        startAfter.isPresent() && startAfter.get().compareTo(prefix) > 0
            ? startAfter.get()
            : prefix;
    return from.substring(0, Math.min(from.length(), maxKeyBytes));
  }

  private List<Object> levelIn(
      Reader reader, String from, String prefix, Optional<String> startAfter, int limit) {
    List<Object> out = new ArrayList<>();
    try (Cursor<ByteBuffer> cursor = db.openCursor(reader.txn)) {
      boolean found =
          from.isEmpty() ? cursor.first() : cursor.get(reader.key(from), GetOp.MDB_SET_RANGE);
      while (found && out.size() < limit) {
        String key = ascii(cursor.key());
        if (!key.startsWith(prefix)) {
          break;
        }
        int slash = key.indexOf('/', prefix.length());
        String item = slash < 0 ? key : key.substring(0, slash + 1);
        boolean after = startAfter.isEmpty() || item.compareTo(startAfter.get()) > 0;
        if (slash < 0) {
          if (after) {
            out.add(new ListedObject(key, info(cursor.val().array())));
          }
          found = cursor.next();
        } else {
          if (after) {
            out.add(item);
          }
          // Past every key under the prefix: '0' follows '/'.
          found =
              cursor.get(
                  reader.key(item.substring(0, item.length() - 1) + '0'), GetOp.MDB_SET_RANGE);
        }
      }
    }
    return out;
  }

  /** Puts {@code content} at {@code key}, durably, modified at {@code time}. */
  void put(String key, byte[] content, Instant time) throws IOException {
    submit(List.of(new Op(Kind.PUT, bytes(key), value(content, time))));
  }

  /**
   * Puts {@code content} at {@code key}, modified at {@code time}, unless an entry is there; true
   * when this put it.
   */
  boolean putIfAbsent(String key, byte[] content, Instant time) throws IOException {
    return submit(List.of(new Op(Kind.PUT_IF_ABSENT, bytes(key), value(content, time)))).get(0);
  }

  /**
   * The puts in one commit, durably, all modified at {@code time}: after a crash all of them are
   * there or none. For each, whether it was put (an if-absent put that found an entry was not).
   */
  List<Boolean> apply(List<Put> puts, Instant time) throws IOException {
    List<Op> ops = new ArrayList<>(puts.size());
    for (Put put : puts) {
      ops.add(
          new Op(
              put.ifAbsent() ? Kind.PUT_IF_ABSENT : Kind.PUT,
              bytes(put.key()),
              value(put.content(), time)));
    }
    return submit(ops);
  }

  /** Deletes the entries at {@code keys}, durably, all in one commit; missing keys are ignored. */
  void delete(Collection<String> keys) throws IOException {
    List<Op> ops = new ArrayList<>(keys.size());
    for (String key : keys) {
      if (fits(key)) {
        ops.add(new Op(Kind.DELETE, bytes(key), null));
      }
    }
    if (!ops.isEmpty()) {
      submit(ops);
    }
  }

  private List<Boolean> submit(List<Op> ops) throws IOException {
    Write write = new Write(ops, false, new CompletableFuture<>());
    if (stopped) {
      throw closed();
    }
    pending.add(write);
    // The committer sets stopped before it fails what is left in the queue: a write it did not
    // find there is still there, and fails here.
    if (stopped && pending.remove(write)) {
      throw closed();
    }
    try {
      return write.done().get();
    } catch (ExecutionException e) {
      throw new IOException("small-object index at " + directory + ": commit failed", e.getCause());
    } catch (InterruptedException e) {
      // The write may still commit: the caller treats it as a failure that may have passed, as
      // any interrupted store call.
      Thread.currentThread().interrupt();
      throw new IOException("interrupted waiting for the commit", e);
    }
  }

  private IOException closed() {
    return new IOException("small-object index at " + directory + " is closed");
  }

  private void commitLoop() {
    CommitBuffers buffers = new CommitBuffers();
    List<Write> batch = new ArrayList<>();
    List<List<Boolean>> results = new ArrayList<>();
    while (true) {
      try {
        batch.add(pending.take());
      } catch (InterruptedException e) {
        continue; // only release() stops the committer, by a STOP write
      }
      pending.drainTo(batch, MAX_BATCH - 1);
      boolean stop = false;
      Throwable failure = null;
      try (Txn<ByteBuffer> txn = env.txnWrite()) {
        for (Write write : batch) {
          results.add(apply(txn, write.ops(), buffers));
          stop |= write.stop();
        }
        txn.commit();
      } catch (RuntimeException | Error e) {
        // Nothing of the batch was committed (LMDB aborts the whole transaction).
        LOG.error(
            "small-object index at {}: commit of {} writes failed", directory, batch.size(), e);
        failure = e;
      }
      // Writers learn the outcome only after the transaction is closed, so that nobody acts on it
      // (a release closing the environment) while the committer still uses it.
      for (int i = 0; i < batch.size(); i++) {
        if (failure == null) {
          batch.get(i).done().complete(results.get(i));
        } else {
          batch.get(i).done().completeExceptionally(failure);
        }
      }
      batch.clear();
      results.clear();
      if (stop) {
        stopped = true;
        for (Write late; (late = pending.poll()) != null; ) {
          late.done().completeExceptionally(closed());
        }
        return;
      }
    }
  }

  /** The committer's direct buffers for keys and values, reused by every put and delete. */
  private static final class CommitBuffers {
    ByteBuffer key = ByteBuffer.allocateDirect(512);
    ByteBuffer value = ByteBuffer.allocateDirect(64 * 1024);
  }

  private List<Boolean> apply(Txn<ByteBuffer> txn, List<Op> ops, CommitBuffers buffers) {
    List<Boolean> changed = new ArrayList<>(ops.size());
    for (Op op : ops) {
      ByteBuffer key = buffers.key = OwnedBufferProxy.direct(buffers.key, op.key());
      changed.add(
          switch (op.kind()) {
            case PUT -> {
              db.put(txn, key, buffers.value = OwnedBufferProxy.direct(buffers.value, op.value()));
              yield true;
            }
            case PUT_IF_ABSENT ->
                db.put(
                    txn,
                    key,
                    buffers.value = OwnedBufferProxy.direct(buffers.value, op.value()),
                    PutFlags.MDB_NOOVERWRITE);
            case DELETE -> db.delete(txn, key);
          });
      // LMDB has copied what it keeps by now; until here the buffers must not be collected.
      Reference.reachabilityFence(buffers);
    }
    return changed;
  }

  private static byte[] bytes(String key) {
    return key.getBytes(StandardCharsets.US_ASCII);
  }

  private static String ascii(ByteBuffer key) {
    return StandardCharsets.US_ASCII.decode(key).toString();
  }

  private static byte[] value(byte[] content, Instant time) {
    byte[] value = new byte[HEADER_BYTES + content.length];
    ByteBuffer.wrap(value).putLong(time.toEpochMilli()).put(content);
    return value;
  }

  private static ObjectInfo info(byte[] value) {
    return new ObjectInfo(
        value.length - HEADER_BYTES, Instant.ofEpochMilli(ByteBuffer.wrap(value).getLong()));
  }
}
