package dev.lading.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.model.RepositoryName;
import dev.lading.gc.GcOptions;
import dev.lading.gc.RetentionPolicy;
import dev.lading.server.LadingServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code policies.retention}: a list, in YAML or as JSON in the environment. */
class RetentionConfigTest {
  @TempDir Path dir;

  private static final String WEEKLY_AND_CI =
      """
      policies:
        retention:
          - repositories: ['ml/**']
            untagged_for_hours: 168
          - repositories: ['team/*']
            tags: ['ci-*']
            keep_last: 5
            keep_pushed_within_hours: 24
            untagged_for_hours: 0
      """;

  @Test
  void noPoliciesByDefault() {
    LadingConfig c = ConfigLoader.load(null, Map.of()).config();
    assertThat(c.policies().retention()).isEmpty();
    assertThat(LadingServer.gcOptions(c)).isEqualTo(GcOptions.defaults());
  }

  @Test
  void policiesFromYamlReachTheCollector() throws Exception {
    Path yaml = Files.writeString(dir.resolve("lading.yaml"), WEEKLY_AND_CI);
    LadingConfig c = ConfigLoader.load(yaml, Map.of()).config();

    List<RetentionPolicy> policies = LadingServer.gcOptions(c).retention();
    assertThat(policies).hasSize(2);
    RetentionPolicy weekly = policies.get(0);
    assertThat(weekly.governs(RepositoryName.parse("ml/vllm"))).isTrue();
    assertThat(weekly.governs(RepositoryName.parse("team/app"))).isFalse();
    assertThat(weekly.tags()).isEmpty();
    assertThat(weekly.keepLast()).isEmpty();
    assertThat(weekly.untaggedFor()).contains(Duration.ofDays(7));
    RetentionPolicy ci = policies.get(1);
    assertThat(ci.name()).isEqualTo("policies.retention[1] (team/* tags ci-*)");
    assertThat(ci.governs(RepositoryName.parse("team/app"))).isTrue();
    assertThat(ci.governs(RepositoryName.parse("team/app/sub"))).isFalse();
    assertThat(ci.covers("ci-4d1c2e9")).isTrue();
    assertThat(ci.covers("v1.0")).isFalse();
    assertThat(ci.keepLast()).isEqualTo(OptionalInt.of(5));
    assertThat(ci.keepPushedWithin()).isEqualTo(Optional.of(Duration.ofHours(24)));
    assertThat(ci.untaggedFor()).isEqualTo(Optional.of(Duration.ZERO));
  }

  @Test
  void theEnvironmentTakesTheListAsJsonAndWins() throws Exception {
    Path yaml = Files.writeString(dir.resolve("lading.yaml"), WEEKLY_AND_CI);
    LadingConfig c =
        ConfigLoader.load(
                yaml,
                Map.of(
                    "LADING_POLICIES_RETENTION",
                    "[{\"repositories\":[\"**\"],\"tags\":[\"pr-*\"],\"keep_last\":2}]"))
            .config();
    assertThat(c.policies().retention())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.keepLast()).isEqualTo(OptionalInt.of(2));
              assertThat(p.covers("pr-12")).isTrue();
              assertThat(p.untaggedFor()).isEmpty();
            });
  }

  @Test
  void aPolicyThatSaysNothingOrSomethingUnknownStopsTheStartNamingTheKey() {
    for (String bad :
        List.of(
            "[{\"repositories\":[\"ml/**\"]}]",
            "[{\"repositories\":[\"ml/**\"],\"keep_lats\":3}]",
            "[{\"repositories\":[\"ml/**\"],\"keep_last\":-1}]",
            "[{\"repositories\":[\"ml/**\"],\"keep_last\":\"5\"}]",
            "[{\"repositories\":[\"ML/x\"],\"keep_last\":5}]",
            "[{\"repositories\":[\"ml/**\"],\"tags\":[\"a/b\"],\"keep_last\":5}]",
            "[{\"tags\":[\"ci-*\"],\"keep_last\":5}]",
            "{\"repositories\":[\"ml/**\"]}")) {
      assertThatThrownBy(
              () -> ConfigLoader.load(null, Map.of("LADING_POLICIES_RETENTION", bad)), bad)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("LADING_POLICIES_RETENTION");
    }
  }

  @Test
  void keepPulledWithinAndTheFlushInterval() {
    LadingConfig c =
        ConfigLoader.load(
                null,
                Map.of(
                    "LADING_POLICIES_RETENTION",
                    "[{\"repositories\":[\"team/*\"],\"tags\":[\"*-rc*\"],"
                        + "\"keep_pulled_within_hours\":336}]",
                    "LADING_POLICIES_PULLS_FLUSH_SECONDS",
                    "15"))
            .config();
    assertThat(c.policies().retention().getFirst().keepPulledWithin())
        .contains(Duration.ofDays(14));
    assertThat(c.policies().pullsFlush()).isEqualTo(Duration.ofSeconds(15));
    assertThat(ConfigLoader.load(null, Map.of()).config().policies().pullsFlush())
        .isEqualTo(LadingConfig.Policies.DEFAULT_PULLS_FLUSH);
    assertThatThrownBy(
            () -> ConfigLoader.load(null, Map.of("LADING_POLICIES_PULLS_FLUSH_SECONDS", "0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("LADING_POLICIES_PULLS_FLUSH_SECONDS");
  }

  @Test
  void theWitherReplacesThePolicies() {
    LadingConfig c =
        LadingConfig.forTests(dir)
            .withPolicies(
                new LadingConfig.Policies(
                    List.of(
                        new RetentionPolicy(
                            "p",
                            r -> true,
                            List.of(),
                            OptionalInt.of(1),
                            Optional.empty(),
                            Optional.empty(),
                            Optional.empty()))));
    assertThat(LadingServer.gcOptions(c).retention()).hasSize(1);
  }
}
