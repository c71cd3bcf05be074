package dev.lading.storage.s3;

import java.util.regex.Pattern;

/**
 * The SPI's key grammar, checked before any key reaches S3: segments of {@code [A-Za-z0-9._-]},
 * never {@code .} or {@code ..}, joined by single slashes, at most 1024 characters. The same
 * rules as the filesystem store, so a key valid in one store is valid in the other; and the
 * store's private {@code +tails/} namespace can never be named by a caller ({@code +} is in no
 * segment).
 */
final class KeyGrammar {
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]+");
  private static final Pattern PARTIAL_SEGMENT = Pattern.compile("[A-Za-z0-9._-]*");
  static final int MAX_KEY_LENGTH = 1024;

  private KeyGrammar() {}

  static String requireKey(String key) {
    if (key == null || key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
      throw new IllegalArgumentException("invalid key");
    }
    for (String segment : key.split("/", -1)) {
      if (!isSegment(segment)) {
        throw new IllegalArgumentException("invalid key segment in " + shorten(key));
      }
    }
    return key;
  }

  static String requirePrefix(String prefix) {
    if (prefix == null || prefix.length() > MAX_KEY_LENGTH) {
      throw new IllegalArgumentException("invalid prefix");
    }
    if (prefix.isEmpty()) {
      return prefix;
    }
    String[] segments = prefix.split("/", -1);
    for (int i = 0; i < segments.length - 1; i++) {
      if (!isSegment(segments[i])) {
        throw new IllegalArgumentException("invalid prefix segment in " + shorten(prefix));
      }
    }
    if (!PARTIAL_SEGMENT.matcher(segments[segments.length - 1]).matches()) {
      throw new IllegalArgumentException("invalid prefix " + shorten(prefix));
    }
    return prefix;
  }

  static boolean isSegment(String segment) {
    return SEGMENT.matcher(segment).matches() && !segment.equals(".") && !segment.equals("..");
  }

  static String shorten(String s) {
    return s.length() > 100 ? s.substring(0, 100) + "..." : s;
  }
}
