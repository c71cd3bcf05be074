package dev.lading.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.model.DigestAlgorithm;
import dev.lading.core.registry.RegistryOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code digests.allow_blake3}: off by default, as image-spec leaves BLAKE3 optional. */
class Blake3ConfigTest {
  @TempDir Path dir;

  @Test
  void offByDefault() {
    assertThat(ConfigLoader.load(null, Map.of()).config().limits().allowBlake3()).isFalse();
    assertThat(ConfigKey.DIGESTS_ALLOW_BLAKE3.defaultValue())
        .isEqualTo(String.valueOf(RegistryOptions.DEFAULT_ALLOW_BLAKE3));
    RegistryOptions defaults = RegistryOptions.defaults();
    assertThat(defaults.accepts(DigestAlgorithm.BLAKE3)).isFalse();
    assertThat(defaults.accepts(DigestAlgorithm.SHA256)).isTrue();
    assertThat(defaults.accepts(DigestAlgorithm.SHA512)).isTrue();
  }

  @Test
  void setFromYamlOrTheEnvironment() throws Exception {
    Path yaml = Files.writeString(dir.resolve("lading.yaml"), "digests:\n  allow_blake3: true\n");
    assertThat(ConfigLoader.load(yaml, Map.of()).config().limits().allowBlake3()).isTrue();
    assertThat(
            ConfigLoader.load(yaml, Map.of("LADING_DIGESTS_ALLOW_BLAKE3", "false"))
                .config()
                .limits()
                .allowBlake3())
        .isFalse();
    assertThat(RegistryOptions.defaults().withAllowBlake3(true).accepts(DigestAlgorithm.BLAKE3))
        .isTrue();
  }
}
