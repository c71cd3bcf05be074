package dev.lading.server.http;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per request on the {@code dev.lading.access} logger. The message is the compact text
 * line (method, path, status, bytes sent, milliseconds, and the client: the TCP peer, or {@code
 * <client> via <peer>} when a trusted proxy named it, {@link ForwardedRequest#describe()}); the
 * same facts and more travel as key-value pairs, which the JSON log format writes as fields: {@code
 * request_id}, {@code method}, {@code route} (the template, as metrics label it), {@code path},
 * {@code repository}, {@code status}, {@code bytes_sent}, {@code bytes_received}, {@code ranges}
 * (the byte ranges of a blob's {@code 206}: lazy pullers ask for many in one request), {@code
 * duration_ms}, {@code principal}, {@code user_agent}, {@code client} and {@code completed} (false
 * when the connection failed before the response was out).
 *
 * <p>Never a header but the user agent (no {@code Authorization}); client text is escaped so a
 * request cannot forge log lines. Logged on the event loop: building the line allocates, never
 * blocks (the appender is asynchronous).
 */
final class AccessLog {
  private static final Logger log = LoggerFactory.getLogger("dev.lading.access");
  private static final int MAX_USER_AGENT = 256;

  void log(Exchange exchange, String route, boolean completed) {
    if (!log.isInfoEnabled()) {
      return;
    }
    String path = printable(exchange.uri());
    Routes.Match match = exchange.match();
    String userAgent = exchange.header("User-Agent");
    log.atInfo()
        .setMessage("{} {} {} {}B {}ms {}")
        .addArgument(exchange.method().name())
        .addArgument(path)
        .addArgument(exchange.status())
        .addArgument(exchange.bytesSent())
        .addArgument(exchange.elapsedMillis())
        .addArgument(exchange.forwarded().describe())
        .addKeyValue("request_id", exchange.requestId())
        .addKeyValue("method", exchange.method().name())
        .addKeyValue("route", route)
        .addKeyValue("path", path)
        .addKeyValue(
            "repository",
            match == null ? null : match.repository().map(Object::toString).orElse(null))
        .addKeyValue("status", exchange.status())
        .addKeyValue("bytes_sent", exchange.bytesSent())
        .addKeyValue("bytes_received", exchange.bytesReceived())
        .addKeyValue("ranges", exchange.rangesServed() == 0 ? null : exchange.rangesServed())
        .addKeyValue("duration_ms", exchange.elapsedMillis())
        .addKeyValue("principal", exchange.caller().name())
        .addKeyValue("user_agent", userAgent == null ? null : printable(userAgent, MAX_USER_AGENT))
        .addKeyValue("client", exchange.forwarded().client().getHostAddress())
        .addKeyValue("completed", completed)
        .log();
  }

  /** The peer's IP address without the port (the text line keeps {@code /ip:port}). */
  static String address(SocketAddress remote) {
    if (remote instanceof InetSocketAddress in && in.getAddress() != null) {
      return in.getAddress().getHostAddress();
    }
    return String.valueOf(remote);
  }

  static String printable(String s) {
    return printable(s, 512);
  }

  static String printable(String s, int max) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), max));
    for (int i = 0; i < s.length() && i < max; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f || c > 0x7e) {
        b.append(String.format("\\x%02x", (int) c & 0xff));
      } else {
        b.append(c);
      }
    }
    return s.length() > max ? b.append("...").toString() : b.toString();
  }
}
