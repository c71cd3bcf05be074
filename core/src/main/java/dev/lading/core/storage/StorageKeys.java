package dev.lading.core.storage;

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

  private StorageKeys() {}

  /** {@code key} when it is a valid key; otherwise {@link IllegalArgumentException}. */
  public static String requireKey(String key) {
    if (key == null || key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
      throw new IllegalArgumentException("invalid key");
    }
    // A scan, not a split and a regex per segment: every store call of every request checks its
    // key.
    int start = 0;
    for (int i = 0; i <= key.length(); i++) {
      if (i == key.length() || key.charAt(i) == '/') {
        if (!isWholeSegment(key, start, i)) {
          throw new IllegalArgumentException("invalid key segment in " + shorten(key));
        }
        start = i + 1;
      } else if (!isSegmentChar(key.charAt(i))) {
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
    int start = 0;
    for (int i = 0; i < prefix.length(); i++) {
      char c = prefix.charAt(i);
      if (c == '/') {
        if (!isWholeSegment(prefix, start, i)) {
          throw new IllegalArgumentException("invalid prefix segment in " + shorten(prefix));
        }
        start = i + 1;
      } else if (!isSegmentChar(c)) {
        throw new IllegalArgumentException("invalid prefix " + shorten(prefix));
      }
    }
    return prefix; // the last segment may be partial: any run of segment characters, or none
  }

  /** Whether {@code segment} may stand between two slashes of a key. */
  public static boolean isSegment(String segment) {
    for (int i = 0; i < segment.length(); i++) {
      if (!isSegmentChar(segment.charAt(i))) {
        return false;
      }
    }
    return isWholeSegment(segment, 0, segment.length());
  }

  /** Whether {@code s[from, to)}, of segment characters, is a segment: not empty, not . or .. */
  private static boolean isWholeSegment(String s, int from, int to) {
    int length = to - from;
    return length > 2
        || (length == 2 && !(s.charAt(from) == '.' && s.charAt(from + 1) == '.'))
        || (length == 1 && s.charAt(from) != '.');
  }

  private static boolean isSegmentChar(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '.'
        || c == '_'
        || c == '-';
  }

  private static String shorten(String s) {
    return s.length() > 100 ? s.substring(0, 100) + "..." : s;
  }
}
