package dev.lading.core.registry;

import dev.lading.core.model.ByteRange;
import dev.lading.core.storage.BlobSource;
import java.io.Closeable;
import java.io.IOException;
import java.util.Optional;

/**
 * An opened blob: what it is, which bytes {@code source} yields ({@code range} empty means the
 * whole blob) and the source itself, which the receiver closes.
 */
public record BlobContent(BlobInfo blob, Optional<ByteRange> range, BlobSource source)
    implements Closeable {
  @Override
  public void close() throws IOException {
    source.close();
  }
}
