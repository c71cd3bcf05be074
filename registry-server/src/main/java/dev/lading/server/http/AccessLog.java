package dev.lading.server.http;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per request on the {@code dev.lading.access} logger: method, path, status, bytes
 * sent, milliseconds, and the client: the TCP peer, or {@code <client> via <peer>} when a
 * trusted proxy named the client ({@link ForwardedRequest#describe()}). Never a header (no {@code Authorization}); the path's
 * control characters are escaped so a request cannot forge log lines.
 */
final class AccessLog {
  private static final Logger log = LoggerFactory.getLogger("dev.lading.access");

  void log(Exchange exchange) {
    if (!log.isInfoEnabled()) {
      return;
    }
    log.info("{} {} {} {}B {}ms {}",
        exchange.method().name(),
        printable(exchange.uri()),
        exchange.status(),
        exchange.bytesSent(),
        exchange.elapsedMillis(),
        exchange.forwarded().describe());
  }

  static String printable(String s) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), 512));
    for (int i = 0; i < s.length() && i < 512; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f || c > 0x7e) {
        b.append(String.format("\\x%02x", (int) c & 0xff));
      } else {
        b.append(c);
      }
    }
    return s.length() > 512 ? b.append("...").toString() : b.toString();
  }
}
