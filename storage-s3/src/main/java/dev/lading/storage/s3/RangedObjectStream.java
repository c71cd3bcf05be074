package dev.lading.storage.s3;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * A byte range of an S3 object read as a sequence of bounded GETs ({@code Range: bytes=a-b}, at
 * most one window each, never open-ended). Only the HTTP connection's own buffers are held,
 * whatever the window: bytes flow from the socket to the caller as it reads, so a slow client slows
 * the GET (TCP backpressure) instead of filling memory. Each window after the first carries {@code
 * If-Match} with the first response's ETag, so a replaced object is an error, not a splice of two
 * contents. A connection lost mid-window is re-opened at the current position a few times before
 * the read fails.
 */
final class RangedObjectStream extends InputStream {
  private static final int REOPENS = 3;

  private final S3Client s3;
  private final String bucket;
  private final String objectKey;
  private final long end;
  private final long window;
  private long position;
  private Optional<String> etag;
  private ResponseInputStream<GetObjectResponse> current;
  private long currentEnd;
  private int reopens;
  private boolean closed;

  /**
   * Takes over {@code first}, an already open GET of {@code [offset, firstEnd)}, and reads on to
   * {@code end} with further windows.
   */
  RangedObjectStream(
      S3Client s3,
      String bucket,
      String objectKey,
      long offset,
      long end,
      long window,
      ResponseInputStream<GetObjectResponse> first,
      long firstEnd) {
    this.s3 = s3;
    this.bucket = bucket;
    this.objectKey = objectKey;
    this.position = offset;
    this.end = end;
    this.window = window;
    this.current = first;
    this.currentEnd = firstEnd;
    this.etag = first == null ? Optional.empty() : Optional.ofNullable(first.response().eTag());
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (closed) {
      throw new IOException("stream closed");
    }
    if (len == 0) {
      return 0;
    }
    while (true) {
      if (position >= end) {
        return -1;
      }
      if (current == null) {
        open();
      }
      int want = (int) Math.min(len, currentEnd - position);
      int n;
      try {
        n = current.read(b, off, want);
      } catch (IOException | SdkException e) {
        dropCurrent();
        if (reopens++ >= REOPENS) {
          throw new IOException(
              "reading " + objectKey + " at " + position + " failed: " + e.getMessage(), e);
        }
        continue;
      }
      if (n < 0) {
        dropCurrent();
        if (position < currentEnd) {
          throw new IOException(
              "S3 object " + objectKey + " ended at " + position + ", expected " + end);
        }
        continue;
      }
      position += n;
      if (position == currentEnd) {
        // Window done: close it so the connection goes back to the pool fully drained.
        current.close();
        current = null;
      }
      return n;
    }
  }

  @Override
  public int available() throws IOException {
    return current == null
        ? 0
        : Math.min(current.available(), (int) Math.min(Integer.MAX_VALUE, currentEnd - position));
  }

  private void open() throws IOException {
    long to = Math.min(end, position + window);
    GetObjectRequest.Builder request =
        GetObjectRequest.builder()
            .bucket(bucket)
            .key(objectKey)
            .range("bytes=" + position + "-" + (to - 1));
    etag.ifPresent(request::ifMatch);
    current = S3Calls.io("GET " + objectKey, () -> s3.getObject(request.build()));
    currentEnd = to;
    if (etag.isEmpty()) {
      etag = Optional.ofNullable(current.response().eTag());
    }
  }

  private void dropCurrent() {
    if (current != null) {
      // abort, not close: closing would read the rest of the window just to reuse the connection.
      current.abort();
      try {
        current.close();
      } catch (IOException | RuntimeException ignored) {
        // the connection is discarded either way
      }
      current = null;
    }
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      dropCurrent();
    }
  }
}
