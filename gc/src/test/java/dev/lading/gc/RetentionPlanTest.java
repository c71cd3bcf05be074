package dev.lading.gc;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.policy.ImmutableTagRule;
import dev.lading.core.policy.ImmutableTags;
import dev.lading.core.policy.RepositoryGlob;
import dev.lading.core.policy.TagGlob;
import dev.lading.gc.RetentionAction.Kind;
import dev.lading.gc.RetentionPlan.Outcome;
import dev.lading.gc.RetentionPlan.RepositoryView;
import dev.lading.gc.RetentionPlan.TagState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The policy evaluation alone: no store, times given. */
class RetentionPlanTest {
  private static final RepositoryName APP = RepositoryName.parse("team/app");
  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");

  private final List<TagState> tags = new ArrayList<>();
  private final Map<Digest, Instant> manifests = new HashMap<>();
  private final Map<Digest, Set<Digest>> children = new HashMap<>();
  private final Map<Digest, Set<Digest>> referrers = new HashMap<>();

  private static Digest digest(String name) {
    return Digest.sha256(name.getBytes(UTF_8));
  }

  private static Instant ago(Duration d) {
    return NOW.minus(d);
  }

  /** A manifest linked {@code age} ago, tagged {@code tag} then (unless null). */
  private Digest push(String name, String tag, Duration age) {
    Digest d = digest(name);
    manifests.put(d, ago(age));
    if (tag != null) {
      tags.add(new TagState(tag, d, ago(age)));
    }
    return d;
  }

  private static RetentionPolicy policy(
      List<String> tags, Integer keepLast, Duration pushedWithin, Duration untaggedFor) {
    return new RetentionPolicy(
        "policies.retention[0]",
        r -> r.value().startsWith("team/"),
        tags,
        keepLast == null ? OptionalInt.empty() : OptionalInt.of(keepLast),
        Optional.ofNullable(pushedWithin),
        Optional.empty(),
        Optional.ofNullable(untaggedFor));
  }

  private Outcome evaluate(RetentionPolicy... policies) {
    return RetentionPlan.evaluate(
        List.of(policies), new RepositoryView(APP, tags, manifests, children, referrers), NOW, NOW);
  }

  private static List<String> untagged(Outcome o) {
    return o.actions().stream()
        .filter(a -> a.kind() == Kind.UNTAG)
        .map(a -> a.tag().orElseThrow())
        .sorted()
        .toList();
  }

  private static Set<Digest> deleted(Outcome o) {
    return o.expired().orElse(Set.of());
  }

  @Test
  void keepLastKeepsTheNewestCoveredTagsByPushTime() {
    for (int i = 1; i <= 12; i++) {
      push("ci " + i, "ci-" + i, Duration.ofHours(13 - i)); // ci-12 is the newest
    }
    push("release", "v1.0", Duration.ofDays(300));

    Outcome o = evaluate(policy(List.of("ci-*"), 5, null, null));

    assertThat(untagged(o))
        .containsExactlyInAnyOrder("ci-1", "ci-2", "ci-3", "ci-4", "ci-5", "ci-6", "ci-7");
    assertThat(o.actions()).allMatch(a -> a.reason().contains("beyond keep_last 5"));
    assertThat(o.actions())
        .filteredOn(a -> a.tag().orElseThrow().equals("ci-7"))
        .singleElement()
        .satisfies(a -> assertThat(a.reason()).contains("6th newest"));
    assertThat(o.expired()).as("no untagged_for: untagged manifests keep today's rule").isEmpty();
  }

  @Test
  void anImmutableTagIsKeptWhateverThePoliciesSay() {
    for (int i = 1; i <= 4; i++) {
      push("release " + i, "v" + i, Duration.ofDays(100 - i));
    }
    RetentionPolicy keepOne = policy(List.of("v*"), 1, null, null);
    ImmutableTags releases =
        new ImmutableTags(
            List.of(
                new ImmutableTagRule(
                    "policies.immutable_tags[0]",
                    List.of(RepositoryGlob.parse("team/**")),
                    List.of(TagGlob.parse("v1"), TagGlob.parse("v2")))));

    Outcome o =
        RetentionPlan.evaluate(
            List.of(keepOne),
            releases,
            new RepositoryView(APP, tags, manifests, children, referrers),
            NOW,
            NOW.minus(Duration.ofHours(1)));

    assertThat(untagged(o)).containsExactly("v3");
    assertThat(untagged(evaluate(keepOne))).containsExactlyInAnyOrder("v1", "v2", "v3");
  }

