package dev.lading.core.model;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import java.util.regex.Pattern;

/** A tag, {@code [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}} as the distribution-spec defines it. */
public record Tag(String value) implements Reference {
  private static final Pattern GRAMMAR = Pattern.compile("[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");

  public Tag {
    if (value == null || !GRAMMAR.matcher(value).matches()) {
      throw new RegistryException(ErrorCode.TAG_INVALID, "invalid tag", shorten(value));
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
