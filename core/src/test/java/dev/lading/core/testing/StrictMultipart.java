package dev.lading.core.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of the {@code multipart/byteranges} bodies Lading sends, for tests; stricter than
 * RFC 2046 asks of a reader: CRLF only, no preamble, no epilogue, every part with exactly one
 * {@code Content-Range} whose length is the part's length to the byte, the close delimiter as the
 * very last bytes. Anything else fails with what was found where.
 */
public final class StrictMultipart {
  private static final Pattern BOUNDARY =
      Pattern.compile("multipart/byteranges; boundary=([0-9A-Za-z'()+_,./:=?-]{1,70})");
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+)");

  /**
   * One part: its headers (names in lower case), the range its {@code Content-Range} names, its
   * bytes.
   */
  public record Part(Map<String, String> headers, long first, long last, long size, byte[] bytes) {
    public String range() {
      return first + "-" + last;
    }
  }

  private StrictMultipart() {}

  /** The boundary of a {@code multipart/byteranges} content type, or an assertion error. */
  public static String boundary(String contentType) {
    Matcher m = BOUNDARY.matcher(contentType);
    if (!m.matches()) {
      throw new AssertionError("not multipart/byteranges with a token boundary: " + contentType);
    }
    return m.group(1);
  }

  public static List<Part> parse(String contentType, byte[] body) {
    byte[] delimiter = ("--" + boundary(contentType)).getBytes(StandardCharsets.US_ASCII);
    byte[] crlf = {'\r', '\n'};
    List<Part> parts = new ArrayList<>();
    int at = expect(body, 0, delimiter, "the first delimiter at the very start (no preamble)");
    at = expect(body, at, crlf, "CRLF after the first delimiter");
    while (true) {
      Map<String, String> headers = new LinkedHashMap<>();
      while (true) {
        int end = indexOf(body, crlf, at);
        if (end < 0) {
          throw new AssertionError("a part header line without CRLF at " + at);
        }
        if (end == at) {
          at += 2;
          break;
        }
        String line = new String(body, at, end - at, StandardCharsets.US_ASCII);
        int colon = line.indexOf(": ");
        if (colon <= 0 || line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0) {
          throw new AssertionError("malformed part header line: " + line);
        }
        if (headers.put(
                line.substring(0, colon).toLowerCase(Locale.ROOT), line.substring(colon + 2))
            != null) {
          throw new AssertionError("part header repeated: " + line);
        }
        at = end + 2;
      }
      Part part = part(headers, body, at);
      parts.add(part);
      at += part.bytes().length;
      at = expect(body, at, crlf, "CRLF right after the bytes of " + part.range());
      at = expect(body, at, delimiter, "a delimiter right after the bytes of " + part.range());
      if (startsWith(body, at, new byte[] {'-', '-'})) {
        at = expect(body, at + 2, crlf, "CRLF after the close delimiter");
        if (at != body.length) {
          throw new AssertionError(
              (body.length - at) + " bytes after the close delimiter (an epilogue)");
        }
        return parts;
      }
      at = expect(body, at, crlf, "CRLF after a delimiter");
    }
  }

  /** The part whose headers are {@code headers} and whose bytes start at {@code at}. */
  public static Part part(Map<String, String> headers, byte[] body, int at) {
    String range = headers.get("content-range");
    if (range == null) {
      throw new AssertionError("a part without Content-Range: " + headers);
    }
    Matcher m = CONTENT_RANGE.matcher(range);
    if (!m.matches()) {
      throw new AssertionError("malformed part Content-Range: " + range);
    }
    long first = Long.parseLong(m.group(1));
    long last = Long.parseLong(m.group(2));
    long size = Long.parseLong(m.group(3));
    if (last < first || last >= size) {
      throw new AssertionError("Content-Range outside the blob: " + range);
    }
    int length = Math.toIntExact(last - first + 1);
    if (at + length > body.length) {
      throw new AssertionError("part " + range + " runs past the body's end");
    }
    return new Part(headers, first, last, size, Arrays.copyOfRange(body, at, at + length));
  }

  private static int expect(byte[] body, int at, byte[] what, String description) {
    if (!startsWith(body, at, what)) {
      int from = Math.min(at, body.length);
      int to = Math.min(body.length, at + what.length + 16);
      throw new AssertionError(
          "expected "
              + description
              + " at "
              + at
              + ", found: "
              + new String(body, from, to - from, StandardCharsets.ISO_8859_1));
    }
    return at + what.length;
  }

  private static boolean startsWith(byte[] body, int at, byte[] what) {
    return at + what.length <= body.length
        && Arrays.equals(body, at, at + what.length, what, 0, what.length);
  }

  private static int indexOf(byte[] body, byte[] what, int from) {
    for (int i = from; i + what.length <= body.length; i++) {
      if (Arrays.equals(body, i, i + what.length, what, 0, what.length)) {
        return i;
      }
    }
    return -1;
  }
}
