package dev.lading.core.model;

import dev.lading.core.error.ErrorCode;
import java.util.regex.Pattern;

/**
 * A repository name as the distribution-spec defines it: path components of lower-case
 * alphanumerics joined by {@code .}, {@code _}, {@code __} or dashes, separated by {@code /}. No
 * component can be empty, {@code .}, {@code ..} or start with {@code _}, so a name is always safe
 * inside a storage key and can never collide with the layout's {@code _}-prefixed entries.
 */
public record RepositoryName(String value) implements Comparable<RepositoryName> {
  /** Names longer than this are refused (Distribution and most clients use 255). */
  public static final int MAX_LENGTH = 255;

  private static final Pattern GRAMMAR =
      Pattern.compile(
          "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");

  public RepositoryName {
    if (value == null || value.length() > MAX_LENGTH || !GRAMMAR.matcher(value).matches()) {
      String shown =
          value == null ? "" : value.length() > 140 ? value.substring(0, 140) + "..." : value;
      throw ErrorCode.NAME_INVALID.exception().withDetail(shown);
    }
  }

  public static RepositoryName parse(String wire) {
    return new RepositoryName(wire);
  }

  public static boolean isValid(String wire) {
    return wire != null && wire.length() <= MAX_LENGTH && GRAMMAR.matcher(wire).matches();
  }

  @Override
  public int compareTo(RepositoryName other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
