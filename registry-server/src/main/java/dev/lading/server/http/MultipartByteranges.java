package dev.lading.server.http;

import dev.lading.core.model.ByteRange;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;

/**
 * The framing of a {@code multipart/byteranges} body (RFC 9110 §14.6, RFC 2046 §5.1.1) around
 * ranges of one blob, laid out before a byte is sent so the response carries an exact {@code
 * Content-Length} (no chunked encoding for a client or proxy to deal with), the same for a HEAD as
 * for the GET:
 *
 * <pre>
 * --BOUNDARY CRLF
 * Content-Type: application/octet-stream CRLF
 * Content-Range: bytes FIRST-LAST/SIZE CRLF
 * CRLF
 * ...the part's bytes... CRLF
 * --BOUNDARY CRLF
 * ...
 * ...the last part's bytes... CRLF
 * --BOUNDARY-- CRLF
 * </pre>
 *
 * The CRLF before each delimiter belongs to the delimiter (RFC 2046), not to the part: a part's
 * body is exactly its range. No preamble, no epilogue. The boundary is 48 hex digits from a {@link
 * SecureRandom}, new for each response: a blob cannot contain it by design, since whoever pushed
 * the blob could not know it (unlike request ids, it cannot be guessed from other answers), and the
 * chance of it turning up by accident is 2^-192 per position.
 */
final class MultipartByteranges {
  /** Every part's type: the blob's, as a 200 would say it (RFC 9110 §15.3.7.2). */
  static final String PART_TYPE = "application/octet-stream";

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int BOUNDARY_BYTES = 24;

  private final String boundary;
  private final List<ByteRange> parts;
  private final long size;

  MultipartByteranges(List<ByteRange> parts, long size) {
    this(newBoundary(), parts, size);
  }

  MultipartByteranges(String boundary, List<ByteRange> parts, long size) {
    if (parts.isEmpty()) {
      throw new IllegalArgumentException("a multipart body has at least one part");
    }
    this.boundary = boundary;
    this.parts = List.copyOf(parts);
    this.size = size;
  }

  static String newBoundary() {
    byte[] random = new byte[BOUNDARY_BYTES];
    RANDOM.nextBytes(random);
    return HexFormat.of().formatHex(random);
  }

  /** The response's {@code Content-Type}; the boundary is a token, so it needs no quotes. */
  String contentType() {
    return "multipart/byteranges; boundary=" + boundary;
  }

  List<ByteRange> parts() {
    return parts;
  }

  /**
   * Everything before part {@code i}'s bytes: the delimiter (after a CRLF but for the first) and
   * its headers.
   */
  byte[] head(int i) {
    ByteRange r = parts.get(i);
    String head =
        (i == 0 ? "" : "\r\n")
            + "--"
            + boundary
            + "\r\n"
            + "Content-Type: "
            + PART_TYPE
            + "\r\n"
            + "Content-Range: bytes "
            + r.first()
            + "-"
            + r.last()
            + "/"
            + size
            + "\r\n"
            + "\r\n";
    return head.getBytes(StandardCharsets.US_ASCII);
  }

  /** The close delimiter after the last part's bytes. */
  byte[] tail() {
    return ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  /** The exact length of the whole body: every head, every part's bytes and the tail. */
  long contentLength() {
    long length = tail().length;
    for (int i = 0; i < parts.size(); i++) {
      length += head(i).length + parts.get(i).length();
    }
    return length;
  }

  /** The smallest range holding every part. */
  ByteRange covering() {
    long first = Long.MAX_VALUE;
    long last = -1;
    for (ByteRange r : parts) {
      first = Math.min(first, r.first());
      last = Math.max(last, r.last());
    }
    return new ByteRange(first, last);
  }
}
