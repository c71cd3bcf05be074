package dev.lading.core.policy;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The immutable tag rules in force, in configured order; the first rule matching a tag is the one a
 * refusal names. Empty: every tag may move.
 */
public record ImmutableTags(List<ImmutableTagRule> rules) {
  public static final ImmutableTags NONE = new ImmutableTags(List.of());

  public ImmutableTags {
    rules = List.copyOf(rules);
  }

  public boolean isEmpty() {
    return rules.isEmpty();
  }

  /** The first rule that makes {@code tag} of {@code repository} immutable. */
  public Optional<ImmutableTagRule> ruleFor(RepositoryName repository, Tag tag) {
    for (ImmutableTagRule r : rules) {
      if (r.matches(repository, tag)) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }

  /**
   * The spec's {@code DENIED} (403) for a move or delete of an immutable tag: the message names the
   * tag, the repository and the rule; the detail repeats them ({@code rule} as {@link
   * ImmutableTagRule#describe}), with the digest the tag keeps and, for a push, the one refused.
   */
  public static RegistryException refusal(
      ImmutableTagRule rule,
      RepositoryName repository,
      Tag tag,
      Digest current,
      Optional<Digest> refused,
      String what) {
    Map<String, String> detail = new LinkedHashMap<>();
    detail.put("repository", repository.value());
    detail.put("tag", tag.value());
    detail.put("digest", current.toString());
    refused.ifPresent(d -> detail.put("refused", d.toString()));
    detail.put("rule", rule.describe());
    return ErrorCode.DENIED
        .exception(
            "tag "
                + tag.value()
                + " of "
                + repository.value()
                + " is immutable ("
                + rule.describe()
                + "): "
                + what)
        .withDetail(detail);
  }
}
