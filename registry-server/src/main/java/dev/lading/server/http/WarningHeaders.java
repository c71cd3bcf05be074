package dev.lading.server.http;

import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * distribution-spec's {@code Warning} headers ("Warnings", on main since 1.1): informational only,
 * each {@code 299 - "<text>"} (warn-code 299, warn-agent {@code -}, never a warn-date), and no more
 * than 4096 bytes of warning data in one answer. Clients report them to the user, deduplicated, and
 * must not act on them; so a registry may send them on any answer without changing its meaning.
 *
 * <p>Lading warns only where a push succeeds with something the specs deprecate (see {@code
 * ManifestWarnings}): a warning the user cannot act on, or one sent on every pull, is noise that
 * teaches people to ignore the header.
 */
final class WarningHeaders {
  /** The spec's bound on the warning data of one answer, all headers together. */
  static final int MAX_BYTES = 4096;

  private WarningHeaders() {}

  /**
   * Adds one {@code Warning} per distinct message, in order, while the values stay within {@link
   * #MAX_BYTES} (the rest are dropped, never cut in the middle).
   */
  static void add(HttpHeaders headers, List<String> messages) {
    int used = 0;
    for (String message : new LinkedHashSet<>(messages)) {
      String value = "299 - " + quoted(message);
      int bytes = value.getBytes(StandardCharsets.US_ASCII).length;
      if (used + bytes > MAX_BYTES) {
        break;
      }
      headers.add("Warning", value);
      used += bytes;
    }
  }

  /**
   * RFC 9110's quoted-string: {@code "} and {@code \} escaped; anything outside printable ASCII (a
   * control character could split the header) becomes {@code ?}.
   */
  static String quoted(String text) {
    StringBuilder out = new StringBuilder(text.length() + 2).append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c >= 0x20 && c < 0x7f) {
        out.append(c);
      } else {
        out.append('?');
      }
    }
    return out.append('"').toString();
  }
}
