package dev.lading.server.http;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The elements of RFC 7239 {@code Forwarded} header lines, in the order received: each a map from
 * lower-cased parameter name ({@code for}, {@code proto}, {@code host}, {@code by}, ...) to its
 * value, quotes and escapes removed.
 *
 * <pre>
 * Forwarded         = 1#forwarded-element
 * forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )
 * forwarded-pair    = token "=" value
 * value             = token / quoted-string
 * </pre>
 *
 * Optional whitespace is accepted around {@code ,} and {@code ;}, and an unquoted value may hold
 * {@code :}, {@code [} and {@code ]} ({@code for=192.0.2.1:4711}, {@code host=a:5000}), which the
 * grammar wants quoted but proxies do not always quote; none of them can end a pair or an element,
 * so reading them is never ambiguous. Anything else that does not follow the grammar, or a
 * parameter named twice in one element, makes the whole header unusable: which proxy wrote which
 * part can no longer be known.
 */
final class ForwardedElements {
  private final String text;
  private int at;

  private ForwardedElements(String text) {
    this.text = text;
  }

  /** The elements of all lines, or empty when any line breaks the grammar. */
  static Optional<List<Map<String, String>>> parse(List<String> lines) {
    List<Map<String, String>> elements = new ArrayList<>();
    for (String line : lines) {
      if (!new ForwardedElements(line).readInto(elements)) {
        return Optional.empty();
      }
    }
    return elements.isEmpty() ? Optional.empty() : Optional.of(List.copyOf(elements));
  }

  private boolean readInto(List<Map<String, String>> elements) {
    Map<String, String> element = new HashMap<>();
    while (true) {
      skipSpace();
      if (at < text.length() && text.charAt(at) != ',' && text.charAt(at) != ';') {
        String name = token();
        if (name == null || !consume('=')) {
          return false;
        }
        String value = at < text.length() && text.charAt(at) == '"' ? quoted() : unquotedValue();
        if (value == null || element.put(name.toLowerCase(Locale.ROOT), value) != null) {
          return false;
        }
        skipSpace();
      }
      if (at == text.length() || text.charAt(at) == ',') {
        // An empty list member (", ,") is allowed by the list rule and carries nothing.
        if (!element.isEmpty()) {
          elements.add(Map.copyOf(element));
          element = new HashMap<>();
        }
        if (at == text.length()) {
          return true;
        }
        at++;
      } else if (!consume(';')) {
        return false;
      }
    }
  }

  private void skipSpace() {
    while (at < text.length() && (text.charAt(at) == ' ' || text.charAt(at) == '\t')) {
      at++;
    }
  }

  private boolean consume(char c) {
    if (at < text.length() && text.charAt(at) == c) {
      at++;
      return true;
    }
    return false;
  }

  /** RFC 9110 token: one or more tchar. */
  private String token() {
    int start = at;
    while (at < text.length() && isTchar(text.charAt(at))) {
      at++;
    }
    return at == start ? null : text.substring(start, at);
  }

  /** A token, or the host and port characters proxies leave unquoted. */
  private String unquotedValue() {
    int start = at;
    while (at < text.length()
        && (isTchar(text.charAt(at)) || ":[]".indexOf(text.charAt(at)) >= 0)) {
      at++;
    }
    return at == start ? null : text.substring(start, at);
  }

  /** RFC 9110 quoted-string, with its backslash escapes undone. */
  private String quoted() {
    StringBuilder value = new StringBuilder();
    at++;
    while (at < text.length()) {
      char c = text.charAt(at++);
      if (c == '"') {
        return value.toString();
      }
      if (c == '\\') {
        if (at == text.length()) {
          return null;
        }
        c = text.charAt(at++);
      }
      if (c < 0x20 && c != '\t' || c == 0x7f) {
        return null;
      }
      value.append(c);
    }
    return null;
  }

  private static boolean isTchar(char c) {
    return c >= 'a' && c <= 'z'
        || c >= 'A' && c <= 'Z'
        || c >= '0' && c <= '9'
        || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
  }
}
