package dev.lading.bench;

import java.io.IOException;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts HTTP/1.1 requests by method from the bytes a client sends, as they stream past: each
 * connection gets a {@link Connection} that is fed the client's bytes in whatever slices they
 * arrive, finds each request line, and skips the body by its {@code Content-Length} or its chunked
 * framing, so a body that happens to contain "PUT " is never counted. Nothing is buffered but the
 * current header line. Thread-safe across connections; one {@link Connection} per connection.
 */
final class RequestCounter {

  private static final int MAX_LINE = 64 << 10;

  private final Map<String, LongAdder> byMethod = new ConcurrentHashMap<>();
  private final LongAdder unparsable = new LongAdder();

  /** A parser for one connection's client-to-server bytes. */
  Connection connection() {
    return new Connection();
  }

  /** Requests seen so far, by method, sorted by method. */
  Map<String, Long> snapshot() {
    Map<String, Long> copy = new TreeMap<>();
    byMethod.forEach((method, count) -> copy.put(method, count.sum()));
    return copy;
  }

  /** The requests counted between two snapshots, by method (methods absent from both omitted). */
  static Map<String, Long> difference(Map<String, Long> after, Map<String, Long> before) {
    Map<String, Long> delta = new TreeMap<>();
    after.forEach(
        (method, count) -> {
          long d = count - before.getOrDefault(method, 0L);
          if (d != 0) {
            delta.put(method, d);
          }
        });
    return delta;
  }

  /**
   * Connections whose bytes stopped making sense as HTTP/1.1 (counting stopped there, forwarding
   * went on): when not 0, the counts are short.
   */
  long unparsable() {
    return unparsable.sum();
  }

  /** Called by a forwarder whose connection's parser failed, once per such connection. */
  void gaveUp() {
    unparsable.increment();
  }

  static long total(Map<String, Long> counts) {
    return counts.values().stream().mapToLong(Long::longValue).sum();
  }

  private void count(String method) {
    byMethod.computeIfAbsent(method, m -> new LongAdder()).increment();
  }

  /** Where a connection's parser stands. */
  private enum State {
    /** Reading a request line or a header line. */
    HEAD,
    /** Skipping {@code remaining} bytes of a Content-Length body. */
    BODY,
    /** Reading a chunk-size line. */
    CHUNK_SIZE,
    /** Skipping {@code remaining} bytes of chunk data. */
    CHUNK_DATA,
    /** Reading the empty line after a chunk's data. */
    CHUNK_END,
    /** Reading trailer lines up to the empty one that ends the request. */
    TRAILER
  }

  final class Connection {
    private final StringBuilder line = new StringBuilder();
    private State state = State.HEAD;
    private boolean inRequest;
    private long contentLength;
    private boolean chunked;
    private long remaining;

    /** Takes the next {@code length} bytes the client sent. */
    void accept(byte[] bytes, int offset, int length) throws IOException {
      int at = offset;
      int end = offset + length;
      while (at < end) {
        if (state == State.BODY || state == State.CHUNK_DATA) {
          int n = (int) Math.min(remaining, end - at);
          at += n;
          remaining -= n;
          if (remaining == 0) {
            state = state == State.BODY ? State.HEAD : State.CHUNK_END;
          }
          continue;
        }
        byte b = bytes[at++];
        if (b == '\n') {
          int last = line.length() - 1;
          if (last >= 0 && line.charAt(last) == '\r') {
            line.setLength(last);
          }
          String text = line.toString();
          line.setLength(0);
          onLine(text);
        } else {
          line.append((char) (b & 0xff));
          if (line.length() > MAX_LINE) {
            throw new IOException("HTTP line longer than " + MAX_LINE + " bytes: not HTTP/1.1?");
          }
        }
      }
    }

    private void onLine(String text) throws IOException {
      switch (state) {
        case HEAD -> onHeadLine(text);
        case CHUNK_SIZE -> {
          int semicolon = text.indexOf(';');
          String hex = (semicolon < 0 ? text : text.substring(0, semicolon)).trim();
          long size;
          try {
            size = Long.parseLong(hex, 16);
          } catch (NumberFormatException e) {
            throw new IOException("bad chunk size line: " + text, e);
          }
          if (size == 0) {
            state = State.TRAILER;
          } else {
            remaining = size;
            state = State.CHUNK_DATA;
          }
        }
        case CHUNK_END -> state = State.CHUNK_SIZE;
        case TRAILER -> {
          if (text.isEmpty()) {
            state = State.HEAD;
          }
        }
        default -> throw new IllegalStateException("no line expected in " + state);
      }
    }

    private void onHeadLine(String text) throws IOException {
      if (!inRequest) {
        if (text.isEmpty()) {
          return; // a stray CRLF between requests, which RFC 9112 lets a server ignore
        }
        int space = text.indexOf(' ');
        count(space < 0 ? text : text.substring(0, space));
        inRequest = true;
        contentLength = 0;
        chunked = false;
        return;
      }
      if (!text.isEmpty()) {
        int colon = text.indexOf(':');
        if (colon > 0) {
          String name = text.substring(0, colon).trim().toLowerCase(Locale.ROOT);
          String value = text.substring(colon + 1).trim();
          if (name.equals("content-length")) {
            try {
              contentLength = Long.parseLong(value);
            } catch (NumberFormatException e) {
              throw new IOException("bad Content-Length: " + value, e);
            }
          } else if (name.equals("transfer-encoding")
              && value.toLowerCase(Locale.ROOT).contains("chunked")) {
            chunked = true;
          }
        }
        return;
      }
      inRequest = false;
      if (chunked) {
        state = State.CHUNK_SIZE;
      } else if (contentLength > 0) {
        remaining = contentLength;
        state = State.BODY;
      }
    }
  }
}
