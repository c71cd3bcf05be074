package dev.lading.gc;

import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import dev.lading.core.policy.ImmutableTags;
import dev.lading.gc.RetentionAction.Kind;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What retention decides for one repository, from what the run listed and nothing else (no store
 * call), so a dry run and a real run over the same listing decide the same.
 *
 * <p><b>Tags.</b> A tag no policy covers is untouched. A covered tag is kept when any covering
 * policy keeps it: it is among that policy's {@code keep_last} newest covered tags (by push time,
 * ties by name), or pushed within its {@code keep_pushed_within}, or pulled (by its name or by the
 * digest it names) within its {@code keep_pulled_within}, or the policy has no tag rule at all. A
 * tag pushed after the run's cutoff (its start minus the grace period) is always kept, as GC keeps
 * every young object. Every other covered tag is removed.
 *
 * <p><b>Untagged manifests.</b> Only policies with {@code untagged_for} speak about them; when
 * several apply to a repository the longest wins (a policy keeps what it keeps). With none, the
 * repository keeps today's behaviour ({@code gc.delete_untagged}). A manifest no remaining tag
 * names expires when its revision link is older than {@code untagged_for} and than the cutoff. The
 * age is the link's, i.e. since the manifest was pushed, not since it lost its last tag: the store
 * keeps no record of when a tag moved away (a tag is one object, overwritten in place), and keeping
 * one would cost every tag push a write. So {@code untagged_for} reads "a manifest is reclaimable
 * once it is untagged and at least this old"; a weekly rebuild's previous image goes at the first
 * run after the new one took its tags, unless {@code untagged_for} is longer than a week.
 *
 * <p><b>What kept images need.</b> An expired manifest is removed only when nothing kept reaches
 * it: the children of a kept index and the referrers (signatures, SBOMs) of a kept subject are kept
 * to a fixpoint, as GC's mark does, so an index's platform images stay while the index is tagged,
 * and a signature goes with its image, never before it.
 */
final class RetentionPlan {

  /**
   * A tag as listed: what it names, when it was last written (its push time) and when it was last
   * seen pulled, by its name or by the digest it names (empty: never, as far as the records go).
   */
  record TagState(String tag, Digest digest, Instant pushed, Optional<Instant> pulled) {
    TagState(String tag, Digest digest, Instant pushed) {
      this(tag, digest, pushed, Optional.empty());
    }
  }

  /**
   * One repository as the run listed it: tags, manifest links with their times, each manifest's
   * child manifests (indexes) and the referrers of each subject.
   */
  record RepositoryView(
      RepositoryName name,
      List<TagState> tags,
      Map<Digest, Instant> manifests,
      Map<Digest, Set<Digest>> children,
      Map<Digest, Set<Digest>> referrers) {}

  /**
   * The decisions: tags to remove, manifests to remove ({@code actions}, bytes not yet known); the
   * manifests to treat as unrooted ({@code expired}: present only when a policy with {@code
   * untagged_for} governs the repository, then every untagged manifest not in it is kept).
   */
  record Outcome(List<RetentionAction> actions, Optional<Set<Digest>> expired) {
    static final Outcome NONE = new Outcome(List.of(), Optional.empty());
  }

  private RetentionPlan() {}

  static Outcome evaluate(
      List<RetentionPolicy> policies, RepositoryView repo, Instant now, Instant cutoff) {
    return evaluate(policies, ImmutableTags.NONE, repo, now, cutoff);
  }

  /**
   * As above; a tag {@code immutable} covers is always kept, however old: retention must not remove
   * what nobody may delete.
   */
  static Outcome evaluate(
      List<RetentionPolicy> policies,
      ImmutableTags immutable,
      RepositoryView repo,
      Instant now,
      Instant cutoff) {
    List<RetentionPolicy> governing = new ArrayList<>();
    for (RetentionPolicy p : policies) {
      if (p.governs(repo.name())) {
        governing.add(p);
      }
    }
    if (governing.isEmpty()) {
      return Outcome.NONE;
    }
    List<RetentionAction> actions = new ArrayList<>();
    Set<Digest> tagged = new HashSet<>();
    Map<RetentionPolicy, Map<String, Integer>> ranks = new HashMap<>();
    for (RetentionPolicy p : governing) {
      ranks.put(p, ranks(p, repo.tags()));
    }
    Set<Digest> untaggedNow = new HashSet<>();
    for (TagState tag : repo.tags()) {
      List<String> why = new ArrayList<>();
      List<String> names = new ArrayList<>();
      boolean covered = false;
      boolean kept =
          !tag.pushed().isBefore(cutoff)
              || immutable.ruleFor(repo.name(), Tag.parse(tag.tag())).isPresent();
      for (RetentionPolicy p : governing) {
        if (kept || !p.covers(tag.tag())) {
          continue;
        }
        covered = true;
        Optional<String> removal = removalReason(p, tag, ranks.get(p).get(tag.tag()), now);
        if (removal.isEmpty()) {
          kept = true;
        } else {
          names.add(p.name());
          why.add(removal.get());
        }
      }
      if (!covered || kept) {
        tagged.add(tag.digest());
        continue;
      }
      untaggedNow.add(tag.digest());
      actions.add(
          new RetentionAction(
              Kind.UNTAG,
              repo.name(),
              Optional.of(tag.tag()),
              tag.digest(),
              String.join(", ", names),
              String.join("; ", why),
              0));
    }
    Optional<RetentionPolicy> untagged =
        governing.stream()
            .filter(p -> p.untaggedFor().isPresent())
            .max(Comparator.comparing(p -> p.untaggedFor().get()));
    if (untagged.isEmpty()) {
      return new Outcome(actions, Optional.empty());
    }
    Duration window = untagged.get().untaggedFor().get();
    Instant expiry = now.minus(window);
    Set<Digest> expired = new LinkedHashSet<>();
    Set<Digest> kept = new HashSet<>();
    for (Map.Entry<Digest, Instant> m : repo.manifests().entrySet()) {
      Digest d = m.getKey();
      if (tagged.contains(d)) {
        kept.add(d);
      } else if (m.getValue().isBefore(expiry) && m.getValue().isBefore(cutoff)) {
        expired.add(d);
      } else {
        kept.add(d);
      }
    }
    keepWhatKeptNeeds(repo, kept);
    expired.removeAll(kept);
    for (Digest d : expired) {
      Instant linked = repo.manifests().get(d);
      actions.add(
          new RetentionAction(
              Kind.DELETE_MANIFEST,
              repo.name(),
              Optional.empty(),
              d,
              untagged.get().name(),
              "untagged"
                  + (untaggedNow.contains(d) ? " (its last tag removed by this run)" : "")
                  + ", pushed "
                  + at(linked)
                  + ", beyond untagged_for "
                  + human(window),
              0));
    }
    return new Outcome(actions, Optional.of(Set.copyOf(expired)));
  }

