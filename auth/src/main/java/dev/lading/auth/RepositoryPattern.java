package dev.lading.auth;

import dev.lading.core.model.RepositoryName;
import dev.lading.core.policy.RepositoryGlob;
import java.util.Objects;

/**
 * A repository path pattern in a rule: components separated by {@code /}; {@code *} matches exactly
 * one component, {@code **} one or more components, and a {@code *} inside a component matches any
 * run of characters within it ({@code team-*}). So {@code ml/**} covers {@code ml/vllm} and {@code
 * ml/deep/x} but not {@code ml} itself, nor {@code mlx/a}: a grant never leaks into a sibling path
 * that merely shares a prefix. The grammar and matching are core's {@link RepositoryGlob}, which
 * the immutable tag rules use too, so a pattern means the same in both places.
 */
public record RepositoryPattern(String value) {
  public RepositoryPattern {
    Objects.requireNonNull(value, "value");
    RepositoryGlob.parse(value); // validates, with the message a config error shows
  }

  public static RepositoryPattern parse(String value) {
    return new RepositoryPattern(value);
  }

  public boolean matches(RepositoryName name) {
    return RepositoryGlob.parse(value).matches(name);
  }

  @Override
  public String toString() {
    return value;
  }
}
