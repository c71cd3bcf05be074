package dev.lading.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The environment a pod gets when its namespace holds a Service named {@code lading}: the kubelet's
 * service links must not stop the start, while real mistakes still do, each saying what was
 * probably meant.
 */
class KubernetesEnvironmentTest {
  @TempDir Path dir;

  /**
   * What the kubelet injects for Service "lading" (10.96.0.10), TCP 5000 named http, UDP 53 named
   * dns.
   */
  private static Map<String, String> serviceLinks() {
    Map<String, String> env = new HashMap<>();
    env.put("LADING_SERVICE_HOST", "10.96.0.10");
    env.put("LADING_SERVICE_PORT", "5000");
    env.put("LADING_SERVICE_PORT_HTTP", "5000");
    env.put("LADING_SERVICE_PORT_DNS", "53");
    env.put("LADING_PORT", "tcp://10.96.0.10:5000");
    env.put("LADING_PORT_5000_TCP", "tcp://10.96.0.10:5000");
    env.put("LADING_PORT_5000_TCP_PROTO", "tcp");
    env.put("LADING_PORT_5000_TCP_PORT", "5000");
    env.put("LADING_PORT_5000_TCP_ADDR", "10.96.0.10");
    env.put("LADING_PORT_53_UDP", "udp://10.96.0.10:53");
    env.put("LADING_PORT_53_UDP_PROTO", "udp");
    env.put("LADING_PORT_53_UDP_PORT", "53");
    env.put("LADING_PORT_53_UDP_ADDR", "10.96.0.10");
    // A second Service, "lading-cache", on an IPv6 cluster IP (not "lading-metrics": metrics.port
    // is a real key).
    env.put("LADING_CACHE_SERVICE_HOST", "fd00:10:96::a");
    env.put("LADING_CACHE_SERVICE_PORT", "9090");
    env.put("LADING_CACHE_PORT", "tcp://[fd00:10:96::a]:9090");
    env.put("LADING_CACHE_PORT_9090_TCP", "tcp://[fd00:10:96::a]:9090");
    env.put("LADING_CACHE_PORT_9090_TCP_ADDR", "fd00:10:96::a");
    return env;
  }

  @Test
  void serviceLinksOfAServiceNamedLadingAreIgnored() {
    Map<String, String> env = serviceLinks();
    env.put("LADING_HTTP_PORT", "5001");
    LadingConfig c = ConfigLoader.load(null, env).config();
    assertThat(c.http().port()).isEqualTo(5001);
  }

  @Test
  void aServiceLinkNameWithAnotherValueStillStopsTheStart() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("LADING_PORT", "5000")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "LADING_PORT: unknown environment variable; did you mean LADING_HTTP_PORT?");
    // The port in the name and in the value disagree: not what the kubelet writes.
    assertThatThrownBy(
            () -> ConfigLoader.load(null, Map.of("LADING_PORT_5000_TCP", "tcp://10.96.0.10:6000")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("LADING_PORT_5000_TCP: unknown environment variable");
    assertThatThrownBy(
            () -> ConfigLoader.load(null, Map.of("LADING_SERVICE_HOST", "registry.internal")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("LADING_SERVICE_HOST: unknown environment variable");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("LADING_PORT_5000_TCP_PROTO", "udp")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("LADING_PORT_5000_TCP_PROTO");
  }

  @Test
  void aTypoNamesTheClosestKeyInsteadOfListingAll() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("LADING_STORAGE_S3_BUCKT", "images")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "LADING_STORAGE_S3_BUCKT: unknown environment variable; did you mean LADING_STORAGE_S3_BUCKET?")
        .message()
        .doesNotContain("LADING_AUTH_USERS");
  }

  @Test
  void aTypoInTheFileNamesTheClosestKey() throws Exception {
    Path file = Files.writeString(dir.resolve("lading.yaml"), "gc:\n  intervall_minutes: 5\n");
    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "gc.intervall_minutes: unknown key (from "
                + file
                + "); did you mean gc.interval_minutes?");
  }

  @Test
  void aListKeyFromTheEnvironmentThatIsNoListSaysItExpectsJson() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("LADING_AUTH_ANONYMOUS_PULL", "ml/**")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("LADING_AUTH_ANONYMOUS_PULL: expects a JSON list, e.g. [\"ml/**\"]");
    assertThatThrownBy(
            () -> ConfigLoader.load(null, Map.of("LADING_AUTH_USERS", "admin:$2a$12$abc")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "LADING_AUTH_USERS: expects a JSON list, e.g. [{\"name\":\"admin\",\"password_hash\":");
  }

  @Test
  void aListWithABadEntryKeepsTheEntrysOwnMessage() {
    assertThatThrownBy(
            () -> ConfigLoader.load(null, Map.of("LADING_AUTH_ANONYMOUS_PULL", "[\"/bad//\"]")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("auth.anonymous_pull:")
        .message()
        .doesNotContain("expects a JSON list");
  }

  @Test
  void closestKeyUsesEditDistance() {
    assertThat(KeySuggestions.distance("kitten", "sitting")).isEqualTo(3);
    assertThat(KeySuggestions.closestEnvName("LADING_HTTP_IDLE_TIMEOUT"))
        .isEqualTo("LADING_HTTP_IDLE_TIMEOUT_SECONDS");
  }
}
