package dev.lading.core.hash;

import dev.lading.core.model.Digest;
import dev.lading.core.model.DigestAlgorithm;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Optional;

/**
 * A SHA-256 whose state can be saved after any byte and restored in another process, so an upload
 * session continues hashing where the last chunk stopped instead of re-reading the blob.
 *
 * <p>It uses the JDK's own implementation ({@code sun.security.provider.SHA2.SHA256}, about ten
 * times faster than Bouncy Castle's thanks to CPU intrinsics) and reads its private fields ({@code
 * state} in {@code SHA2}; {@code buffer}, {@code bufOfs}, {@code bytesProcessed} in {@code
 * DigestBase}). That needs {@code --add-opens java.base/sun.security.provider=ALL-UNNAMED} (the jar
 * manifest and surefire add it). When the package is not open or the JDK's fields changed, {@link
 * #isResumable()} is false, {@link #exportState()} is empty and callers fall back to re-reading the
 * bytes; hashing itself always works (plain {@link MessageDigest}).
 */
public final class ResumableSha256 {
  private static final int STATE_VERSION = 1;
  private static final Jdk JDK = Jdk.probe();

  private final Object spi; // sun.security.provider.SHA2$SHA256, when resumable
  private final MessageDigest plain; // otherwise
  private byte[] scratch;

  private ResumableSha256(Object spi, MessageDigest plain) {
    this.spi = spi;
    this.plain = plain;
  }

  /** A fresh digest; resumable when the JDK allows it. */
  public static ResumableSha256 create() {
    if (JDK != null) {
      try {
        return new ResumableSha256(JDK.newSpi(), null);
      } catch (Throwable e) {
        // fall through to the plain digest
      }
    }
    return new ResumableSha256(null, DigestAlgorithm.SHA256.newMessageDigest());
  }

  /** A plain, non-resumable digest (the fallback path, also for tests). */
  public static ResumableSha256 createPlain() {
    return new ResumableSha256(null, DigestAlgorithm.SHA256.newMessageDigest());
  }

  /** True when this JVM lets the state be exported and restored. */
  public static boolean resumableAvailable() {
    return JDK != null;
  }

  /**
   * A digest restored from {@link #exportState()}'s bytes; empty when this JVM cannot restore (the
   * caller then rebuilds the digest by re-reading the bytes).
   */
  public static Optional<ResumableSha256> restore(byte[] exported) {
    if (JDK == null) {
      return Optional.empty();
    }
    ByteBuffer in = ByteBuffer.wrap(exported);
    if (in.remaining() < 4 + 32 + 4 + 8 || in.getInt() != STATE_VERSION) {
      throw new IllegalArgumentException("not a SHA-256 state of this version");
    }
    int[] state = new int[8];
    for (int i = 0; i < 8; i++) {
      state[i] = in.getInt();
    }
    int bufOfs = in.getInt();
    long bytesProcessed = in.getLong();
    if (bufOfs < 0
        || bufOfs >= 64
        || in.remaining() != bufOfs
        || bytesProcessed < 0
        || bytesProcessed % 64 != bufOfs) {
      throw new IllegalArgumentException("corrupt SHA-256 state");
    }
    byte[] pending = new byte[bufOfs];
    in.get(pending);
    try {
      Object spi = JDK.newSpi();
      JDK.setState(spi, state, pending, bufOfs, bytesProcessed);
      return Optional.of(new ResumableSha256(spi, null));
    } catch (Throwable e) {
      return Optional.empty();
    }
  }

  public boolean isResumable() {
    return spi != null;
  }

  public void update(byte[] bytes, int offset, int length) {
    if (spi == null) {
      plain.update(bytes, offset, length);
      return;
    }
    try {
      JDK.update.invoke(spi, bytes, offset, length);
    } catch (Throwable e) {
      throw new IllegalStateException("SHA-256 update failed", e);
    }
  }

  /** Hashes the remaining bytes of {@code buffer} without changing its position. */
  public void update(ByteBuffer buffer) {
    ByteBuffer view = buffer.duplicate();
    if (view.hasArray()) {
      update(view.array(), view.arrayOffset() + view.position(), view.remaining());
      return;
    }
    if (spi == null) {
      plain.update(view);
      return;
    }
    if (scratch == null) {
      scratch = new byte[64 * 1024];
    }
    while (view.hasRemaining()) {
      int n = Math.min(scratch.length, view.remaining());
      view.get(scratch, 0, n);
      update(scratch, 0, n);
    }
  }

  /** Bytes hashed so far (only known for a resumable digest). */
  public Optional<Long> bytesHashed() {
    if (spi == null) {
      return Optional.empty();
    }
    return Optional.of(JDK.bytesProcessed(spi));
  }

