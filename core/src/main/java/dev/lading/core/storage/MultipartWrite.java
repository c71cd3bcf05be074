package dev.lading.core.storage;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * An object being written across many requests, possibly by many processes: an upload session's
 * bytes. The store decides how bytes reach durable storage (a file appended and fsynced, or S3
 * multipart parts); memory held by one write stays a small constant whatever the object's size.
 *
 * <p>Not thread-safe: one request appends at a time (the upload session serialises them).
 */
public interface MultipartWrite {

  /** The key the object will have once completed. */
  String key();

  /** Bytes appended so far, including those not yet durable. */
  long size();

  /** Appends the remaining bytes of {@code src}; may buffer up to the store's part size. */
  void write(ByteBuffer src) throws IOException;

  /**
   * Makes every appended byte durable and returns an opaque token (at most a few KiB, stored in the
   * upload session's state) from which {@link ObjectStore#resumeMultipart} continues.
   */
  String suspend() throws IOException;

  /** Makes the appended bytes the object at {@link #key()}; after this the write is finished. */
  void complete() throws IOException;

  /** Discards everything appended; nothing remains visible or billable. */
  void abort() throws IOException;
}
