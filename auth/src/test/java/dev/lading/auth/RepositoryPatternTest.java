package dev.lading.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.model.RepositoryName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RepositoryPatternTest {
  @ParameterizedTest(name = "{0} ~ {1} -> {2}")
  @CsvSource({
    "ml/**, ml/vllm, true",
    "ml/**, ml/deep/x, true",
    "ml/**, ml, false",
    "ml/**, mlx/a, false",
    "ml/**, other/ml/a, false",
    "ml/vllm, ml/vllm, true",
    "ml/vllm, ml/vllm2, false",
    "ml/vllm, ml/vllm/x, false",
    "*/public, team/public, true",
    "*/public, a/b/public, false",
    "*/public, public, false",
    "**, anything/at/all, true",
    "**/public, a/b/public, true",
    "**/public, public, false",
    "team-*/app, team-ml/app, true",
    "team-*/app, teamx/app, false",
    "a.b/*, a.b/c, true",
    "a.b/*, axb/c, false"
  })
  void matchesWholeComponents(String pattern, String name, boolean expected) {
    assertThat(RepositoryPattern.parse(pattern).matches(RepositoryName.parse(name)))
        .isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", "/", "ml/", "/ml", "ml//x", "ML/x", "ml/***", "ml/a**", "ml/../x", "ml/(x)"})
  void invalidPatternsAreRefused(String pattern) {
    assertThatThrownBy(() -> RepositoryPattern.parse(pattern))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
