package dev.lading.conformance;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.james.mime4j.MimeException;
import org.apache.james.mime4j.stream.EntityState;
import org.apache.james.mime4j.stream.MimeConfig;
import org.apache.james.mime4j.stream.MimeTokenStream;

/**
 * Reads {@code multipart/byteranges} answers two ways, both of which a test asks to agree: a
 * strict reader of its own, which holds the body to more than RFC 2046 asks of a reader (CRLF
 * only, no preamble or epilogue, one {@code Content-Range} per part whose length is the part's to
 * the byte, the close delimiter as the very last bytes), and Apache James mime4j, a MIME parser
 * written by others, so a framing this code and the server got wrong the same way still fails.
 */
final class ByteRanges {
  private static final Pattern BOUNDARY =
      Pattern.compile("multipart/byteranges; ?boundary=\"?([0-9A-Za-z'()+_,./:=?-]{1,70})\"?");
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+)");

  /** One part: its headers (names in lower case), the range its {@code Content-Range} names, its bytes. */
  record Part(Map<String, String> headers, long first, long last, long size, byte[] bytes) {
    String range() {
      return first + "-" + last;
    }
  }

  private ByteRanges() {}

  static String boundary(String contentType) {
    Matcher m = BOUNDARY.matcher(contentType);
    if (!m.matches()) {
      throw new AssertionError("not multipart/byteranges with a boundary: " + contentType);
    }
    return m.group(1);
  }

  /**
   * The parts of {@code body} as the strict reader finds them, after checking mime4j finds the
   * same parts with the same headers and bytes.
   */
  static List<Part> parse(String contentType, byte[] body) {
    List<Part> strict = strict(contentType, body);
    List<Part> mime4j = mime4j(contentType, body);
    if (strict.size() != mime4j.size()) {
      throw new AssertionError("mime4j read " + mime4j.size() + " parts, the strict reader " + strict.size());
    }
    for (int i = 0; i < strict.size(); i++) {
      Part a = strict.get(i);
      Part b = mime4j.get(i);
      if (!a.headers().equals(b.headers()) || !Arrays.equals(a.bytes(), b.bytes())) {
        throw new AssertionError("part " + i + " differs: strict " + a.headers() + " " + a.bytes().length
            + " bytes, mime4j " + b.headers() + " " + b.bytes().length + " bytes");
      }
    }
    return strict;
  }

  static List<Part> strict(String contentType, byte[] body) {
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
        if (headers.put(line.substring(0, colon).toLowerCase(Locale.ROOT), line.substring(colon + 2)) != null) {
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
          throw new AssertionError((body.length - at) + " bytes after the close delimiter (an epilogue)");
        }
        return parts;
      }
      at = expect(body, at, crlf, "CRLF after a delimiter");
    }
  }

  static List<Part> mime4j(String contentType, byte[] body) {
    MimeConfig config = MimeConfig.custom()
        .setStrictParsing(true)
        .setMaxLineLen(-1)
        .setMaxHeaderLen(-1)
        .setMaxContentLen(-1)
        .build();
    MimeTokenStream stream = new MimeTokenStream(config);
    // An entity whose one header is the response's Content-Type, as the response carries it.
    byte[] header = ("Content-Type: " + contentType + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    stream.parse(new java.io.SequenceInputStream(new ByteArrayInputStream(header), new ByteArrayInputStream(body)));
    List<Part> parts = new ArrayList<>();
    Map<String, String> headers = null;
    try {
      for (EntityState state = stream.getState(); state != EntityState.T_END_OF_STREAM; state = stream.next()) {
        switch (state) {
          case T_START_BODYPART -> headers = new LinkedHashMap<>();
          case T_FIELD -> {
            if (headers != null) {
              headers.put(stream.getField().getName().toLowerCase(Locale.ROOT), stream.getField().getBody().strip());
            }
          }
          case T_BODY -> {
            if (headers != null) {
              byte[] bytes = stream.getInputStream().readAllBytes();
              Part expected = part(headers, bytes, 0);
              if (expected.bytes().length != bytes.length) {
                throw new AssertionError("mime4j: part " + expected.range() + " holds " + bytes.length + " bytes");
              }
              parts.add(expected);
              headers = null;
            }
          }
          case T_PREAMBLE, T_EPILOGUE -> {
            byte[] extra = stream.getInputStream().readAllBytes();
            if (extra.length > 0) {
              throw new AssertionError("mime4j: " + extra.length + " bytes of " + state);
            }
          }
          default -> { }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (MimeException e) {
      throw new AssertionError("mime4j could not read the body: " + e.getMessage(), e);
    }
    return parts;
  }

  /** The part whose headers are {@code headers} and whose bytes start at {@code at}. */
  private static Part part(Map<String, String> headers, byte[] body, int at) {
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
      throw new AssertionError("expected " + description + " at " + at + ", found: "
          + new String(body, from, to - from, StandardCharsets.ISO_8859_1));
    }
    return at + what.length;
  }

  private static boolean startsWith(byte[] body, int at, byte[] what) {
    return at + what.length <= body.length && Arrays.equals(body, at, at + what.length, what, 0, what.length);
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
