package dev.lading.core.policy;

import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import java.util.List;
import java.util.Objects;

/**
 * One immutable tag rule: a tag matching one of {@code tags} in a repository matching one of {@code
 * repositories} never moves and is never deleted once it exists. {@code name} says where the rule
 * was configured ({@code policies.immutable_tags[0]}), so a refusal can name it.
 */
public record ImmutableTagRule(String name, List<RepositoryGlob> repositories, List<TagGlob> tags) {
  public ImmutableTagRule {
    Objects.requireNonNull(name, "name");
    repositories = List.copyOf(repositories);
    tags = List.copyOf(tags);
    if (repositories.isEmpty() || tags.isEmpty()) {
      throw new IllegalArgumentException(
          "a rule needs at least one repository and one tag pattern");
    }
  }

  public boolean matches(RepositoryName repository, Tag tag) {
    return repositories.stream().anyMatch(r -> r.matches(repository))
        && tags.stream().anyMatch(t -> t.matches(tag));
  }

  /** {@code policies.immutable_tags[0]: ml/** v*}: where the rule is and what it covers. */
  public String describe() {
    return name
        + ": "
        + String.join(",", repositories.stream().map(RepositoryGlob::value).toList())
        + " "
        + String.join(",", tags.stream().map(TagGlob::value).toList());
  }
}
