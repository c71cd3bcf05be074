package dev.lading.server.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A client connection over a plain socket, for what {@code java.net.http} will not send: malformed
 * bodies, several or no {@code Host} headers, absolute-form targets, bytes one at a time. Every
 * read waits at most {@link #READ_TIMEOUT}, so a server that never answers fails the test instead
 * of hanging it.
 */
final class RawConnection implements AutoCloseable {
  static final Duration READ_TIMEOUT = Duration.ofSeconds(20);
  private static final Pattern CONTENT_LENGTH =
      Pattern.compile("(?im)^content-length:\\s*(\\d+)\\s*$");

  private final Socket socket;
  private final InputStream in;

  RawConnection(int port) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
    in = socket.getInputStream();
  }

  /** A response: its head (status line and headers) and its body. */
  record Response(String head, String body) {
    int status() {
      return Integer.parseInt(head.substring(9, 12));
    }

    /** The first value of a header, case-insensitive, or null. */
    String header(String name) {
      Matcher m = Pattern.compile("(?im)^" + Pattern.quote(name) + ":\\s*(.*?)\\s*$").matcher(head);
      return m.find() ? m.group(1) : null;
    }

    boolean closesConnection() {
      String c = header("Connection");
      return c != null && c.toLowerCase(Locale.ROOT).contains("close");
    }
  }

  RawConnection send(String text) throws IOException {
    return send(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  RawConnection send(byte[] bytes) throws IOException {
    socket.getOutputStream().write(bytes);
    socket.getOutputStream().flush();
    return this;
  }

  /** Reads one response with a {@code Content-Length} body (all this server sends but blobs). */
  Response read() throws IOException {
    StringBuilder head = new StringBuilder();
    while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection ended inside a response head: " + head);
      }
      head.append((char) b);
    }
    Matcher m = CONTENT_LENGTH.matcher(head);
    int length = m.find() ? Integer.parseInt(m.group(1)) : 0;
    byte[] body = in.readNBytes(length);
    return new Response(head.toString(), new String(body, StandardCharsets.UTF_8));
  }

  /**
   * True when the server ends the connection (end of stream or reset) within {@code bound},
   * discarding whatever else it sends; false when it is still open after that.
   */
  boolean endsWithin(Duration bound) throws IOException {
    long deadline = System.nanoTime() + bound.toNanos();
    byte[] sink = new byte[8192];
    try {
      while (true) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
        if (in.read(sink) < 0) {
          return true;
        }
      }
    } catch (SocketTimeoutException e) {
      return false;
    } catch (SocketException e) {
      return true; // reset
    } finally {
      socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
    }
  }

  /** Everything the server sends until it ends the connection. */
  String readToEnd() throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    in.transferTo(all);
    return all.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
