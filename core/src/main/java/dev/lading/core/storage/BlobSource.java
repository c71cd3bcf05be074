package dev.lading.core.storage;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;

/**
 * A byte range of a stored object, opened for streaming to a client. A store hands out a {@link
 * FileSource} when the bytes are in a local file, so the server can send them with zero-copy;
 * otherwise a {@link StreamSource}. The receiver closes it.
 */
public sealed interface BlobSource extends Closeable {

  /** How many bytes this source yields. */
  long length();

  /** Bytes of a local file: {@code length} bytes from {@code offset} of {@code channel}. */
  record FileSource(FileChannel channel, long offset, long length) implements BlobSource {
    @Override
    public void close() throws IOException {
      channel.close();
    }
  }

  /** Bytes that arrive as a stream (a remote object store); exactly {@code length} of them. */
  record StreamSource(InputStream stream, long length) implements BlobSource {
    @Override
    public void close() throws IOException {
      stream.close();
    }
  }
}
