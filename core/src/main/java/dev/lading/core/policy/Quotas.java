package dev.lading.core.policy;

import dev.lading.core.model.RepositoryName;
import java.util.List;

/**
 * The quotas in force, in configured order. A repository may fall under several (a team's path and
 * the whole registry): a push must fit every one of them. Empty: no limit.
 */
public record Quotas(List<QuotaRule> rules) {
  public static final Quotas NONE = new Quotas(List.of());

  public Quotas {
    rules = List.copyOf(rules);
  }

  public boolean isEmpty() {
    return rules.isEmpty();
  }

  /** The quotas covering {@code repository}, in configured order. */
  public List<QuotaRule> covering(RepositoryName repository) {
    // Asked on every push; with no quotas (the default) there is nothing to filter.
    return rules.isEmpty() ? rules : rules.stream().filter(r -> r.covers(repository)).toList();
  }
}
