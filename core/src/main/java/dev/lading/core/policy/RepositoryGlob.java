package dev.lading.core.policy;

import dev.lading.core.model.RepositoryName;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A repository path pattern: components separated by {@code /}; {@code *} matches exactly one
 * component, {@code **} one or more components, and a {@code *} inside a component matches any run
 * of characters within it ({@code team-*}). So {@code ml/**} covers {@code ml/vllm} and {@code
 * ml/deep/x} but not {@code ml} itself, nor {@code mlx/a}: a rule never leaks into a sibling path
 * that merely shares a prefix. Matching is on whole components against a validated {@link
 * RepositoryName}, so no {@code ..} or encoded slash can slip through. The one definition of these
 * semantics: auth's access rules and the immutable tag rules both match through it.
 */
public record RepositoryGlob(String value) {
  private static final Pattern COMPONENT =
      Pattern.compile("\\*\\*|[a-z0-9*](?:[a-z0-9._*-]*[a-z0-9*])?");

  public RepositoryGlob {
    Objects.requireNonNull(value, "value");
    if (value.isEmpty() || value.length() > RepositoryName.MAX_LENGTH) {
      throw new IllegalArgumentException(
          "a repository pattern must be 1.." + RepositoryName.MAX_LENGTH + " characters");
    }
    for (String c : value.split("/", -1)) {
      if (!COMPONENT.matcher(c).matches()
          || c.contains("**") && !c.equals("**")
          || c.contains("..")) {
        throw new IllegalArgumentException(
            "invalid repository pattern '"
                + value
                + "': components are names, *, or ** (a lone ** component)");
      }
    }
  }

  public static RepositoryGlob parse(String value) {
    return new RepositoryGlob(value);
  }

  public boolean matches(RepositoryName name) {
    return regex().matcher(name.value()).matches();
  }

  private Pattern regex() {
    // Not cached in a field: records compare by value, and patterns are few and short.
    StringBuilder b = new StringBuilder();
    String[] parts = value.split("/", -1);
    for (int i = 0; i < parts.length; i++) {
      if (i > 0) {
        b.append('/');
      }
      String c = parts[i];
      if (c.equals("**")) {
        b.append("[^/]+(?:/[^/]+)*");
      } else {
        String[] literal = c.split("\\*", -1);
        for (int j = 0; j < literal.length; j++) {
          if (j > 0) {
            b.append("[^/]*");
          }
          b.append(Pattern.quote(literal[j]));
        }
      }
    }
    return Pattern.compile(b.toString());
  }

  @Override
  public String toString() {
    return value;
  }
}