  @Test
  void keepLastIsByPushTimeNotByName() {
    push("a", "ci-9", Duration.ofHours(5));
    push("b", "ci-10", Duration.ofHours(1));
    push("c", "ci-100", Duration.ofHours(3));

    assertThat(untagged(evaluate(policy(List.of("ci-*"), 2, null, null)))).containsExactly("ci-9");
  }

  @Test
  void aTagIsKeptWhenAnyRuleOrPolicyKeepsIt() {
    push("old", "ci-1", Duration.ofDays(10));
    push("recent", "ci-2", Duration.ofDays(2));
    push("newest", "ci-3", Duration.ofHours(1));
    push("main", "main", Duration.ofDays(40));

    Outcome one = evaluate(policy(List.of("ci-*"), 1, Duration.ofDays(3), null));
    assertThat(untagged(one)).containsExactly("ci-1");
    assertThat(one.actions().getFirst().reason())
        .contains("beyond keep_last 1")
        .contains("before keep_pushed_within 3d");

    RetentionPolicy everything = policy(List.of(), 1, null, null);
    RetentionPolicy ci = policy(List.of("ci-*"), 3, null, null);
    assertThat(untagged(evaluate(everything, ci))).containsExactly("main");
  }

  @Test
  void tagsNoPolicyCoversAndYoungTagsAreUntouched() {
    push("release", "v1.0", Duration.ofDays(300));
    push("young", "ci-2", Duration.ofMinutes(1));
    push("old", "ci-1", Duration.ofDays(3));

    Outcome o =
        RetentionPlan.evaluate(
            List.of(policy(List.of("ci-*"), 0, null, null)),
            new RepositoryView(APP, tags, manifests, children, referrers),
            NOW,
            NOW.minus(Duration.ofHours(1)));

    assertThat(untagged(o)).containsExactly("ci-1");
  }

  @Test
  void aPolicyWithoutTagRulesKeepsEveryTagAndOnlyExpiresUntagged() {
    Digest tagged = push("tagged", "latest", Duration.ofDays(30));
    Digest oldUntagged = push("old", null, Duration.ofDays(8));
    Digest youngUntagged = push("young", null, Duration.ofDays(2));

    Outcome o = evaluate(policy(List.of(), null, null, Duration.ofDays(7)));

    assertThat(untagged(o)).isEmpty();
    assertThat(deleted(o)).containsExactly(oldUntagged);
    assertThat(deleted(o)).doesNotContain(tagged, youngUntagged);
    assertThat(o.actions())
        .singleElement()
        .satisfies(a -> assertThat(a.reason()).contains("pushed 2026-05-24T12:00:00Z"));
  }

  @Test
  void aWeeklyRebuildExpiresThePreviousImagesOnceTheirTagsMoved() {
    // Four weekly builds of the same two tags; the tags name the newest.
    List<Digest> builds = new ArrayList<>();
    for (int week = 0; week < 4; week++) {
      builds.add(push("build " + week, null, Duration.ofDays(7L * (3 - week) + 1)));
    }
    tags.add(new TagState("latest", builds.get(3), ago(Duration.ofDays(1))));
    tags.add(new TagState("1.0", builds.get(3), ago(Duration.ofDays(1))));

    Outcome o = evaluate(policy(List.of(), 2, null, Duration.ZERO));

    assertThat(untagged(o)).isEmpty();
    assertThat(deleted(o)).containsExactlyInAnyOrderElementsOf(builds.subList(0, 3));
  }

  @Test
  void anUntagTodayExpiresTheManifestInTheSameRunAndSaysSo() {
    Digest d = push("ci", "ci-1", Duration.ofDays(2));
    push("ci2", "ci-2", Duration.ofDays(1));

    Outcome o = evaluate(policy(List.of("ci-*"), 1, null, Duration.ofHours(1)));

    assertThat(untagged(o)).containsExactly("ci-1");
    assertThat(deleted(o)).containsExactly(d);
    assertThat(o.actions())
        .filteredOn(a -> a.kind() == Kind.DELETE_MANIFEST)
        .singleElement()
        .satisfies(a -> assertThat(a.reason()).contains("its last tag removed by this run"));
  }

