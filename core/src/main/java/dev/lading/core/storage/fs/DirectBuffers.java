package dev.lading.core.storage.fs;

import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The block-aligned direct buffers the filesystem store's uploads write through, shared by all of
 * them and kept for reuse: direct memory is freed only when the collector gets to it, so a buffer
 * per request would pile up between collections. At most {@link #limit} are out at once; an upload
 * that finds none free writes through the page cache instead of waiting, so a burst of uploads can
 * neither exhaust the JVM's direct memory nor queue behind each other.
 */
final class DirectBuffers {
  private final int bufferBytes;
  private final int alignment;
  private final int limit;
  private final AtomicInteger out = new AtomicInteger();
  private final ConcurrentLinkedQueue<ByteBuffer> free = new ConcurrentLinkedQueue<>();

  DirectBuffers(int bufferBytes, int alignment, int limit) {
    if (alignment <= 0 || Integer.bitCount(alignment) != 1 || bufferBytes % alignment != 0) {
      throw new IllegalArgumentException(
          "buffers of " + bufferBytes + " bytes aligned to " + alignment);
    }
    this.bufferBytes = bufferBytes;
    this.alignment = alignment;
    this.limit = limit;
  }

  int alignment() {
    return alignment;
  }

  /** A cleared buffer, or empty when {@link #limit} buffers are out. */
  Optional<ByteBuffer> tryTake() {
    return take(limit);
  }

  /**
   * A cleared buffer for an upload that already has one, or empty when half the pool is out: a
   * second buffer only makes one upload faster, and must not leave the next upload without its
   * first.
   */
  Optional<ByteBuffer> tryTakeSpare() {
    return take(limit / 2);
  }

  private Optional<ByteBuffer> take(int bound) {
    while (true) {
      int now = out.get();
      if (now >= bound) {
        return Optional.empty();
      }
      if (out.compareAndSet(now, now + 1)) {
        break;
      }
    }
    ByteBuffer buffer = free.poll();
    if (buffer == null) {
      buffer = ByteBuffer.allocateDirect(bufferBytes + alignment).alignedSlice(alignment);
    }
    return Optional.of(buffer.clear());
  }

  /** Gives back a buffer from {@link #tryTake}; it must not be used afterwards. */
  void give(ByteBuffer buffer) {
    free.add(buffer);
    out.decrementAndGet();
  }

  /** Buffers taken and not given back. */
  int out() {
    return out.get();
  }
}
