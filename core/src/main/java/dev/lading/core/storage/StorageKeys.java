package dev.lading.core.storage;

import java.util.regex.Pattern;

/**
 * The key grammar of the {@link ObjectStore} SPI, checked by every store before a key reaches its
 * medium: segments of {@code [A-Za-z0-9._-]}, never {@code .} or {@code ..}, joined by single
 * slashes, at most {@value #MAX_KEY_LENGTH} characters. One check for all stores, so a key valid in
 * one is valid in every other, no key can climb out of a filesystem root, and a store's own
 * namespaces ({@code +staging}, {@code +tails/}...) can never be named by a caller: {@code +} is in
 * no segment. {@code dev.lading.core.layout.StorageLayout} only ever builds keys of this grammar.
 */
public final class StorageKeys {
  /** The longest key (and prefix) a store accepts. */
  public static final int MAX_KEY_LENGTH = 1024;

  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]+");
  private static final Pattern PARTIAL_SEGMENT = Pattern.compile("[A-Za-z0-9._-]*");

  private StorageKeys() {}

  /** {@code key} when it is a valid key; otherwise {@link IllegalArgumentException}. */
  public static String requireKey(String key) {
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

  /** Whether {@code key} is a valid key (for skipping what others put next to a store's keys). */
  public static boolean isKey(String key) {
    try {
      requireKey(key);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * {@code prefix} when it is a valid listing prefix: empty, or whole segments each followed by a
   * slash and then the start of a segment (possibly empty); otherwise {@link
   * IllegalArgumentException}.
   */
  public static String requirePrefix(String prefix) {
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

  /** Whether {@code segment} may stand between two slashes of a key. */
  public static boolean isSegment(String segment) {
    return SEGMENT.matcher(segment).matches() && !segment.equals(".") && !segment.equals("..");
  }

  private static String shorten(String s) {
    return s.length() > 100 ? s.substring(0, 100) + "..." : s;
  }
}