  @Test
  void theChildrenOfAKeptIndexAndTheirReferrersStay() {
    Digest amd64 = push("amd64", null, Duration.ofDays(30));
    Digest arm64 = push("arm64", null, Duration.ofDays(30));
    Digest index = push("index", "1.0", Duration.ofDays(30));
    children.put(index, Set.of(amd64, arm64));
    Digest signature = push("signature of amd64", null, Duration.ofDays(30));
    referrers.put(amd64, Set.of(signature));
    Digest sbomOfSignature = push("attestation of the signature", null, Duration.ofDays(30));
    referrers.put(signature, Set.of(sbomOfSignature));
    Digest orphan = push("orphan", null, Duration.ofDays(30));

    Outcome o = evaluate(policy(List.of(), 1, null, Duration.ofDays(1)));

    assertThat(deleted(o)).containsExactly(orphan);
  }

  @Test
  void referrersOfAnExpiredSubjectGoWithIt() {
    Digest old = push("old image", null, Duration.ofDays(30));
    Digest signature = push("signature of old", null, Duration.ofDays(30));
    referrers.put(old, Set.of(signature));
    Digest youngSignature = push("fresh signature of old", null, Duration.ofHours(1));
    referrers.put(old, Set.of(signature, youngSignature));

    Outcome o = evaluate(policy(List.of(), 1, null, Duration.ofDays(1)));

    // The young signature is kept by untagged_for, and it keeps nothing: a referrer keeps no
    // subject.
    assertThat(deleted(o)).containsExactlyInAnyOrder(old, signature);
  }

  @Test
  void theLongestUntaggedForOfTheGoverningPoliciesWins() {
    Digest eightDays = push("eight", null, Duration.ofDays(8));
    Digest twoDays = push("two", null, Duration.ofDays(2));

    Outcome o =
        evaluate(
            policy(List.of("ci-*"), 5, null, Duration.ofDays(1)),
            policy(List.of("v*"), 5, null, Duration.ofDays(7)));

    assertThat(deleted(o)).containsExactly(eightDays);
    assertThat(deleted(o)).doesNotContain(twoDays);
  }

  @Test
  void aRepositoryNoPolicyGovernsIsLeftAlone() {
    push("old", "ci-1", Duration.ofDays(30));
    push("untagged", null, Duration.ofDays(30));
    RetentionPolicy elsewhere =
        new RetentionPolicy(
            "p",
            r -> r.value().startsWith("ml/"),
            List.of(),
            OptionalInt.of(0),
            Optional.empty(),
            Optional.empty(),
            Optional.of(Duration.ZERO));

    Outcome o = evaluate(elsewhere);

    assertThat(o.actions()).isEmpty();
    assertThat(o.expired()).isEmpty();
  }

  @Test
  void keepPulledWithinCountsPullsByTagAndByTheDigestTheTagNames() {
    Digest byTag = push("pulled by tag", null, Duration.ofDays(30));
    tags.add(
        new TagState(
            "rc-1", byTag, ago(Duration.ofDays(30)), Optional.of(ago(Duration.ofDays(2)))));
    Digest stale = push("pulled long ago", null, Duration.ofDays(30));
    tags.add(
        new TagState(
            "rc-2", stale, ago(Duration.ofDays(30)), Optional.of(ago(Duration.ofDays(20)))));
    Digest never = push("never pulled", null, Duration.ofDays(30));
    tags.add(new TagState("rc-3", never, ago(Duration.ofDays(30)), Optional.empty()));
    RetentionPolicy pulled =
        new RetentionPolicy(
            "pulled",
            r -> true,
            List.of("rc-*"),
            OptionalInt.empty(),
            Optional.empty(),
            Optional.of(Duration.ofDays(14)),
            Optional.of(Duration.ZERO));

    Outcome o = evaluate(pulled);

    assertThat(untagged(o)).containsExactly("rc-2", "rc-3");
    assertThat(o.actions())
        .filteredOn(a -> a.tag().equals(Optional.of("rc-2")))
        .singleElement()
        .satisfies(
            a ->
                assertThat(a.reason())
                    .isEqualTo("last pulled 2026-05-12T12:00:00Z, before keep_pulled_within 14d"));
    assertThat(o.actions())
        .filteredOn(a -> a.tag().equals(Optional.of("rc-3")))
        .singleElement()
        .satisfies(a -> assertThat(a.reason()).startsWith("never pulled"));
    assertThat(deleted(o)).containsExactlyInAnyOrder(stale, never);
  }

  @Test
  void tagPatternsMatchWholeTagsWithStars() {
    RetentionPolicy p = policy(List.of("ci-*", "*-rc*"), 1, null, null);
    assertThat(p.covers("ci-1")).isTrue();
    assertThat(p.covers("1.0-rc2")).isTrue();
    assertThat(p.covers("xci-1")).isFalse();
    assertThat(p.covers("ci")).isFalse();
    assertThat(policy(List.of(), 1, null, null).covers("anything")).isTrue();
  }
}
