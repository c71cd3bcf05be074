package dev.lading.events;

import java.util.Objects;

/**
 * Who caused an event: the principal's name and kind ({@code user}, {@code robot}, {@code
 * anonymous}, or {@code system} for GC), as the audit log names them.
 */
public record Actor(String name, String kind) {
  public static final Actor SYSTEM = new Actor("lading", "system");

  public Actor {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
  }
}
