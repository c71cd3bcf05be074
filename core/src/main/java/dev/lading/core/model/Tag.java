package dev.lading.core.model;

import dev.lading.core.error.ErrorCode;
import java.util.regex.Pattern;

/**
 * A tag, {@code [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}} as the distribution-spec defines it.
 *
 * <p>The spec has no error code for a bad tag, so Lading chose: a value outside the grammar is
 * {@code 400 MANIFEST_INVALID} here, which is what a manifest push to such a tag answers (the
 * manifest cannot be stored under it). Reading or deleting one ({@code GET}, {@code HEAD}, {@code
 * DELETE}) answers {@code 404 MANIFEST_UNKNOWN} instead, as Distribution does: no manifest can
 * exist under a tag that cannot exist, and that is the truthful answer for a read.
 */
public record Tag(String value) implements Reference {
  private static final Pattern GRAMMAR = Pattern.compile("[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");

  public Tag {
    if (value == null || !GRAMMAR.matcher(value).matches()) {
      throw ErrorCode.MANIFEST_INVALID.exception("invalid tag").withDetail(shorten(value));
    }
  }

  public static Tag parse(String wire) {
    return new Tag(wire);
  }

  public static boolean isTag(String wire) {
    return wire != null && GRAMMAR.matcher(wire).matches();
  }

  @Override
  public String toString() {
    return value;
  }

  private static String shorten(String s) {
    if (s == null) {
      return "";
    }
    return s.length() > 140 ? s.substring(0, 140) + "..." : s;
  }
}
