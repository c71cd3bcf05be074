package dev.lading.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import java.util.List;
import org.junit.jupiter.api.Test;

class TagGlobTest {
  private static boolean matches(String glob, String tag) {
    return TagGlob.parse(glob).matches(Tag.parse(tag));
  }

  @Test
  void starMatchesAnyRunAndQuestionMarkOneCharacter() {
    assertThat(matches("v*", "v1")).isTrue();
    assertThat(matches("v*", "v")).isTrue();
    assertThat(matches("v*", "v1.2.3-rc.1")).isTrue();
    assertThat(matches("v*", "latest")).isFalse();
    assertThat(matches("v*", "V1")).as("case-sensitive").isFalse();
    assertThat(matches("release-?", "release-1")).isTrue();
    assertThat(matches("release-?", "release-10")).isFalse();
    assertThat(matches("release-?", "release-")).isFalse();
    assertThat(matches("*", "anything_at-all.9")).isTrue();
    assertThat(matches("*-rc*", "v2-rc3")).isTrue();
    assertThat(matches("*-rc*", "v2")).isFalse();
  }

  @Test
  void aGlobWithoutWildcardsMatchesOnlyItself() {
    assertThat(matches("stable", "stable")).isTrue();
    assertThat(matches("stable", "stable2")).isFalse();
    assertThat(matches("stable", "xstable")).isFalse();
    assertThat(matches("1.0", "1x0")).as("a dot is a dot").isFalse();
  }

  @Test
  void manyStarsStayFast() {
    String glob = "*a".repeat(60) + "*b";
    String tag = "a".repeat(128);
    long start = System.nanoTime();
    assertThat(matches(glob, tag)).isFalse();
    assertThat(System.nanoTime() - start).isLessThan(1_000_000_000L);
  }

  @Test
  void aPatternNoTagCouldMatchIsRefused() {
    for (String bad : List.of("", "v1/*", "v[0-9]", "v 1", "x".repeat(129), "é*")) {
      assertThatThrownBy(() -> TagGlob.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("invalid tag pattern");
    }
  }

  @Test
  void aRuleCoversATagWhenBothARepositoryAndATagPatternMatch() {
    ImmutableTagRule rule =
        new ImmutableTagRule(
            "policies.immutable_tags[0]",
            List.of(RepositoryGlob.parse("ml/**"), RepositoryGlob.parse("base/*")),
            List.of(TagGlob.parse("v*"), TagGlob.parse("stable")));
    assertThat(rule.matches(RepositoryName.parse("ml/app"), Tag.parse("v1"))).isTrue();
    assertThat(rule.matches(RepositoryName.parse("ml/deep/x"), Tag.parse("stable"))).isTrue();
    assertThat(rule.matches(RepositoryName.parse("base/os"), Tag.parse("v2"))).isTrue();
    assertThat(rule.matches(RepositoryName.parse("ml"), Tag.parse("v1"))).isFalse();
    assertThat(rule.matches(RepositoryName.parse("mlx/app"), Tag.parse("v1"))).isFalse();
    assertThat(rule.matches(RepositoryName.parse("base/os/sub"), Tag.parse("v1"))).isFalse();
    assertThat(rule.matches(RepositoryName.parse("ml/app"), Tag.parse("latest"))).isFalse();
    assertThat(rule.describe()).isEqualTo("policies.immutable_tags[0]: ml/**,base/* v*,stable");
  }

  @Test
  void theFirstMatchingRuleIsTheOneNamed() {
    ImmutableTagRule first =
        new ImmutableTagRule(
            "r[0]", List.of(RepositoryGlob.parse("ml/*")), List.of(TagGlob.parse("v1*")));
    ImmutableTagRule second =
        new ImmutableTagRule(
            "r[1]", List.of(RepositoryGlob.parse("**")), List.of(TagGlob.parse("v*")));
    ImmutableTags rules = new ImmutableTags(List.of(first, second));
    assertThat(rules.ruleFor(RepositoryName.parse("ml/app"), Tag.parse("v10"))).contains(first);
    assertThat(rules.ruleFor(RepositoryName.parse("ml/app"), Tag.parse("v2"))).contains(second);
    assertThat(rules.ruleFor(RepositoryName.parse("ml/app"), Tag.parse("latest"))).isEmpty();
    assertThat(ImmutableTags.NONE.ruleFor(RepositoryName.parse("ml/app"), Tag.parse("v1")))
        .isEmpty();
  }
}
