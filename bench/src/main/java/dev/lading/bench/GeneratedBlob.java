package dev.lading.bench;

import dev.lading.core.model.Digest;
import dev.lading.core.model.DigestAlgorithm;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Blob content made up on demand: a 1 MiB block of seeded random bytes, with the block's index
 * stamped into its first bytes so no two blocks (and no two seeds) are alike. Generation is a
 * memory copy, far faster than any registry, so the client never stores a multi-GiB blob and never
 * becomes the bottleneck. Any byte range can be regenerated, which chunked uploads need.
 */
final class GeneratedBlob {

  static final int BLOCK = 1 << 20;

  private final long seed;
  private final long size;
  private final byte[] base = new byte[BLOCK];
  private Digest digest;

  GeneratedBlob(long seed, long size) {
    if (size < 0) {
      throw new IllegalArgumentException("size must be >= 0, was " + size);
    }
    this.seed = seed;
    this.size = size;
    new SplittableRandom(seed).nextBytes(base);
  }

  long size() {
    return size;
  }

  /** The blob's SHA-256, computed once in a streaming pass over the generated content. */
  synchronized Digest digest() {
    if (digest == null) {
      MessageDigest sha = DigestAlgorithm.SHA256.newMessageDigest();
      byte[] block = new byte[BLOCK];
      for (long offset = 0; offset < size; offset += BLOCK) {
        int length = (int) Math.min(BLOCK, size - offset);
        fill(offset / BLOCK, block);
        sha.update(block, 0, length);
      }
      digest = Digest.of(DigestAlgorithm.SHA256, sha.digest());
    }
    return digest;
  }

  /** Writes bytes {@code [offset, offset + length)} of the blob. */
  void writeTo(OutputStream out, long offset, long length) throws IOException {
    if (offset < 0 || length < 0 || offset + length > size) {
      throw new IllegalArgumentException(
          "range " + offset + "+" + length + " outside a blob of " + size + " bytes");
    }
    byte[] block = new byte[BLOCK];
    long end = offset + length;
    long position = offset;
    while (position < end) {
      long index = position / BLOCK;
      int within = (int) (position % BLOCK);
      int count = (int) Math.min(BLOCK - within, end - position);
      fill(index, block);
      out.write(block, within, count);
      position += count;
    }
  }

  /**
   * A sink for bytes {@code [offset, ...)} of this blob as a server returns them: it compares them
   * with the generated content as they arrive and fails on the first byte that differs or on a byte
   * past the blob's end, so a pull of any size is checked without holding it.
   */
  OutputStream checker(long offset) {
    return new OutputStream() {
      private final byte[] block = new byte[BLOCK];
      private long position = offset;
      private long filled = -1;

      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] bytes, int from, int length) throws IOException {
        if (position + length > size) {
          throw new IOException("bytes past the blob's end at " + (position + length));
        }
        int done = 0;
        while (done < length) {
          long index = position / BLOCK;
          int within = (int) (position % BLOCK);
          if (filled != index) {
            fill(index, block);
            filled = index;
          }
          int count = Math.min(BLOCK - within, length - done);
          if (Arrays.mismatch(
                  bytes, from + done, from + done + count, block, within, within + count)
              >= 0) {
            throw new IOException("content differs near byte " + position);
          }
          position += count;
          done += count;
        }
      }
    };
  }

  private void fill(long index, byte[] block) {
    System.arraycopy(base, 0, block, 0, BLOCK);
    ByteBuffer.wrap(block).putLong(0, index ^ (seed * 0x9E3779B97F4A7C15L));
  }
}
