package dev.lading.core.storage.fs;

import dev.lading.core.storage.MultipartWrite;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A multipart write on the filesystem: one file in the store's hidden {@code +multipart}
 * directory, appended in place (no buffering, so memory is constant), fsynced on
 * {@link #suspend()} and renamed to its key on {@link #complete()}. The resume token is the
 * durable size, to which {@link FilesystemStore#resumeMultipart} truncates.
 */
final class FilesystemMultipartWrite implements MultipartWrite {
  private final FilesystemStore store;
  private final String key;
  private final Path file;
  private FileChannel channel;
  private long size;

  FilesystemMultipartWrite(FilesystemStore store, String key, FileChannel channel, long size) {
    this.store = store;
    this.key = key;
    this.file = store.inProgressFile(key);
    this.channel = channel;
    this.size = size;
  }

  @Override
  public String key() {
    return key;
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public void write(ByteBuffer src) throws IOException {
    FileChannel open = open();
    while (src.hasRemaining()) {
      size += open.write(src);
    }
  }

  @Override
  public String suspend() throws IOException {
    FileChannel open = open();
    open.force(true);
    open.close();
    channel = null;
    return Long.toString(size);
  }

  @Override
  public void complete() throws IOException {
    FileChannel open = open();
    try {
      open.force(true);
    } finally {
      open.close();
      channel = null;
    }
    store.publishCompleted(file, key);
  }

  @Override
  public void abort() throws IOException {
    if (channel != null) {
      channel.close();
      channel = null;
    }
    Files.deleteIfExists(file);
  }

  private FileChannel open() throws IOException {
    if (channel == null) {
      throw new IOException("multipart write of " + key + " is no longer open");
    }
    return channel;
  }
}
