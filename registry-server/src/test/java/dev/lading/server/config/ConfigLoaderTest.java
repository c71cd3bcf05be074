package dev.lading.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.auth.LoginLimiter;
import dev.lading.core.registry.RegistryOptions;
import dev.lading.gc.GcOptions;
import dev.lading.server.LadingServer;
import dev.lading.storage.s3.S3StoreConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path dir;

  private Path yaml(String text) throws Exception {
    return Files.writeString(dir.resolve("lading.yaml"), text);
  }

  @Test
  void defaultsWithoutFileOrEnvironment() {
    LadingConfig c = ConfigLoader.load(null, Map.of()).config();
    assertThat(c.http().host()).isEqualTo("0.0.0.0");
    assertThat(c.http().port()).isEqualTo(5000);
    assertThat(c.storage().type()).isEqualTo(StorageType.FILESYSTEM);
    assertThat(c.storage().filesystem().root()).isEqualTo(Path.of("./data"));
    assertThat(c.limits().manifestBytes()).isEqualTo(4L << 20);
    assertThat(c.readOnly()).isFalse();
  }

  /** The schema declares no default of its own where a module has one: it renders the module's. */
  @Test
  void theDefaultsAreTheModulesOwn() {
    LadingConfig c = ConfigLoader.load(null, Map.of()).config();
    assertThat(LadingServer.gcOptions(c.gc())).isEqualTo(GcOptions.defaults());
    assertThat(c.limits().manifestBytes()).isEqualTo(RegistryOptions.DEFAULT_MAX_MANIFEST_BYTES);
    assertThat(c.auth().login().maxBackoff()).isEqualTo(LoginLimiter.DEFAULT_MAX_BACKOFF);
    assertThat(c.auth().login().addressFailures()).isEqualTo(LoginLimiter.DEFAULT_ADDRESS_BURST);

    LadingConfig s3 =
        ConfigLoader.load(
                null,
                Map.of(
                    "LADING_STORAGE_TYPE",
                    "s3",
                    "LADING_STORAGE_S3_BUCKET",
                    "images",
                    "LADING_STORAGE_S3_ACCESS_KEY",
                    "ak",
                    "LADING_STORAGE_S3_SECRET_KEY",
                    "sk"))
            .config();
    assertThat(s3.storage().s3().orElseThrow().store())
        .isEqualTo(S3StoreConfig.of(Optional.empty(), "us-east-1", "images", "ak", "sk"));
  }

  @Test
  void yamlSetsNestedAndMultiWordKeys() throws Exception {
    LadingConfig c =
        ConfigLoader.load(
                yaml(
                    """
        http:
          port: 5001
        storage:
          filesystem:
            root: /srv/lading
        limits:
          manifest_bytes: 8192
        read_only: true
        """),
                Map.of())
            .config();
    assertThat(c.http().port()).isEqualTo(5001);
    assertThat(c.storage().filesystem().root()).isEqualTo(Path.of("/srv/lading"));
    assertThat(c.limits().manifestBytes()).isEqualTo(8192);
    assertThat(c.readOnly()).isTrue();
  }

  @Test
  void environmentOverridesYamlForEveryKindOfKey() throws Exception {
    LadingConfig c =
        ConfigLoader.load(
                yaml("http:\n  port: 5001\n"),
                Map.of(
                    "LADING_HTTP_PORT", "5002",
                    "LADING_STORAGE_TYPE", "filesystem",
                    "LADING_STORAGE_FILESYSTEM_ROOT", "/srv/x",
                    "LADING_STORAGE_FILESYSTEM_DIRECT_IO", "false",
                    "LADING_LIMITS_MANIFEST_BYTES", "2048",
                    "LADING_READ_ONLY", "true",
                    "PATH", "/usr/bin"))
            .config();
    assertThat(c.http().port()).isEqualTo(5002);
    assertThat(c.storage().filesystem().root()).isEqualTo(Path.of("/srv/x"));
    assertThat(c.storage().filesystem().directIo()).isFalse();
    assertThat(ConfigLoader.load(null, Map.of()).config().storage().filesystem().directIo())
        .as("direct I/O is the default")
        .isTrue();
    assertThat(c.limits().manifestBytes()).isEqualTo(2048);
    assertThat(c.readOnly()).isTrue();
  }

  @Test
  void everyKeyHasAnEnvironmentName() {
    for (ConfigKey k : ConfigKey.values()) {
      assertThat(ConfigKey.byEnvName(k.envName())).hasValue(k);
      assertThat(k.envName()).startsWith("LADING_").doesNotContain(".");
    }
    assertThat(ConfigKey.LIMITS_MANIFEST_BYTES.envName()).isEqualTo("LADING_LIMITS_MANIFEST_BYTES");
  }

  @Test
  void invalidPortFromEnvironmentNamesKeyAndSource() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("LADING_HTTP_PORT", "70000")))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "invalid config: http.port: must be between 0 and 65535 (from LADING_HTTP_PORT)");
  }

  @Test
  void loginThrottlingAndTrustedProxiesComeFromYamlOrEnvironmentAndBadValuesNameTheirKey()
      throws Exception {
    LadingConfig.Login defaults = ConfigLoader.load(null, Map.of()).config().auth().login();
    assertThat(defaults.maxBackoff()).isEqualTo(Duration.ofMinutes(5));
    assertThat(defaults.addressFailures()).isEqualTo(20);
    assertThat(ConfigLoader.load(null, Map.of()).config().http().trustedProxies()).isEmpty();

    LadingConfig fromYamlConfig =
        ConfigLoader.load(
                yaml(
                    """
        http:
          trusted_proxies: [10.0.0.0/8, 'fd00::/8', 192.0.2.7]
        auth:
          login:
            max_backoff_seconds: 60
            address_failures: 0
        """),
                Map.of())
            .config();
    LadingConfig.Login fromYaml = fromYamlConfig.auth().login();
    assertThat(fromYamlConfig.http().trustedProxies())
        .extracting(Object::toString)
        .containsExactly("10.0.0.0/8", "fd00:0:0:0:0:0:0:0/8", "192.0.2.7/32");
    assertThat(fromYaml.maxBackoff()).isEqualTo(Duration.ofSeconds(60));
    assertThat(fromYaml.addressFailures()).isZero();

    LadingConfig fromEnvConfig =
        ConfigLoader.load(
                null,
                Map.of(
                    "LADING_HTTP_TRUSTED_PROXIES", "[\"172.16.0.0/12\"]",
                    "LADING_AUTH_LOGIN_MAX_BACKOFF_SECONDS", "900",
                    "LADING_AUTH_LOGIN_ADDRESS_FAILURES", "50"))
            .config();
    LadingConfig.Login fromEnv = fromEnvConfig.auth().login();
    assertThat(fromEnvConfig.http().trustedProxies())
        .extracting(Object::toString)
        .containsExactly("172.16.0.0/12");
    assertThat(fromEnv.maxBackoff()).isEqualTo(Duration.ofSeconds(900));
    assertThat(fromEnv.addressFailures()).isEqualTo(50);

    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    null, Map.of("LADING_HTTP_TRUSTED_PROXIES", "[\"ingress.internal\"]")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "http.trusted_proxies: ingress.internal is not an IP address or CIDR block");
    assertThatThrownBy(
            () ->
                ConfigLoader.load(null, Map.of("LADING_HTTP_TRUSTED_PROXIES", "[\"10.0.0.0/33\"]")))
        .hasMessageContaining("http.trusted_proxies");
    assertThatThrownBy(
            () -> ConfigLoader.load(null, Map.of("LADING_AUTH_LOGIN_MAX_BACKOFF_SECONDS", "0")))
        .hasMessageContaining("auth.login.max_backoff_seconds: must be between 1 and 86400");
    assertThatThrownBy(
            () -> ConfigLoader.load(null, Map.of("LADING_AUTH_LOGIN_ADDRESS_FAILURES", "-1")))
        .hasMessageContaining("auth.login.address_failures");
  }

  @Test
  void keyFileGroupReadIsRefusedUnlessAllowed() {
    assertThat(ConfigLoader.load(null, Map.of()).config().auth().keyFileGroupReadable()).isFalse();
    assertThat(
            ConfigLoader.load(null, Map.of("LADING_AUTH_TOKEN_KEY_FILE_GROUP_READABLE", "true"))
                .config()
                .auth()
                .keyFileGroupReadable())
        .isTrue();
    assertThatThrownBy(
            () ->
                ConfigLoader.load(null, Map.of("LADING_AUTH_TOKEN_KEY_FILE_GROUP_READABLE", "yes")))
        .hasMessageContaining("auth.token.key_file_group_readable: must be true or false");
  }

  @Test
  void connectionTimeoutsAndCeilingHaveDefaultsAndComeFromFileAndEnvironment() throws Exception {
    LadingConfig.Http defaults = ConfigLoader.load(null, Map.of()).config().http();
    assertThat(defaults.headerTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(defaults.idleTimeout()).isEqualTo(Duration.ofSeconds(120));
    assertThat(defaults.bodyStallTimeout()).isEqualTo(Duration.ofSeconds(120));
    assertThat(defaults.maxConnections()).isEqualTo(4096);
    LadingConfig.Http set =
        ConfigLoader.load(
                yaml(
                    """
        http:
          header_timeout_seconds: 5
          idle_timeout_seconds: 6
          body_stall_timeout_seconds: 7
          max_connections: 8
        """),
                Map.of("LADING_HTTP_MAX_CONNECTIONS", "9"))
            .config()
            .http();
    assertThat(set.headerTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(set.idleTimeout()).isEqualTo(Duration.ofSeconds(6));
    assertThat(set.bodyStallTimeout()).isEqualTo(Duration.ofSeconds(7));
    assertThat(set.maxConnections()).isEqualTo(9);
  }

  @Test
  void aZeroTimeoutOrCeilingStopsTheStartNamingTheKey() {
    for (String key :
        new String[] {
          "LADING_HTTP_HEADER_TIMEOUT_SECONDS",
          "LADING_HTTP_IDLE_TIMEOUT_SECONDS",
          "LADING_HTTP_BODY_STALL_TIMEOUT_SECONDS",
          "LADING_HTTP_MAX_CONNECTIONS"
        }) {
      String path =
          key.substring("LADING_".length()).toLowerCase(Locale.ROOT).replaceFirst("_", ".");
      assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(key, "0")))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining(path + ": must be between 1 and")
          .hasMessageContaining("(from " + key + ")");
    }
  }

  @Test
  void keyReloadPeriodDefaultsToThirtySecondsAndIsBounded() {
    assertThat(ConfigLoader.load(null, Map.of()).config().auth().keyReload())
        .isEqualTo(Duration.ofSeconds(30));
    assertThat(
            ConfigLoader.load(null, Map.of("LADING_AUTH_TOKEN_KEY_RELOAD_SECONDS", "5"))
                .config()
                .auth()
                .keyReload())
        .isEqualTo(Duration.ofSeconds(5));
    assertThatThrownBy(
            () -> ConfigLoader.load(null, Map.of("LADING_AUTH_TOKEN_KEY_RELOAD_SECONDS", "0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("auth.token.key_reload_seconds");
  }

  @Test
  void gcFenceDelayDefaultsToFifteenSecondsAndMustOutlastThePushersRunCache() throws Exception {
    LadingConfig defaults = ConfigLoader.load(null, Map.of()).config();
    assertThat(defaults.gc().fenceDelay()).isEqualTo(Duration.ofSeconds(15));
    assertThat(LadingServer.gcOptions(defaults.gc()).fenceDelay())
        .isEqualTo(Duration.ofSeconds(15));
    assertThat(
            ConfigLoader.load(yaml("gc:\n  fence_delay_seconds: 30\n"), Map.of())
                .config()
                .gc()
                .fenceDelay())
        .isEqualTo(Duration.ofSeconds(30));
    LadingConfig fromEnv =
        ConfigLoader.load(null, Map.of("LADING_GC_FENCE_DELAY_SECONDS", "6")).config();
    assertThat(LadingServer.gcOptions(fromEnv.gc()).fenceDelay()).isEqualTo(Duration.ofSeconds(6));
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("LADING_GC_FENCE_DELAY_SECONDS", "5")))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "invalid config: gc.fence_delay_seconds: must be between 6 and 3600"
                + " (from LADING_GC_FENCE_DELAY_SECONDS)");
  }

  @Test
  void badTypeInYamlNamesKeyAndFile() throws Exception {
    Path file = yaml("http:\n  port: abc\n");
    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("http.port: must be a whole number")
        .hasMessageContaining("from " + file);
  }

  @Test
  void unknownYamlKeyIsNamed() throws Exception {
    assertThatThrownBy(() -> ConfigLoader.load(yaml("http:\n  prot: 5000\n"), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("http.prot: unknown key");
  }

  @Test
  void unknownEnvironmentVariableIsNamed() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("LADING_HTTP_PROT", "1")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("LADING_HTTP_PROT: unknown environment variable");
  }

  @Test
  void sectionGivenAsValueIsRefused() throws Exception {
    assertThatThrownBy(() -> ConfigLoader.load(yaml("storage: filesystem\n"), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("storage: must be a mapping");
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    null, Map.of("LADING_HTTP_PORT", "-1", "LADING_READ_ONLY", "maybe")))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).hasSize(2));
  }

  @Test
  void everyCheckAcrossKeysReportsAtOnce() {
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    null,
                    Map.of(
                        "LADING_HTTP_TLS_CERT_FILE", "/etc/lading/tls.crt",
                        "LADING_METRICS_PORT", "5000",
                        "LADING_STORAGE_TYPE", "s3")))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .satisfiesExactlyInAnyOrder(
                        p ->
                            assertThat(p)
                                .startsWith("http.tls.key_file: required with http.tls.cert_file"),
                        p -> assertThat(p).startsWith("metrics.port: must differ from http.port"),
                        p ->
                            assertThat(p)
                                .startsWith("storage.s3.bucket: required with storage.type s3"),
                        p -> assertThat(p).startsWith("storage.s3.access_key: required"),
                        p -> assertThat(p).startsWith("storage.s3.secret_key: required")));
  }

  @Test
  void s3WithoutItsBucketIsRefusedNamingTheKey() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("LADING_STORAGE_TYPE", "s3")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("storage.s3.bucket: required with storage.type s3");
  }

  @Test
  void emptyFileMeansDefaults() throws Exception {
    assertThat(ConfigLoader.load(yaml(""), Map.of()).config()).isEqualTo(LadingConfig.defaults());
  }

  @Test
  void settingsSayWhereEachValueCameFrom() throws Exception {
    Path file = yaml("http:\n  port: 5001\n");
    var settings = ConfigLoader.load(file, Map.of("LADING_READ_ONLY", "true")).settings();
    assertThat(settings)
        .anySatisfy(
            s -> {
              assertThat(s.key()).isEqualTo(ConfigKey.HTTP_PORT);
              assertThat(s.source()).isEqualTo(file.toString());
            });
    assertThat(settings)
        .anySatisfy(
            s -> {
              assertThat(s.key()).isEqualTo(ConfigKey.READ_ONLY);
              assertThat(s.source()).isEqualTo("LADING_READ_ONLY");
            });
    assertThat(settings)
        .anySatisfy(
            s -> {
              assertThat(s.key()).isEqualTo(ConfigKey.HTTP_HOST);
              assertThat(s.source()).isEqualTo("default");
            });
  }
}
