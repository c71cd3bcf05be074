package dev.lading.auth;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Who a request acts for. Users and robots share one namespace of login names (a robot is a user
 * whose secret the registry generated and which no human types); {@code anonymous} is the caller
 * without credentials and cannot be claimed as an account name.
 */
public record Principal(String name, Kind kind) {
  public enum Kind {
    USER,
    ROBOT,
    ANONYMOUS;

    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Kind parse(String wire) {
      for (Kind k : values()) {
        if (k.wire().equals(wire)) {
          return k;
        }
      }
      throw new IllegalArgumentException("unknown principal kind");
    }
  }

  public static final String ANONYMOUS_NAME = "anonymous";
  public static final Principal ANONYMOUS = new Principal(ANONYMOUS_NAME, Kind.ANONYMOUS);

  /** Account names: short, printable, safe in a log line and a JWT {@code sub}. */
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

  public Principal {
    Objects.requireNonNull(kind, "kind");
    if (kind == Kind.ANONYMOUS) {
      if (!ANONYMOUS_NAME.equals(name)) {
        throw new IllegalArgumentException("the anonymous principal is named " + ANONYMOUS_NAME);
      }
    } else {
      requireAccountName(name);
    }
  }

  /**
   * @throws IllegalArgumentException unless {@code name} may name a user or robot
   */
  public static String requireAccountName(String name) {
    if (name == null || !NAME.matcher(name).matches() || name.equals(ANONYMOUS_NAME)) {
      throw new IllegalArgumentException(
          "an account name is 1..64 of [a-z0-9._-], starting with a letter or digit, and not '"
              + ANONYMOUS_NAME
              + "'");
    }
    return name;
  }

  public boolean anonymous() {
    return kind == Kind.ANONYMOUS;
  }
}
