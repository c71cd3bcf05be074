package dev.lading.core.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A multipart write that hands every call to another: the base for the writes that {@link
 * ForwardingObjectStore} wrappers return when they time, count or break a write's calls too. A
 * subclass overrides only the calls it watches and calls {@code super} to go on.
 */
public abstract class ForwardingMultipartWrite implements MultipartWrite {
  protected final MultipartWrite delegate;

  protected ForwardingMultipartWrite(MultipartWrite delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  @Override
  public String key() {
    return delegate.key();
  }

  @Override
  public long size() {
    return delegate.size();
  }

  @Override
  public void write(ByteBuffer src) throws IOException {
    delegate.write(src);
  }

  @Override
  public String suspend() throws IOException {
    return delegate.suspend();
  }

  @Override
  public void complete() throws IOException {
    delegate.complete();
  }

  @Override
  public void abort() throws IOException {
    delegate.abort();
  }
}
