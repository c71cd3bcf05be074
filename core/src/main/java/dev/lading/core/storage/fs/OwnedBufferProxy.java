package dev.lading.core.storage.fs;

import java.nio.ByteBuffer;
import java.util.Comparator;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.provider.MemoryManager;
import org.lmdbjava.BufferProxy;

/**
 * How keys and values cross into LMDB for the {@link SmallObjectIndex}: what goes in is a direct
 * buffer its caller owns and keeps referenced until the call returns; what comes out is copied onto
 * the heap before the transaction moves on.
 *
 * <p>Why not LmdbJava's byte-array proxy: it copies each key and value into native memory that
 * nothing references once the copy is made, so a collection before the native call reads it may
 * free it under LMDB (jnr-ffi releases a thread's page of such memory once its pointers are
 * collected). Under allocation pressure that stored values under keys they were not written to and
 * crashed the JVM in {@code mdb_put}. And not its {@code ByteBuffer} proxies: they reach into the
 * JDK's internals ({@code sun.nio.ch}, a buffer's address field), which a plain {@code java -jar}
 * does not open.
 */
final class OwnedBufferProxy extends BufferProxy<ByteBuffer> {
  static final OwnedBufferProxy PROXY = new OwnedBufferProxy();

  private static final Runtime RUNTIME = Runtime.getSystemRuntime();
  private static final MemoryManager MEMORY = RUNTIME.getMemoryManager();

  /** LMDB's own order: bytes compared unsigned, a prefix first. */
  private static final Comparator<ByteBuffer> UNSIGNED =
      (a, b) -> {
        int mismatch = a.mismatch(b);
        if (mismatch < 0) {
          return 0;
        }
        if (mismatch == a.remaining() || mismatch == b.remaining()) {
          return a.remaining() - b.remaining();
        }
        return Byte.toUnsignedInt(a.get(a.position() + mismatch))
            - Byte.toUnsignedInt(b.get(b.position() + mismatch));
      };

  private OwnedBufferProxy() {}

  /** Where the key or value of a call reads its bytes from: {@code bytes}, in a direct buffer. */
  static ByteBuffer direct(ByteBuffer reuse, byte[] bytes) {
    ByteBuffer buffer =
        reuse.capacity() >= bytes.length
            ? reuse.clear()
            : ByteBuffer.allocateDirect(Math.max(bytes.length, 2 * reuse.capacity()));
    return buffer.put(bytes).flip();
  }

  @Override
  protected ByteBuffer allocate() {
    return ByteBuffer.allocate(0);
  }

  @Override
  protected void deallocate(ByteBuffer buffer) {
    // heap buffers: the collector's
  }

  @Override
  protected byte[] getBytes(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.duplicate().get(bytes);
    return bytes;
  }

  @Override
  protected Comparator<ByteBuffer> getSignedComparator() {
    return UNSIGNED; // keys here are ASCII: signed and unsigned orders agree
  }

  @Override
  protected Comparator<ByteBuffer> getUnsignedComparator() {
    return UNSIGNED;
  }

  @Override
  protected void in(ByteBuffer buffer, Pointer ptr, long ptrAddr) {
    if (!buffer.isDirect()) {
      throw new IllegalArgumentException("keys and values go to LMDB in direct buffers");
    }
    ptr.putLong(STRUCT_FIELD_OFFSET_SIZE, buffer.remaining());
    ptr.putAddress(
        STRUCT_FIELD_OFFSET_DATA, Pointer.wrap(RUNTIME, buffer).address() + buffer.position());
  }

  @Override
  protected void in(ByteBuffer buffer, int size, Pointer ptr, long ptrAddr) {
    throw new UnsupportedOperationException("the index does not reserve space in LMDB");
  }

  @Override
  protected ByteBuffer out(ByteBuffer buffer, Pointer ptr, long ptrAddr) {
    long address = ptr.getAddress(STRUCT_FIELD_OFFSET_DATA);
    int size = Math.toIntExact(ptr.getLong(STRUCT_FIELD_OFFSET_SIZE));
    byte[] copy = new byte[size];
    MEMORY.newPointer(address, size).get(0, copy, 0, size);
    return ByteBuffer.wrap(copy);
  }
}
