package dev.lading.conformance;

import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;

/**
 * {@code size} bytes made as they are read, never held: a fixed random megabyte with its index
 * written over its first eight bytes, so no two megabytes are alike and any range can be recomputed
 * ({@link #bytes}). Hashed as it is read, so a test of gigabytes knows the digest to push without
 * holding or reading the content twice.
 */
final class GeneratedBody extends InputStream {
  private static final int BLOCK = 1 << 20;
  private static final byte[] PATTERN = pattern();
  private final long size;
  private final MessageDigest sha;
  private long position;

  GeneratedBody(long size) {
    this.size = size;
    try {
      this.sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private static byte[] pattern() {
    byte[] b = new byte[BLOCK];
    new Random(2026).nextBytes(b);
    return b;
  }

  static byte byteAt(long p) {
    long block = p / BLOCK;
    int offset = (int) (p % BLOCK);
    return offset < 8 ? (byte) (block >>> (8 * offset)) : PATTERN[offset];
  }

  /** The {@code length} bytes from {@code from} on, as a body of any size has them there. */
  static byte[] bytes(long from, int length) {
    byte[] out = new byte[length];
    for (int i = 0; i < length; i++) {
      out[i] = byteAt(from + i);
    }
    return out;
  }

  @Override
  public int read() {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) {
    if (position >= size) {
      return -1;
    }
    int offset = (int) (position % BLOCK);
    int n = (int) Math.min(Math.min(len, BLOCK - offset), size - position);
    System.arraycopy(PATTERN, offset, b, off, n);
    long block = position / BLOCK;
    for (int i = offset; i < 8 && i < offset + n; i++) {
      b[off + i - offset] = (byte) (block >>> (8 * i));
    }
    sha.update(b, off, n);
    position += n;
    return n;
  }

  /** The digest of everything read; call after the last byte. */
  String digest() {
    if (position != size) {
      throw new IllegalStateException("read " + position + " of " + size + " bytes");
    }
    return "sha256:" + HexFormat.of().formatHex(sha.digest());
  }
}
