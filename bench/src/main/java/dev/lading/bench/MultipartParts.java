package dev.lading.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a {@code multipart/byteranges} body as it streams by (an {@link OutputStream} for {@link
 * HttpConnection#exchange(String, String, java.util.Map, OutputStream)}), holding one line at a
 * time and never a part: the parts' ranges in the order they came and the bytes they carried, so
 * the bench checks every answer of a multi-range pull without keeping it. Framing that is not RFC
 * 2046's (CRLF lines, a delimiter right after each part's bytes, the close delimiter last) fails
 * the write. The boundary is taken from the first line.
 */
final class MultipartParts extends OutputStream {
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+)");
  private static final int MAX_LINE = 4096;

  private enum State {
    FIRST_DELIMITER,
    HEADERS,
    DATA,
    AFTER_DATA,
    DELIMITER,
    DONE
  }

  private State state = State.FIRST_DELIMITER;
  private final StringBuilder line = new StringBuilder();
  private boolean sawCr;
  private String delimiter;
  private long remaining;
  private long partFirst = -1;
  private long partLast = -1;
  private long payload;
  private final List<String> ranges = new ArrayList<>();

  /** The parts' ranges ({@code first-last}) in the order they came. */
  List<String> ranges() {
    return ranges;
  }

  /** The bytes the parts carried, framing not counted. */
  long payloadBytes() {
    return payload;
  }

  /** True once the close delimiter was read. */
  boolean complete() {
    return state == State.DONE;
  }

  /** The boundary the body used (null before its first line). */
  String boundary() {
    return delimiter == null ? null : delimiter.substring(2);
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] bytes, int offset, int length) throws IOException {
    int at = offset;
    int end = offset + length;
    while (at < end) {
      if (state == State.DATA) {
        int n = (int) Math.min(remaining, end - at);
        remaining -= n;
        payload += n;
        at += n;
        if (remaining == 0) {
          state = State.AFTER_DATA;
        }
        continue;
      }
      if (state == State.DONE) {
        throw new IOException("bytes after the close delimiter");
      }
      char c = (char) (bytes[at++] & 0xff);
      if (sawCr) {
        if (c != '\n') {
          throw new IOException("a CR without LF in the multipart framing");
        }
        sawCr = false;
        onLine(line.toString());
        line.setLength(0);
      } else if (c == '\r') {
        sawCr = true;
      } else if (line.length() >= MAX_LINE) {
        throw new IOException("a multipart framing line longer than " + MAX_LINE);
      } else {
        line.append(c);
      }
    }
  }

  private void onLine(String text) throws IOException {
    switch (state) {
      case FIRST_DELIMITER -> {
        if (!text.startsWith("--") || text.length() < 3) {
          throw new IOException("the body does not start with a delimiter: " + text);
        }
        delimiter = text;
        state = State.HEADERS;
      }
      case HEADERS -> {
        if (!text.isEmpty()) {
          int colon = text.indexOf(':');
          if (colon > 0
              && text.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-range")) {
            Matcher m = CONTENT_RANGE.matcher(text.substring(colon + 1).trim());
            if (!m.matches()) {
              throw new IOException("malformed part Content-Range: " + text);
            }
            partFirst = Long.parseLong(m.group(1));
            partLast = Long.parseLong(m.group(2));
          }
          return;
        }
        if (partFirst < 0) {
          throw new IOException("a part without Content-Range");
        }
        ranges.add(partFirst + "-" + partLast);
        remaining = partLast - partFirst + 1;
        partFirst = -1;
        state = State.DATA;
      }
      case AFTER_DATA -> {
        if (!text.isEmpty()) {
          throw new IOException("no CRLF right after the part's bytes");
        }
        state = State.DELIMITER;
      }
      case DELIMITER -> {
        if (text.equals(delimiter)) {
          state = State.HEADERS;
        } else if (text.equals(delimiter + "--")) {
          state = State.DONE;
        } else {
          throw new IOException("expected a delimiter after a part, found: " + text);
        }
      }
      default -> throw new IOException("unexpected framing line in state " + state + ": " + text);
    }
  }
}
