package dev.lading.auth;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * What a scope asks to do with a resource. {@code *} is the catalog's only action and, on a
 * repository, asks for every action (the token then lists the concrete ones granted).
 */
public enum Action {
  PULL("pull"),
  PUSH("push"),
  DELETE("delete"),
  ALL("*");

  /** The concrete repository actions (what {@code *} stands for on a repository). */
  public static final Set<Action> REPOSITORY_ACTIONS = Set.copyOf(EnumSet.of(PULL, PUSH, DELETE));

  private final String wire;

  Action(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  /**
   * Parses {@code pull}, {@code push}, {@code delete} or {@code *} (case-sensitive, as the spec).
   */
  public static Action parse(String wire) {
    for (Action a : values()) {
      if (a.wire.equals(wire)) {
        return a;
      }
    }
    String shown =
        wire == null ? "null" : wire.length() > 32 ? wire.substring(0, 32) + "..." : wire;
    throw new IllegalArgumentException("unknown action '" + shown.toLowerCase(Locale.ROOT) + "'");
  }

  @Override
  public String toString() {
    return wire;
  }
}
