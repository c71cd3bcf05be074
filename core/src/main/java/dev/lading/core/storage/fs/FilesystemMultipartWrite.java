package dev.lading.core.storage.fs;

import com.sun.nio.file.ExtendedOpenOption;
import dev.lading.core.concurrent.Uninterruptibly;
import dev.lading.core.storage.MultipartWrite;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A multipart write on the filesystem: one file in the store's hidden {@code +multipart} directory,
 * appended in place, fsynced on {@link #suspend()} and renamed to its key on {@link #complete()}.
 * The resume token is the durable size, to which {@link FilesystemStore#resumeMultipart} truncates.
 *
 * <p>Where the filesystem allows it, whole blocks go to the disk with direct I/O ({@code O_DIRECT})
 * from one block-aligned staging buffer. A push is a long sequential write that nobody reads back
 * soon, and through the page cache it costs the kernel a page allocation and a copy per 4 KiB, then
 * leaves gigabytes dirty for the final fsync to wait on: measured on a 2-core VM, a buffered 2 GiB
 * write took 3.3 CPU seconds before its 3.3 s fsync, a direct one 0.3 CPU seconds in all. Direct
 * I/O needs block-aligned offsets and lengths, so the staging buffer always starts at a block
 * boundary of the file; the partial block left when a request ends is written through the page
 * cache, and a resumed write reads it back into the buffer and rewrites that block. On a filesystem
 * without direct I/O (tmpfs, some network filesystems) the write is buffered, and a background
 * {@code fdatasync} every {@link #WRITEBACK_BYTES} keeps the disk busy while the body still streams
 * instead of leaving all of it to the last fsync.
 *
 * <p>A full staging buffer goes to the disk on a platform thread while the next one fills, with up
 * to {@link #WRITES_IN_FLIGHT} writes in flight, so the caller keeps receiving and hashing
 * meanwhile. Positional writes to disjoint ranges need no lock between them. What the second write
 * in flight buys depends on the filesystem and the disk. fio on the 2-core VM once measured 353
 * MiB/s one at a time and 718 MiB/s two at a time for 1 MiB direct writes. A later bare Java
 * writer, whose writes extend the file as an upload's do, measured 650-971 MB/s with fsync at
 * either depth. (ext4 takes the inode lock exclusively for a direct write that extends the file, so
 * two such writes run one after the other.) Pushes with one and with two, in alternating runs,
 * differed by less than the disk moved from one minute to the next. Two stays: the second buffer is
 * only taken while the pool has plenty, and where the writes can overlap, the second write pays.
 *
 * <p>Memory per write is at most {@code WRITES_IN_FLIGHT + 1} buffers of {@link #STAGING_BYTES},
 * whatever the size; beyond the first, buffers are only taken while the pool has plenty (see {@link
 * DirectBuffers#tryTakeSpare}), so a busy store writes one block at a time per upload rather than
 * sending new uploads through the page cache.
 */
final class FilesystemMultipartWrite implements MultipartWrite {
  /** Size of the direct-I/O staging buffer; one per write, from {@link DirectBuffers}. */
  static final int STAGING_BYTES = 1 << 20;

  static final long WRITEBACK_BYTES = 32L << 20;

  /** Direct writes of one upload that may be in flight at once. */
  static final int WRITES_IN_FLIGHT = 2;

  private final FilesystemStore store;
  private final String key;
  private final Path file;

  /**
   * Whether the file's entry in its directory is durable: true for a write resumed from a token
   * (the suspend that made the token synced it), false for a new file until its first suspend.
   */
  private boolean entrySynced;

  /** Buffered channel: partial blocks, reading back, fsync; every write when direct is null. */
  private FileChannel channel;

  /** Direct-I/O channel, or null when this write goes through the page cache. */
  private FileChannel direct;

  /** Where {@link #staging} came from and goes back to; null with {@link #direct}. */
  private final DirectBuffers buffers;

  private final int blockBytes;

  /** Starts at file offset {@link #staged}, a multiple of {@link #blockBytes}; or null. */
  private ByteBuffer staging;

  private long staged;

  /** Full buffers being written, oldest first; each goes back to {@link #buffers} or is reused. */
  private final ArrayDeque<DirectWrite> inFlight = new ArrayDeque<>();

  private long size;

  /** A direct write that failed: the file has a hole, so nothing but abort may follow. */
  private IOException failed;

  private long sizeAtLastWriteback;
  private Thread writeback;

  private FilesystemMultipartWrite(
      FilesystemStore store,
      String key,
      FileChannel channel,
      FileChannel direct,
      DirectBuffers buffers,
      ByteBuffer staging,
      long size,
      boolean entrySynced)
      throws IOException {
    this.store = store;
    this.entrySynced = entrySynced;
    this.key = key;
    this.file = store.inProgressFile(key);
    this.channel = channel;
    this.direct = direct;
    this.buffers = buffers;
    this.staging = staging;
    this.blockBytes = direct == null ? 0 : buffers.alignment();
    this.size = size;
    this.sizeAtLastWriteback = size;
    if (direct == null) {
      this.staged = size;
      channel.position(size);
    } else {
      this.staged = size - size % blockBytes;
      // The partial last block goes back into the buffer, to be rewritten whole.
      staging.limit((int) (size - staged));
      while (staging.hasRemaining()) {
        if (channel.read(staging, staged + staging.position()) < 0) {
          throw new IOException("multipart data of " + key + " ended before " + size);
        }
      }
      staging.limit(staging.capacity());
    }
  }

  /**
   * Opens {@code file} (already {@code size} bytes long) for appending at {@code size}, with direct
   * I/O when {@code buffers} is there and has a buffer free.
   */
  static FilesystemMultipartWrite open(
      FilesystemStore store,
      String key,
      Path file,
      long size,
      DirectBuffers buffers,
      boolean entrySynced)
      throws IOException {
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    ByteBuffer staging = buffers == null ? null : buffers.tryTake().orElse(null);
    FileChannel direct = null;
    try {
      if (staging != null) {
        direct = FileChannel.open(file, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT);
      }
      return new FilesystemMultipartWrite(
          store,
          key,
          channel,
          direct,
          direct == null ? null : buffers,
          direct == null ? null : staging,
          size,
          entrySynced);
    } catch (IOException | RuntimeException e) {
      closeQuietly(direct);
      closeQuietly(channel);
      throw e;
    } finally {
      if (staging != null && direct == null) {
        buffers.give(staging);
      }
    }
  }

  /** True when whole blocks go to the disk with direct I/O. */
  boolean direct() {
    return direct != null;
  }

  @Override
  public String key() {
    return key;
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public void write(ByteBuffer src) throws IOException {
    FileChannel open = open();
    if (direct == null) {
      while (src.hasRemaining()) {
        size += open.write(src);
      }
      startWritebackIfDue(open);
      return;
    }
    while (src.hasRemaining()) {
      int n = Math.min(src.remaining(), staging.remaining());
      int limit = src.limit();
      staging.put(src.limit(src.position() + n));
      src.limit(limit);
      size += n;
      if (!staging.hasRemaining()) {
        sendStaging();
      }
    }
  }

  /**
   * Starts the direct write of the full staging buffer and stages into another: a spare one from
   * the pool while fewer than {@link #WRITES_IN_FLIGHT} are in flight, else the oldest in flight
   * once its write has finished.
   */
  private void sendStaging() throws IOException {
    staging.flip();
    inFlight.add(DirectWrite.start(direct, staging, staged));
    staged += staging.remaining();
    staging = null;
    if (inFlight.size() < WRITES_IN_FLIGHT) {
      staging = buffers.tryTakeSpare().orElse(null);
    }
    if (staging == null) {
      staging = finish(inFlight.remove());
    }
  }

  /**
   * Waits for {@code write}; returns its buffer, cleared. When the write failed, the buffer goes
   * back to the pool and the failure is kept, so nothing but abort follows.
   */
  private ByteBuffer finish(DirectWrite write) throws IOException {
    try {
      return write.await();
    } catch (IOException e) {
      buffers.give(write.buffer);
      failed = e;
      throw e;
    }
  }

  /** Waits for every write in flight; all their buffers go back to the pool. */
  private void awaitInFlight() throws IOException {
    IOException failure = null;
    while (!inFlight.isEmpty()) {
      try {
        buffers.give(finish(inFlight.remove()));
      } catch (IOException e) {
        failure = failure == null ? e : failure;
      }
    }
    if (failure != null) {
      failed = failure;
      throw failure;
    }
  }

  /** Writes the staged whole blocks with direct I/O and keeps the partial one staged. */
  private void writeWholeBlocks() throws IOException {
    int whole = staging.position() - staging.position() % blockBytes;
    if (whole == 0) {
      return;
    }
    ByteBuffer out = staging.duplicate().flip().limit(whole);
    while (out.hasRemaining()) {
      direct.write(out, staged + out.position());
    }
    staging.flip().position(whole);
    staging.compact();
    staged += whole;
  }

  /** Puts every appended byte in the file: whole blocks direct, the partial one buffered. */
  private void drainStaging() throws IOException {
    if (direct == null) {
      return;
    }
    awaitInFlight();
    writeWholeBlocks();
    ByteBuffer tail = staging.duplicate().flip();
    while (tail.hasRemaining()) {
      channel.write(tail, staged + tail.position());
    }
  }

  private void startWritebackIfDue(FileChannel open) {
    if (size - sizeAtLastWriteback < WRITEBACK_BYTES
        || (writeback != null && writeback.isAlive())) {
      return;
    }
    sizeAtLastWriteback = size;
    writeback =
        Thread.ofVirtual()
            .name("fs-writeback")
            .start(
                () -> {
                  try {
                    open.force(false);
                  } catch (IOException e) {
                    // Only a head start: the fsync of suspend() or complete() reports a failing
                    // disk.
                  }
                });
  }

  private void awaitWriteback() {
    if (writeback != null) {
      Uninterruptibly.join(writeback);
    }
  }

  @Override
  public String suspend() throws IOException {
    makeDurableAndClose();
    if (!entrySynced) {
      // The token names this file: the entry a new write created must outlive a crash with it.
      store.syncDirectory(file.getParent());
      entrySynced = true;
    }
    return Long.toString(size);
  }

  @Override
  public void complete() throws IOException {
    makeDurableAndClose();
    store.publishCompleted(file, key);
  }

  /** Puts every appended byte in the file, fsyncs it and closes the write, even on failure. */
  private void makeDurableAndClose() throws IOException {
    FileChannel open = open();
    try {
      drainStaging();
      awaitWriteback();
      open.force(true);
    } finally {
      close();
    }
  }

  @Override
  public void abort() throws IOException {
    if (channel != null) {
      awaitWriteback();
      close();
    }
    Files.deleteIfExists(file);
  }

  private void close() throws IOException {
    // The kernel may still be reading a buffer in flight: neither the channel nor the buffer
    // may go before the write has ended. Only failed paths get here with writes in flight.
    try {
      awaitInFlight();
    } catch (IOException ignored) {
      // the caller is already failing or aborting
    }
    FileChannel d = direct;
    direct = null;
    try {
      if (d != null) {
        d.close();
      }
    } finally {
      try {
        channel.close();
      } finally {
        channel = null;
        if (staging != null) {
          buffers.give(staging);
          staging = null;
        }
      }
    }
  }

  /** One full staging buffer being written with direct I/O on a pooled platform thread. */
  private static final class DirectWrite implements Runnable {
    /**
     * Platform threads, not virtual ones: a virtual thread would first need one of the few
     * carriers, which the upload's own hashing keeps busy, so on a 2-core machine the write started
     * only when the uploader blocked waiting for it, and the two writes in flight ran one after the
     * other. A blocked platform thread costs no carrier. Daemon threads, kept 60 s when idle, so
     * the pool needs no shutdown.
     */
    private static final ExecutorService THREADS =
        Executors.newCachedThreadPool(
            Thread.ofPlatform().daemon().name("fs-direct-write-", 0).factory());

    private final FileChannel channel;
    private final ByteBuffer buffer;
    private final long offset;
    private final CountDownLatch done = new CountDownLatch(1);
    private Exception failure;

    private DirectWrite(FileChannel channel, ByteBuffer buffer, long offset) {
      this.channel = channel;
      this.buffer = buffer;
      this.offset = offset;
    }

    static DirectWrite start(FileChannel channel, ByteBuffer buffer, long offset) {
      DirectWrite write = new DirectWrite(channel, buffer, offset);
      THREADS.execute(write);
      return write;
    }

    @Override
    public void run() {
      try {
        ByteBuffer out = buffer.duplicate();
        while (out.hasRemaining()) {
          channel.write(out, offset + out.position());
        }
      } catch (IOException | RuntimeException e) {
        failure = e;
      } finally {
        done.countDown();
      }
    }

    /** Waits for the write to end; returns the buffer, cleared, or throws what the write threw. */
    ByteBuffer await() throws IOException {
      // Even when interrupted: the kernel may be reading the buffer, which must not be reused
      // early.
      Uninterruptibly.await(done);
      if (failure != null) {
        throw failure instanceof IOException io ? io : new IOException(failure);
      }
      return buffer.clear();
    }
  }

  private static void closeQuietly(FileChannel c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException ignored) {
        // already failing
      }
    }
  }

  private FileChannel open() throws IOException {
    if (channel == null) {
      throw new IOException("multipart write of " + key + " is no longer open");
    }
    if (failed != null) {
      throw new IOException("multipart write of " + key + " failed earlier", failed);
    }
    return channel;
  }
}
