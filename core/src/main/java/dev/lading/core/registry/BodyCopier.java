package dev.lading.core.registry;

import dev.lading.core.concurrent.Uninterruptibly;
import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.storage.MultipartWrite;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Consumer;

/**
 * Streams a request body into a {@link MultipartWrite}, hashing every byte on the way, with the
 * hashing and the storing overlapped: the calling thread reads and hashes one buffer while a second
 * (virtual) thread hands the previous one to the store. Push speed is bounded by SHA-256 plus the
 * store's write, and done one after the other they leave a core idle; done side by side the slower
 * of the two sets the pace.
 *
 * <p>Memory is {@link #BUFFERS} constant-size buffers per upload whatever the body's size. The
 * write is touched by one thread at a time (only the writer thread until it has stopped), and
 * {@link #copy} returns or throws only after the writer has stopped, so the caller may suspend,
 * complete or abort the write as soon as it returns.
 */
final class BodyCopier {
  static final int BUFFER_BYTES = 256 * 1024;

  /**
   * Buffers per copy. While the store is busy with a slow write (a 1 MiB direct write to the disk,
   * an S3 part waiting to go), the reader keeps hashing into the others, so when the store is free
   * again the next megabyte is ready at once instead of still to be received and hashed.
   */
  static final int BUFFERS = 4;

  /**
   * Bodies of at most this many bytes with a declared length are read whole ({@link #readSmall})
   * and stored as one object: a small layer, a config. The buffers and the writer thread of a copy
   * would cost far more than the bytes, and on the filesystem a multipart write opens two channels
   * where one staged file does; on S3 one PUT replaces the three calls of a multipart upload.
   */
  static final int SMALL_BODY_BYTES = 64 * 1024;

  private static final ByteBuffer END = ByteBuffer.allocate(0);

  private BodyCopier() {}

  /** Whether a body of this declared length is read whole by {@link #readSmall}. */
  static boolean isSmall(OptionalLong declared) {
    return declared.isPresent() && declared.getAsLong() <= SMALL_BODY_BYTES;
  }

  /**
   * Reads a body whose declared length {@link #isSmall} is, whole.
   *
   * @throws RegistryException {@code BLOB_UPLOAD_INVALID} when the body breaks off, {@code
   *     SIZE_INVALID} when it is shorter or longer than declared
   */
  static byte[] readSmall(InputStream body, OptionalLong declared) {
    int length = Math.toIntExact(declared.orElseThrow());
    byte[] bytes;
    boolean more;
    try {
      bytes = body.readNBytes(length);
      more = bytes.length == length && body.read() >= 0;
    } catch (IOException e) {
      throw ErrorCode.BLOB_UPLOAD_INVALID.exception("request body ended early").withCause(e);
    }
    if (bytes.length != length || more) {
      throw ErrorCode.SIZE_INVALID
          .exception()
          .withDetail(
              Map.of("declared", length, "received", more ? "more than declared" : bytes.length));
    }
    return bytes;
  }

  /**
   * Copies {@code body} to its end into {@code write}; {@code hash} sees each buffer (its remaining
   * bytes, in order) before the store does. Returns the number of bytes copied. {@code progress}
   * tells a caller that catches the failure how far the copy got: when the store did not fail,
   * every byte counted there was both hashed and written.
   *
   * @throws RegistryException {@code BLOB_UPLOAD_INVALID} when the body breaks off, {@code
   *     STORAGE_UNAVAILABLE} when the store fails
   */
  static long copy(
      InputStream body, MultipartWrite write, Consumer<ByteBuffer> hash, Progress progress) {
    // Room for every buffer and an end marker, so handing over never waits on a dead writer.
    BlockingQueue<ByteBuffer> free = new ArrayBlockingQueue<>(BUFFERS + 1);
    BlockingQueue<ByteBuffer> full = new ArrayBlockingQueue<>(BUFFERS + 1);
    for (int i = 0; i < BUFFERS; i++) {
      free.add(ByteBuffer.allocate(BUFFER_BYTES));
    }
    Writer writer = new Writer(write, full, free);
    Thread thread = Thread.ofVirtual().name("upload-store-writer").start(writer);
    try {
      while (true) {
        ByteBuffer buffer = free.take();
        writer.rethrow();
        int n = fill(body, buffer.array(), progress);
        if (n <= 0) {
          return progress.bytes;
        }
        buffer.clear().limit(n);
        hash.accept(buffer.duplicate());
        full.put(buffer);
        progress.bytes += n;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw StorageCalls.unavailable(new InterruptedIOException("interrupted while uploading"));
    } finally {
      full.add(END);
      Uninterruptibly.join(thread);
      writer.rethrow();
    }
  }

  private static int fill(InputStream body, byte[] bytes, Progress progress) {
    try {
      return body.readNBytes(bytes, 0, bytes.length);
    } catch (IOException e) {
      progress.bodyBroke = true;
      throw ErrorCode.BLOB_UPLOAD_INVALID.exception("request body ended early").withCause(e);
    }
  }

  /** How far a copy got: bytes hashed and handed to the store, and whether the body broke off. */
  static final class Progress {
    private long bytes;
    private boolean bodyBroke;

    long bytes() {
      return bytes;
    }

    boolean bodyBroke() {
      return bodyBroke;
    }
  }

  /** Takes filled buffers, stores them, gives them back empty; stops at {@link #END}. */
  private static final class Writer implements Runnable {
    private final MultipartWrite write;
    private final BlockingQueue<ByteBuffer> full;
    private final BlockingQueue<ByteBuffer> free;

    /** A RuntimeException, or an Error (which must reach the reader too, or it waits forever). */
    private volatile Throwable failure;

    Writer(MultipartWrite write, BlockingQueue<ByteBuffer> full, BlockingQueue<ByteBuffer> free) {
      this.write = write;
      this.full = full;
      this.free = free;
    }

    @Override
    public void run() {
      try {
        while (true) {
          ByteBuffer buffer = full.take();
          if (buffer == END) {
            return;
          }
          while (buffer.hasRemaining()) {
            write.write(buffer);
          }
          free.put(buffer);
        }
      } catch (IOException | RuntimeException e) {
        failure = e instanceof RuntimeException r ? r : StorageCalls.unavailable(e);
      } catch (InterruptedException e) {
        failure = StorageCalls.unavailable(new InterruptedIOException("store writer interrupted"));
      } catch (Error e) {
        failure = e;
      } finally {
        if (failure != null) {
          free.add(END); // wakes the reader, which then sees the failure
        }
      }
    }

    void rethrow() {
      switch (failure) {
        case null -> {}
        case RuntimeException r -> throw r;
        case Error e -> throw e;
        default -> throw new IllegalStateException(failure);
      }
    }
  }
}
