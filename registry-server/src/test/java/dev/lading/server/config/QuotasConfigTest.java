package dev.lading.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.policy.QuotaRule;
import dev.lading.core.policy.Quotas;
import dev.lading.core.policy.RepositoryGlob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code policies.quotas} and {@code policies.quotas_scan_seconds}, file and env. */
class QuotasConfigTest {
  @TempDir Path dir;

  private Path yaml(String text) throws Exception {
    return Files.writeString(dir.resolve("lading.yaml"), text);
  }

  private static QuotaRule quota(int index, List<String> repositories, long bytes) {
    return new QuotaRule(
        "policies.quotas[" + index + "]",
        repositories.stream().map(RepositoryGlob::parse).toList(),
        bytes);
  }

  @Test
  void noQuotasByDefaultAndARecountEveryMinute() {
    LadingConfig.Policies p = ConfigLoader.load(null, Map.of()).config().policies();
    assertThat(p.quotas()).isEqualTo(Quotas.NONE);
    assertThat(p.quotasScanSeconds()).isEqualTo(60);
  }

  @Test
  void quotasFromTheFile() throws Exception {
    LadingConfig c =
        ConfigLoader.load(
                yaml(
                    """
        policies:
          quotas:
            - {repositories: ['ml/**'], bytes: 10995116277760}
            - repositories: ['ci/**', 'scratch/*']
              bytes: '1024'
          quotas_scan_seconds: 5
        """),
                Map.of())
            .config();
    assertThat(c.policies().quotas().rules())
        .containsExactly(
            quota(0, List.of("ml/**"), 10995116277760L),
            quota(1, List.of("ci/**", "scratch/*"), 1024));
    assertThat(c.policies().quotasScanSeconds()).isEqualTo(5);
  }

  @Test
  void theEnvironmentTakesTheSameListAsJson() {
    LadingConfig c =
        ConfigLoader.load(
                null,
                Map.of(
                    "LADING_POLICIES_QUOTAS",
                    "[{\"repositories\":[\"team/**\"],\"bytes\":1000}]",
                    "LADING_POLICIES_QUOTAS_SCAN_SECONDS",
                    "1"))
            .config();
    assertThat(c.policies().quotas().rules()).containsExactly(quota(0, List.of("team/**"), 1000));
    assertThat(c.policies().quotasScanSeconds()).isEqualTo(1);
  }

  @Test
  void aLimitWithAUnitStopsTheStartNamingTheKeyAndQuota() {
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    null,
                    Map.of(
                        "LADING_POLICIES_QUOTAS",
                        "[{\"repositories\":[\"ml/**\"],\"bytes\":1},"
                            + "{\"repositories\":[\"ml/**\"],\"bytes\":\"10GiB\"}]")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("policies.quotas")
        .hasMessageContaining("quota 1: bytes must be a whole number of bytes");
  }

  @Test
  void anUnknownFieldStopsTheStart() {
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    null,
                    Map.of(
                        "LADING_POLICIES_QUOTAS",
                        "[{\"repositories\":[\"ml/**\"],\"limit\":\"500GiB\"}]")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("quota 0: unknown field limit (known: bytes, repositories)");
  }
}