  /** Children of kept indexes and referrers of kept subjects, to a fixpoint, as the mark does. */
  private static void keepWhatKeptNeeds(RepositoryView repo, Set<Digest> kept) {
    List<Digest> queue = new ArrayList<>(kept);
    while (!queue.isEmpty()) {
      Digest m = queue.removeLast();
      for (Digest next : repo.children().getOrDefault(m, Set.of())) {
        if (repo.manifests().containsKey(next) && kept.add(next)) {
          queue.add(next);
        }
      }
      for (Digest next : repo.referrers().getOrDefault(m, Set.of())) {
        if (repo.manifests().containsKey(next) && kept.add(next)) {
          queue.add(next);
        }
      }
    }
  }

  /** Each covered tag's place among the policy's covered tags, newest first (0 is the newest). */
  private static Map<String, Integer> ranks(RetentionPolicy p, List<TagState> tags) {
    List<TagState> covered = new ArrayList<>();
    for (TagState t : tags) {
      if (p.covers(t.tag())) {
        covered.add(t);
      }
    }
    covered.sort(Comparator.comparing(TagState::pushed).thenComparing(TagState::tag).reversed());
    Map<String, Integer> out = new HashMap<>();
    for (int i = 0; i < covered.size(); i++) {
      out.put(covered.get(i).tag(), i);
    }
    return out;
  }

  /** Why {@code p} would not keep {@code tag}; empty when it keeps it. */
  private static Optional<String> removalReason(
      RetentionPolicy p, TagState tag, int rank, Instant now) {
    if (!p.hasTagRules()) {
      return Optional.empty();
    }
    List<String> why = new ArrayList<>();
    if (p.keepLast().isPresent()) {
      if (rank < p.keepLast().getAsInt()) {
        return Optional.empty();
      }
      why.add(
          "beyond keep_last " + p.keepLast().getAsInt() + " (" + ordinal(rank + 1) + " newest)");
    }
    if (p.keepPushedWithin().isPresent()) {
      Duration within = p.keepPushedWithin().get();
      if (!tag.pushed().isBefore(now.minus(within))) {
        return Optional.empty();
      }
      why.add("pushed " + at(tag.pushed()) + ", before keep_pushed_within " + human(within));
    }
    if (p.keepPulledWithin().isPresent()) {
      Duration within = p.keepPulledWithin().get();
      if (tag.pulled().isPresent() && !tag.pulled().get().isBefore(now.minus(within))) {
        return Optional.empty();
      }
      why.add(
          (tag.pulled().isPresent() ? "last pulled " + at(tag.pulled().get()) : "never pulled")
              + ", before keep_pulled_within "
              + human(within));
    }
    return Optional.of(String.join(" and ", why));
  }

  private static String ordinal(int n) {
    int mod100 = n % 100;
    String suffix =
        mod100 >= 11 && mod100 <= 13
            ? "th"
            : switch (n % 10) {
              case 1 -> "st";
              case 2 -> "nd";
              case 3 -> "rd";
              default -> "th";
            };
    return n + suffix;
  }

  /**
   * A time in a reason: absolute (to the second), not "3d ago", so that a dry run and the real run
   * after it give the same reasons.
   */
  private static String at(Instant time) {
    return time.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** {@code 3d}, {@code 5h}, {@code 12m}, {@code 40s}: the largest whole unit. */
  static String human(Duration d) {
    if (d.toDays() > 0 && d.toHours() % 24 == 0 || d.toDays() >= 7) {
      return d.toDays() + "d";
    }
    if (d.toHours() > 0) {
      return d.toHours() + "h";
    }
    if (d.toMinutes() > 0) {
      return d.toMinutes() + "m";
    }
    return d.toSeconds() + "s";
  }
}
