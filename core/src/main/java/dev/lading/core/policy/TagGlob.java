package dev.lading.core.policy;

import dev.lading.core.model.Tag;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A glob over a whole tag: {@code *} matches any run of characters (also none), {@code ?} exactly
 * one, everything else itself, case-sensitively ({@code v*}, {@code release-?}, {@code *}). Only
 * characters a tag may hold ({@code [a-zA-Z0-9._-]}) and the two wildcards are allowed, at most 128
 * of them, so a pattern that could never match a tag (a typo such as {@code v1/*} or {@code
 * v[0-9]}) is refused where it is configured instead of silently protecting nothing.
 */
public record TagGlob(String value) {
  private static final Pattern GRAMMAR = Pattern.compile("[a-zA-Z0-9._*?-]{1,128}");

  public TagGlob {
    Objects.requireNonNull(value, "value");
    if (!GRAMMAR.matcher(value).matches()) {
      throw new IllegalArgumentException(
          "invalid tag pattern '"
              + value
              + "': 1..128 of a-z A-Z 0-9 . _ - and the wildcards * (any run) and ? (one"
              + " character)");
    }
  }

  public static TagGlob parse(String value) {
    return new TagGlob(value);
  }

  public boolean matches(Tag tag) {
    return matches(value, 0, tag.value(), 0);
  }

  /**
   * The usual two-pointer glob match: on a mismatch, go back to the last {@code *} and let it take
   * one more character. At most pattern length times tag length steps, whatever the pattern.
   */
  private static boolean matches(String p, int pi, String s, int si) {
    int star = -1;
    int resume = 0;
    while (si < s.length()) {
      if (pi < p.length() && (p.charAt(pi) == '?' || p.charAt(pi) == s.charAt(si))) {
        pi++;
        si++;
      } else if (pi < p.length() && p.charAt(pi) == '*') {
        star = pi++;
        resume = si;
      } else if (star >= 0) {
        pi = star + 1;
        si = ++resume;
      } else {
        return false;
      }
    }
    while (pi < p.length() && p.charAt(pi) == '*') {
      pi++;
    }
    return pi == p.length();
  }

  @Override
  public String toString() {
    return value;
  }
}
