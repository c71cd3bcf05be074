package dev.lading.bench;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One keep-alive HTTP/1.1 connection with just enough protocol for a registry bench: a request
 * line, headers, an optional streamed body; a status line, headers, and a body that is either kept
 * (small answers: JSON, manifests) or drained and counted (blobs). A {@code HEAD} answer has no
 * body whatever its {@code Content-Length} says, which is why this client exists: wrk and friends
 * wait for one. Not thread-safe; a load run gives every worker its own connection.
 */
final class HttpConnection implements Closeable {

  /** Writes a request body; the connection has already sent its Content-Length. */
  @FunctionalInterface
  interface Body {
    Body EMPTY = out -> {};

    void writeTo(OutputStream out) throws IOException;
  }

  /** A response: status, headers with lower-case names, and either the body or its length. */
  record Response(int status, Map<String, String> headers, long bodyLength, byte[] body) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    String bodyText() {
      return body == null ? "" : new String(body, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      String text = bodyText();
      return status
          + (text.isEmpty() ? "" : " " + (text.length() > 300 ? text.substring(0, 300) : text));
    }
  }

  private static final int MAX_KEPT_BODY = 16 << 20;

  private final String host;
  private final int port;
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final byte[] buffer = new byte[256 << 10];
  private int position;
  private int limit;
  private boolean open = true;

  HttpConnection(String host, int port) throws IOException {
    this.host = host;
    this.port = port;
    this.socket = new Socket();
    socket.setTcpNoDelay(true);
    socket.connect(new InetSocketAddress(host, port), 5_000);
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  boolean isOpen() {
    return open;
  }

  /**
   * Fails a read that waits longer than {@code millis} (0: wait forever, the default): a soak must
   * notice a server that hangs instead of waiting on it for ever.
   */
  HttpConnection readTimeout(int millis) throws IOException {
    socket.setSoTimeout(millis);
    return this;
  }

  Response exchange(
      String method,
      String target,
      Map<String, String> headers,
      long contentLength,
      Body body,
      boolean keepBody)
      throws IOException {
    writeHead(method, target, headers, contentLength);
    try {
      if (contentLength > 0) {
        body.writeTo(out);
      }
      out.flush();
    } catch (IOException writeFailed) {
      // A server may answer an error and close before taking the whole body; its answer
      // says more than "broken pipe", so read it if it is there.
      Response early;
      try {
        early = readResponse(method.equals("HEAD"), true, null);
      } catch (IOException noAnswer) {
        close();
        throw writeFailed;
      }
      close();
      throw new IOException("server stopped reading the body and answered " + early, writeFailed);
    }
    return readResponse(method.equals("HEAD"), keepBody, null);
  }

  /**
   * A bodiless request whose answer's body goes to {@code sink} as it arrives (a hash, a
   * comparison), so a blob of any size can be checked without holding it; the returned response
   * carries the length, not the bytes, except for an error (status 300 and up), whose body is kept
   * instead.
   */
  Response exchange(String method, String target, Map<String, String> headers, OutputStream sink)
      throws IOException {
    writeHead(method, target, headers, -1);
    out.flush();
    return readResponse(method.equals("HEAD"), false, sink);
  }

  private void writeHead(
      String method, String target, Map<String, String> headers, long contentLength)
      throws IOException {
    StringBuilder head = new StringBuilder(256);
    head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
    head.append("Host: ").append(host).append(':').append(port).append("\r\n");
    for (Map.Entry<String, String> h : headers.entrySet()) {
      head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
    }
    if (contentLength >= 0) {
      head.append("Content-Length: ").append(contentLength).append("\r\n");
    }
    head.append("\r\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
  }

  Response exchange(String method, String target, Map<String, String> headers, boolean keepBody)
      throws IOException {
    boolean sendsLength = method.equals("PUT") || method.equals("POST") || method.equals("PATCH");
    return exchange(method, target, headers, sendsLength ? 0 : -1, Body.EMPTY, keepBody);
  }

  private Response readResponse(boolean head, boolean keepBody, OutputStream sink)
      throws IOException {
    String statusLine = readLine();
    // Skip interim 1xx answers (100 Continue); a final answer follows.
    while (statusLine.length() >= 12 && statusLine.charAt(9) == '1') {
      readHeaders();
      statusLine = readLine();
    }
    if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12) {
      throw new IOException("not an HTTP/1.x status line: " + statusLine);
    }
    int status = Integer.parseInt(statusLine, 9, 12, 10);
    Map<String, String> headers = readHeaders();
    if ("close".equalsIgnoreCase(headers.get("connection"))) {
      open = false;
    }
    // An error's body (the spec's JSON, small) is kept even when a sink waits for a blob: it
    // says why.
    ByteArrayOutputStream kept =
        keepBody || (sink != null && status >= 300) ? new ByteArrayOutputStream() : null;
    OutputStream to = kept != null ? kept : sink;
    long length;
    if (head || status == 204 || status == 304) {
      length = 0;
    } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      length = readChunked(to);
    } else if (headers.containsKey("content-length")) {
      length = readFixed(Long.parseLong(headers.get("content-length").trim()), to);
    } else {
      length = readFixed(Long.MAX_VALUE, to);
      open = false;
    }
    if (!open) {
      close();
    }
    return new Response(status, headers, length, kept == null ? null : kept.toByteArray());
  }