  /**
   * The state after every byte hashed so far, a few dozen bytes; empty when not resumable. Format:
   * version, eight state words, pending-buffer length, bytes processed, pending bytes.
   */
  public Optional<byte[]> exportState() {
    if (spi == null) {
      return Optional.empty();
    }
    try {
      int[] state = JDK.state(spi);
      int bufOfs = JDK.bufOfs(spi);
      byte[] buffer = JDK.buffer(spi);
      long processed = JDK.bytesProcessed(spi);
      ByteBuffer out = ByteBuffer.allocate(4 + 32 + 4 + 8 + bufOfs);
      out.putInt(STATE_VERSION);
      for (int word : state) {
        out.putInt(word);
      }
      out.putInt(bufOfs);
      out.putLong(processed);
      out.put(buffer, 0, bufOfs);
      return Optional.of(out.array());
    } catch (Throwable e) {
      return Optional.empty();
    }
  }

  /** Finishes the hash; the object is reset afterwards. */
  public Digest digest() {
    if (spi == null) {
      return Digest.of(DigestAlgorithm.SHA256, plain.digest());
    }
    try {
      return Digest.of(DigestAlgorithm.SHA256, (byte[]) JDK.digest.invoke(spi));
    } catch (Throwable e) {
      throw new IllegalStateException("SHA-256 digest failed", e);
    }
  }

  /** Reflective access to the JDK's SHA-256, or {@code null} when the JVM does not allow it. */
  private record Jdk(
      Constructor<?> constructor,
      Field state,
      Field buffer,
      Field bufOfs,
      Field bytesProcessed,
      MethodHandle update,
      MethodHandle digest) {

    static Jdk probe() {
      try {
        Class<?> sha256 = Class.forName("sun.security.provider.SHA2$SHA256");
        Constructor<?> constructor = sha256.getDeclaredConstructor();
        constructor.setAccessible(true);
        Field state = field(sha256, "state");
        Field buffer = field(sha256, "buffer");
        Field bufOfs = field(sha256, "bufOfs");
        Field processed = field(sha256, "bytesProcessed");
        Class<?> digestBase = bufOfs.getDeclaringClass();
        MethodHandles.Lookup lookup =
            MethodHandles.privateLookupIn(digestBase, MethodHandles.lookup());
        MethodHandle update =
            lookup
                .findVirtual(
                    digestBase,
                    "engineUpdate",
                    MethodType.methodType(void.class, byte[].class, int.class, int.class))
                .asType(
                    MethodType.methodType(
                        void.class, Object.class, byte[].class, int.class, int.class));
        MethodHandle digest =
            lookup
                .findVirtual(digestBase, "engineDigest", MethodType.methodType(byte[].class))
                .asType(MethodType.methodType(Object.class, Object.class));
        Jdk jdk = new Jdk(constructor, state, buffer, bufOfs, processed, update, digest);
        jdk.selfTest();
        return jdk;
      } catch (Throwable e) {
        return null;
      }
    }

    private static Field field(Class<?> type, String name) throws NoSuchFieldException {
      for (Class<?> c = type; c != null; c = c.getSuperclass()) {
        try {
          Field f = c.getDeclaredField(name);
          f.setAccessible(true);
          return f;
        } catch (NoSuchFieldException e) {
          // look in the superclass
        }
      }
      throw new NoSuchFieldException(name);
    }

    Object newSpi() throws ReflectiveOperationException {
      return constructor.newInstance();
    }

    int[] state(Object spi) throws IllegalAccessException {
      return ((int[]) state.get(spi)).clone();
    }

    byte[] buffer(Object spi) throws IllegalAccessException {
      return (byte[]) buffer.get(spi);
    }

    int bufOfs(Object spi) throws IllegalAccessException {
      return bufOfs.getInt(spi);
    }

    long bytesProcessed(Object spi) {
      try {
        return bytesProcessed.getLong(spi);
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(e);
      }
    }

    void setState(Object spi, int[] words, byte[] pending, int ofs, long processed)
        throws IllegalAccessException {
      int[] target = (int[]) state.get(spi);
      System.arraycopy(words, 0, target, 0, 8);
      byte[] buf = (byte[]) buffer.get(spi);
      Arrays.fill(buf, (byte) 0);
      System.arraycopy(pending, 0, buf, 0, ofs);
      bufOfs.setInt(spi, ofs);
      bytesProcessed.setLong(spi, processed);
    }

    /** Proves on this JVM that export and restore give the plain digest's answer. */
    void selfTest() throws Throwable {
      byte[] data = new byte[1000];
      for (int i = 0; i < data.length; i++) {
        data[i] = (byte) (i * 31 + 7);
      }
      Object first = newSpi();
      update.invoke(first, data, 0, 333);
      Object second = newSpi();
      setState(
          second,
          state(first),
          Arrays.copyOf(buffer(first), bufOfs(first)),
          bufOfs(first),
          bytesProcessed(first));
      update.invoke(second, data, 333, data.length - 333);
      byte[] resumed = (byte[]) digest.invoke(second);
      byte[] expected = DigestAlgorithm.SHA256.newMessageDigest().digest(data);
      if (!Arrays.equals(resumed, expected)) {
        throw new IllegalStateException("restored SHA-256 state gives a wrong digest");
      }
    }
  }
}
