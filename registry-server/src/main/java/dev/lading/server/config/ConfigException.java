package dev.lading.server.config;

import java.util.List;

/** A configuration that cannot start the server; the message names every offending key. */
public final class ConfigException extends RuntimeException {
  private final List<String> problems;

  public ConfigException(List<String> problems) {
    super("invalid config: " + String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  public ConfigException(String problem) {
    this(List.of(problem));
  }

  /** Each problem as {@code key: what is wrong (from SOURCE)}. */
  public List<String> problems() {
    return problems;
  }
}
