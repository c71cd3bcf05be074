package dev.lading.storage.s3;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The bytes of one part being gathered, at most {@code capacity} of them, in 256 KiB slabs
 * allocated as bytes arrive: a write that holds a 3-byte tail uses one slab of heap, not a whole
 * part, though its reservation in the {@link MemoryBudget} covers the whole part. Slabs are kept
 * when the buffer is cleared, so a long upload allocates a part's worth once.
 */
final class PartBuffer {
  /**
   * Under half a G1 region even at the smallest heaps (regions are 1 MiB up to a 2 GiB heap): an
   * array of half a region or more is "humongous", gets whole regions of its own, and a 1 MiB array
   * plus its header took two, so 1 MiB slabs held twice their bytes in heap.
   */
  static final int SLAB = 256 * 1024;

  private final long capacity;
  private final List<byte[]> slabs = new ArrayList<>();
  private long size;

  PartBuffer(long capacity) {
    if (capacity <= 0) {
      throw new IllegalArgumentException("capacity must be positive");
    }
    this.capacity = capacity;
  }

  long size() {
    return size;
  }

  long capacity() {
    return capacity;
  }

  boolean isFull() {
    return size == capacity;
  }

  /** Copies as many bytes of {@code src} as fit; returns how many. */
  int fill(ByteBuffer src) {
    int copied = 0;
    while (src.hasRemaining() && size < capacity) {
      int slabIndex = (int) (size / SLAB);
      int inSlab = (int) (size % SLAB);
      if (slabIndex == slabs.size()) {
        slabs.add(new byte[(int) Math.min(SLAB, capacity - (long) slabIndex * SLAB)]);
      }
      byte[] slab = slabs.get(slabIndex);
      int n = Math.min(src.remaining(), slab.length - inSlab);
      src.get(slab, inSlab, n);
      size += n;
      copied += n;
    }
    return copied;
  }

  /** Fills the buffer from {@code in} until it ends; returns the bytes read. */
  long fill(InputStream in) throws IOException {
    byte[] chunk = new byte[64 * 1024];
    long total = 0;
    int n;
    while (size < capacity
        && (n = in.read(chunk, 0, (int) Math.min(chunk.length, capacity - size))) > 0) {
      fill(ByteBuffer.wrap(chunk, 0, n));
      total += n;
    }
    return total;
  }

  void clear() {
    size = 0;
  }

  /** A fresh stream over the current bytes; the SDK asks again for each retry of a request. */
  InputStream newStream() {
    return new InputStream() {
      private long position;

      @Override
      public int read() {
        if (position >= size) {
          return -1;
        }
        byte b = slabs.get((int) (position / SLAB))[(int) (position % SLAB)];
        position++;
        return b & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (len == 0) {
          return 0;
        }
        if (position >= size) {
          return -1;
        }
        int total = 0;
        while (len > 0 && position < size) {
          byte[] slab = slabs.get((int) (position / SLAB));
          int inSlab = (int) (position % SLAB);
          int n = (int) Math.min(Math.min(len, slab.length - inSlab), size - position);
          System.arraycopy(slab, inSlab, b, off, n);
          position += n;
          off += n;
          len -= n;
          total += n;
        }
        return total;
      }

      @Override
      public int available() {
        return (int) Math.min(Integer.MAX_VALUE, size - position);
      }
    };
  }

  /** Drops the slabs so the heap can have them back. */
  void release() {
    slabs.clear();
    size = 0;
  }
}