  private Map<String, String> readHeaders() throws IOException {
    Map<String, String> headers = new LinkedHashMap<>();
    for (String line = readLine(); !line.isEmpty(); line = readLine()) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        headers.put(
            line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
            line.substring(colon + 1).trim());
      }
    }
    return headers;
  }

  private long readChunked(OutputStream kept) throws IOException {
    long total = 0;
    while (true) {
      String sizeLine = readLine();
      int semicolon = sizeLine.indexOf(';');
      long chunk =
          Long.parseLong(
              semicolon < 0 ? sizeLine.trim() : sizeLine.substring(0, semicolon).trim(), 16);
      if (chunk == 0) {
        while (!readLine().isEmpty()) {
          // trailers: ignored
        }
        return total;
      }
      total += readFixed(chunk, kept);
      readLine();
    }
  }

  /**
   * Reads {@code length} body bytes (or up to end of stream for MAX_VALUE) into {@code kept}, if
   * any.
   */
  private long readFixed(long length, OutputStream kept) throws IOException {
    long remaining = length;
    long read = 0;
    while (remaining > 0) {
      if (position == limit && !fill()) {
        if (length == Long.MAX_VALUE) {
          return read;
        }
        throw new IOException("connection closed " + remaining + " bytes before the body's end");
      }
      int n = (int) Math.min(limit - position, remaining);
      if (kept != null) {
        if (kept instanceof ByteArrayOutputStream b && b.size() + n > MAX_KEPT_BODY) {
          throw new IOException("response body too big to keep");
        }
        kept.write(buffer, position, n);
      }
      position += n;
      remaining -= n;
      read += n;
    }
    return read;
  }

  private String readLine() throws IOException {
    StringBuilder line = null;
    while (true) {
      if (position == limit && !fill()) {
        throw new IOException("connection closed by the server");
      }
      for (int i = position; i < limit; i++) {
        if (buffer[i] == '\n') {
          int end = i > position && buffer[i - 1] == '\r' ? i - 1 : i;
          String part = new String(buffer, position, end - position, StandardCharsets.ISO_8859_1);
          position = i + 1;
          if (line == null) {
            return part;
          }
          line.append(part);
          int last = line.length() - 1;
          if (last >= 0 && line.charAt(last) == '\r') {
            line.setLength(last);
          }
          return line.toString();
        }
      }
      if (line == null) {
        line = new StringBuilder();
      }
      line.append(new String(buffer, position, limit - position, StandardCharsets.ISO_8859_1));
      if (line.length() > 64 << 10) {
        throw new IOException("header line longer than 64 KiB");
      }
      position = limit;
    }
  }

  private boolean fill() throws IOException {
    int n = in.read(buffer, 0, buffer.length);
    if (n < 0) {
      return false;
    }
    position = 0;
    limit = n;
    return true;
  }

  @Override
  public void close() {
    open = false;
    try {
      socket.close();
    } catch (IOException ignored) {
      // nothing to do with a failed close of a bench socket
    }
  }
}
