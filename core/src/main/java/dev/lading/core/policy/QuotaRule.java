package dev.lading.core.policy;

import dev.lading.core.model.RepositoryName;
import java.util.List;
import java.util.Objects;

/**
 * One quota: at most {@code bytes} of distinct content in the repositories matching one of {@code
 * repositories}, each blob counted once however many of them hold it. {@code name} says where the
 * quota was configured ({@code policies.quotas[0]}), so a refusal, a metric and the admin endpoint
 * can name it.
 */
public record QuotaRule(String name, List<RepositoryGlob> repositories, long bytes) {
  public QuotaRule {
    Objects.requireNonNull(name, "name");
    repositories = List.copyOf(repositories);
    if (repositories.isEmpty()) {
      throw new IllegalArgumentException("a quota needs at least one repository pattern");
    }
    if (bytes < 0) {
      throw new IllegalArgumentException("a quota's bytes must be 0 or more");
    }
  }

  public boolean covers(RepositoryName repository) {
    return repositories.stream().anyMatch(r -> r.matches(repository));
  }

  /** {@code policies.quotas[0] (ml/**)}: where the quota is and what it covers. */
  public String describe() {
    return name
        + " ("
        + String.join(",", repositories.stream().map(RepositoryGlob::value).toList())
        + ")";
  }
}
