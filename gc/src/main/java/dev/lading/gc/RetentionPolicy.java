package dev.lading.gc;

import dev.lading.core.model.RepositoryName;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * One retention policy ({@code policies.retention[i]} in the configuration): which repositories and
 * tags it governs, which of those tags it keeps, and how long it keeps untagged manifests. The
 * evaluation ({@link RetentionPlan}) says what "keeps" means when several policies apply.
 *
 * @param name how reports and the audit log name the policy ({@code policies.retention[0]})
 * @param repositories which repositories the policy governs (the server passes its repository
 *     patterns, {@code ml/**}; gc imports no auth)
 * @param tags tag patterns, {@code *} matching any run of characters ({@code ci-*}); empty: every
 *     tag of a governed repository
 * @param keepLast keep the N most recently pushed tags the policy covers (push time: the tag's last
 *     write, ties broken by name)
 * @param keepPushedWithin keep covered tags pushed within this duration of the run's start
 * @param keepPulledWithin keep covered tags pulled within this duration of the run's start, by tag
 *     or by the digest the tag names now, as the instances' pull logs recorded it (see core's
 *     {@code PullLog}: up to one flush interval late)
 * @param untaggedFor untagged manifests of a governed repository whose revision link is older than
 *     this (and than the grace period) become GC candidates; empty: the policy says nothing about
 *     untagged manifests
 */
public record RetentionPolicy(
    String name,
    Predicate<RepositoryName> repositories,
    List<String> tags,
    OptionalInt keepLast,
    Optional<Duration> keepPushedWithin,
    Optional<Duration> keepPulledWithin,
    Optional<Duration> untaggedFor) {

  private static final Pattern TAG_PATTERN = Pattern.compile("[a-zA-Z0-9_.*-]{1,128}");

  public RetentionPolicy {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(repositories, "repositories");
    tags = List.copyOf(tags);
    Objects.requireNonNull(keepLast, "keepLast");
    Objects.requireNonNull(keepPushedWithin, "keepPushedWithin");
    Objects.requireNonNull(keepPulledWithin, "keepPulledWithin");
    Objects.requireNonNull(untaggedFor, "untaggedFor");
    for (String t : tags) {
      if (!TAG_PATTERN.matcher(t).matches()) {
        throw new IllegalArgumentException(
            "invalid tag pattern '" + t + "': tag characters and * only");
      }
    }
    if (keepLast.isPresent() && keepLast.getAsInt() < 0) {
      throw new IllegalArgumentException("keep_last must not be negative");
    }
    for (Optional<Duration> d : List.of(keepPushedWithin, keepPulledWithin, untaggedFor)) {
      if (d.isPresent() && d.get().isNegative()) {
        throw new IllegalArgumentException("durations must not be negative");
      }
    }
  }

  /** True when the policy governs {@code repository}. */
  public boolean governs(RepositoryName repository) {
    return repositories.test(repository);
  }

  /** True when the policy's tag patterns cover {@code tag} (no patterns: every tag). */
  public boolean covers(String tag) {
    if (tags.isEmpty()) {
      return true;
    }
    for (String pattern : tags) {
      if (glob(pattern).matcher(tag).matches()) {
        return true;
      }
    }
    return false;
  }

  /**
   * True when the policy has a rule for tags. One without ({@code untagged_for} alone) keeps every
   * tag it covers: a policy never deletes tags by leaving its keep rules out.
   */
  public boolean hasTagRules() {
    return keepLast.isPresent() || keepPushedWithin.isPresent() || keepPulledWithin.isPresent();
  }

  private static Pattern glob(String pattern) {
    StringBuilder b = new StringBuilder();
    String[] literal = pattern.split("\\*", -1);
    for (int i = 0; i < literal.length; i++) {
      if (i > 0) {
        b.append(".*");
      }
      b.append(Pattern.quote(literal[i]));
    }
    return Pattern.compile(b.toString());
  }
}
