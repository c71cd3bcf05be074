package dev.lading.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code limits.max_ranges}: the cap on byte ranges in one blob GET. */
class MaxRangesConfigTest {
  @TempDir Path dir;

  @Test
  void defaultsToWhatContainersStorageAsksAtMost() {
    assertThat(ConfigLoader.load(null, Map.of()).config().limits().maxRanges()).isEqualTo(1024);
    assertThat(ConfigKey.LIMITS_MAX_RANGES.defaultValue())
        .isEqualTo(Integer.toString(LadingConfig.Limits.DEFAULT_MAX_RANGES));
    assertThat(new LadingConfig.Limits(4096).maxRanges())
        .isEqualTo(LadingConfig.Limits.DEFAULT_MAX_RANGES);
  }

  @Test
  void setFromYamlOrTheEnvironment() throws Exception {
    Path yaml = Files.writeString(dir.resolve("lading.yaml"), "limits:\n  max_ranges: 64\n");
    assertThat(ConfigLoader.load(yaml, Map.of()).config().limits().maxRanges()).isEqualTo(64);
    assertThat(
            ConfigLoader.load(yaml, Map.of("LADING_LIMITS_MAX_RANGES", "8"))
                .config()
                .limits()
                .maxRanges())
        .isEqualTo(8);
    assertThat(ConfigKey.LIMITS_MAX_RANGES.envName()).isEqualTo("LADING_LIMITS_MAX_RANGES");
  }

  @Test
  void atLeastOne() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("LADING_LIMITS_MAX_RANGES", "0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("limits.max_ranges: must be between 1 and 65536");
  }

  @Test
  void keptWhenTheManifestLimitChanges() {
    LadingConfig c = LadingConfig.forTests(dir).withMaxRanges(3).withManifestLimit(2048);
    assertThat(c.limits().maxRanges()).isEqualTo(3);
    assertThat(c.limits().manifestBytes()).isEqualTo(2048);
  }
}
