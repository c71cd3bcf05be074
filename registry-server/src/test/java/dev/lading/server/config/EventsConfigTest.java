package dev.lading.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.model.RepositoryName;
import dev.lading.events.EventEndpoint;
import dev.lading.events.EventOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code events.*} from the file and the environment, and the errors that name the key. */
class EventsConfigTest {
  @TempDir Path dir;

  private Path yaml(String text) throws Exception {
    return Files.writeString(dir.resolve("lading.yaml"), text);
  }

  @Test
  void offByDefault() {
    EventOptions o = ConfigLoader.load(null, Map.of()).config().events();
    assertThat(o.endpoints()).isEmpty();
    assertThat(o.pullSampleRate()).isZero();
    assertThat(o.queueSize()).isEqualTo(EventOptions.DEFAULT_QUEUE_SIZE);
    assertThat(o.retryFor()).isEqualTo(Duration.ofHours(24));
    assertThat(o.maxFailed()).isEqualTo(10_000);
  }

  @Test
  void maxFailedZeroKeepsNoGivenUpEventAndANegativeOneStopsTheStart() {
    assertThat(
            ConfigLoader.load(null, Map.of("LADING_EVENTS_MAX_FAILED", "0"))
                .config()
                .events()
                .maxFailed())
        .isZero();
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("LADING_EVENTS_MAX_FAILED", "-1")))
        .hasMessageContaining("events.max_failed");
  }

  @Test
  void endpointsFromTheFileWithASecretFile() throws Exception {
    Path secret = Files.writeString(dir.resolve("hook.secret"), "from-a-file\n");
    LadingConfig c =
        ConfigLoader.load(
                yaml(
                    """
        events:
          endpoints:
            - name: deploys
              url: https://deploy.internal/hooks/lading
              secret_file: %s
              repositories: ['ml/**']
              types: ['manifest.pushed', 'tag.*']
          pull_sample_rate: 0.25
          retry_for_minutes: 60
        """
                        .formatted(secret)),
                Map.of())
            .config();
    EventEndpoint e = c.events().endpoints().get(0);
    assertThat(e.name()).isEqualTo("deploys");
    assertThat(e.url().toString()).isEqualTo("https://deploy.internal/hooks/lading");
    assertThat(e.secret().orElseThrow().key())
        .isEqualTo("from-a-file".getBytes(StandardCharsets.UTF_8));
    assertThat(e.repositories().get(0).matches(RepositoryName.parse("ml/team/app"))).isTrue();
    assertThat(e.types()).containsExactly("manifest.pushed", "tag.*");
    assertThat(c.events().pullSampleRate()).isEqualTo(0.25);
    assertThat(c.events().retryFor()).isEqualTo(Duration.ofMinutes(60));
  }

  @Test
  void endpointsFromTheEnvironmentAsJsonWithTheSecretMasked() {
    ConfigLoader.Loaded loaded =
        ConfigLoader.load(
            null,
            Map.of(
                "LADING_EVENTS_ENDPOINTS",
                "[{\"name\":\"scanner\",\"url\":\"http://scanner:8080/e\",\"secret\":\"hunter2\"}]"));
    assertThat(loaded.config().events().endpoints()).hasSize(1);
    assertThat(loaded.config().events().endpoints().get(0).types()).containsExactly("*");
    ConfigLoader.Setting setting =
        loaded.settings().stream()
            .filter(s -> s.key() == ConfigKey.EVENTS_ENDPOINTS)
            .findFirst()
            .orElseThrow();
    assertThat(setting.shown()).doesNotContain("hunter2");
    assertThat(loaded.config().events().endpoints().get(0).toString()).doesNotContain("hunter2");
  }

  @Test
  void badEndpointsStopTheStartNamingTheKeyAndTheEndpoint() throws Exception {
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    null,
                    Map.of(
                        "LADING_EVENTS_ENDPOINTS",
                        "[{\"name\":\"hook\",\"url\":\"ftp://example.com/x\"}]")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("events.endpoints")
        .hasMessageContaining("endpoint 0 (hook)")
        .hasMessageContaining("http(s)");
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    null,
                    Map.of(
                        "LADING_EVENTS_ENDPOINTS",
                        "[{\"name\":\"Bad Name\",\"url\":\"http://example.com/x\"}]")))
        .hasMessageContaining("events.endpoints")
        .hasMessageContaining("a-z, 0-9");
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    null,
                    Map.of(
                        "LADING_EVENTS_ENDPOINTS",
                        "[{\"name\":\"hook\",\"url\":\"http://example.com/x\",\"types\":[\"manifest.pushd\"]}]")))
        .hasMessageContaining("manifest.pushd matches no event");
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    null,
                    Map.of(
                        "LADING_EVENTS_ENDPOINTS",
                        "[{\"name\":\"hook\",\"url\":\"http://u:p@example.com/x\"}]")))
        .hasMessageContaining("must not hold credentials")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("u:p"));
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    null,
                    Map.of(
                        "LADING_EVENTS_ENDPOINTS",
                        "[{\"name\":\"a\",\"url\":\"http://x/1\"},{\"name\":\"a\",\"url\":\"http://x/2\"}]")))
        .hasMessageContaining("two endpoints have the same name");
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    yaml("events:\n  endpoints:\n    - {name: a, urll: x}\n"), Map.of()))
        .hasMessageContaining("unknown field urll");
    assertThatThrownBy(
            () -> ConfigLoader.load(null, Map.of("LADING_EVENTS_PULL_SAMPLE_RATE", "1.5")))
        .hasMessageContaining("events.pull_sample_rate");
  }
}
