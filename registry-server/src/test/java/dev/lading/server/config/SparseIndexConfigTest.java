package dev.lading.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.registry.RegistryOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code manifests.allow_sparse_index}: off by default, as the specs leave it optional. */
class SparseIndexConfigTest {
  @TempDir Path dir;

  @Test
  void offByDefault() {
    assertThat(ConfigLoader.load(null, Map.of()).config().limits().allowSparseIndex()).isFalse();
    assertThat(ConfigKey.MANIFESTS_ALLOW_SPARSE_INDEX.defaultValue())
        .isEqualTo(String.valueOf(RegistryOptions.DEFAULT_ALLOW_SPARSE_INDEX));
    assertThat(RegistryOptions.defaults().allowSparseIndex()).isFalse();
  }

  @Test
  void setFromYamlOrTheEnvironment() throws Exception {
    Path yaml =
        Files.writeString(dir.resolve("lading.yaml"), "manifests:\n  allow_sparse_index: true\n");
    assertThat(ConfigLoader.load(yaml, Map.of()).config().limits().allowSparseIndex()).isTrue();
    assertThat(
            ConfigLoader.load(yaml, Map.of("LADING_MANIFESTS_ALLOW_SPARSE_INDEX", "false"))
                .config()
                .limits()
                .allowSparseIndex())
        .isFalse();
    assertThat(
            LadingConfig.forTests(dir)
                .withAllowSparseIndex(true)
                .withManifestLimit(2048)
                .withMaxRanges(3)
                .limits()
                .allowSparseIndex())
        .isTrue();
  }
}
