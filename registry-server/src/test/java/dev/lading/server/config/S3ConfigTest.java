package dev.lading.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.server.LadingServer;
import dev.lading.server.Main;
import dev.lading.storage.s3.S3StoreConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class S3ConfigTest {
  private static final String SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";

  @TempDir Path dir;

  private static Map<String, String> s3Env(String... more) {
    Map<String, String> env =
        new HashMap<>(
            Map.of(
                "LADING_STORAGE_TYPE", "s3",
                "LADING_STORAGE_S3_BUCKET", "images",
                "LADING_STORAGE_S3_ACCESS_KEY", "AKIDEXAMPLE",
                "LADING_STORAGE_S3_SECRET_KEY", SECRET));
    for (int i = 0; i < more.length; i += 2) {
      env.put(more[i], more[i + 1]);
    }
    return env;
  }

  @Test
  void environmentAloneSelectsTheS3StoreWithItsDefaults() {
    LadingConfig c =
        ConfigLoader.load(null, s3Env("LADING_STORAGE_S3_ENDPOINT", "http://127.0.0.1:7480"))
            .config();
    assertThat(c.storage().type()).isEqualTo(StorageType.S3);
    S3StoreConfig s3 = c.storage().s3().orElseThrow().store();
    assertThat(s3.endpoint()).hasValue(URI.create("http://127.0.0.1:7480"));
    assertThat(s3.bucket()).isEqualTo("images");
    assertThat(s3.region()).isEqualTo("us-east-1");
    assertThat(s3.prefix()).isEmpty();
    assertThat(s3.pathStyle()).isTrue();
    assertThat(s3.checksumMode()).isEqualTo(S3StoreConfig.ChecksumMode.WHEN_REQUIRED);
    assertThat(s3.partSize()).isEqualTo(32 * S3StoreConfig.MIB);
    assertThat(s3.readWindow()).isEqualTo(8 * S3StoreConfig.MIB);
    assertThat(s3.maxConnections()).isEqualTo(64);
    assertThat(s3.partsInFlight()).isEqualTo(2);
    assertThat(s3.memoryBudget())
        .as("one part filling and two uploading fit the default budget")
        .isGreaterThanOrEqualTo(3 * s3.partSize());
    assertThat(s3.secretKey()).isEqualTo(SECRET);
    assertThat(c.storage().s3().orElseThrow().redirect()).isFalse();
    assertThat(c.toString()).doesNotContain(SECRET);
  }

  @Test
  void yamlSetsEveryS3Key() throws Exception {
    Path secret = Files.writeString(dir.resolve("secret"), SECRET + "\n");
    Path access = Files.writeString(dir.resolve("access"), "AKIDFROMFILE\n");
    Path yaml =
        Files.writeString(
            dir.resolve("lading.yaml"),
            """
        storage:
          type: s3
          s3:
            endpoint: https://rgw.example:7480
            region: eu-1
            bucket: ml-images
            prefix: lading/
            path_style: false
            access_key_file: %s
            secret_key_file: %s
            checksum_mode: when_supported
            part_size_mib: 64
            memory_budget_mib: 512
            read_window_mib: 16
            max_connections: 128
            parts_in_flight: 3
            redirect: true
            redirect_ttl_seconds: 600
        """
                .formatted(access, secret));
    LadingConfig.S3 s3 = ConfigLoader.load(yaml, Map.of()).config().storage().s3().orElseThrow();
    assertThat(s3.store().endpoint()).hasValue(URI.create("https://rgw.example:7480"));
    assertThat(s3.store().region()).isEqualTo("eu-1");
    assertThat(s3.store().bucket()).isEqualTo("ml-images");
    assertThat(s3.store().prefix()).isEqualTo("lading/");
    assertThat(s3.store().pathStyle()).isFalse();
    assertThat(s3.store().accessKey()).isEqualTo("AKIDFROMFILE");
    assertThat(s3.store().secretKey()).isEqualTo(SECRET);
    assertThat(s3.store().checksumMode()).isEqualTo(S3StoreConfig.ChecksumMode.WHEN_SUPPORTED);
    assertThat(s3.store().partSize()).isEqualTo(64 * S3StoreConfig.MIB);
    assertThat(s3.store().memoryBudget()).isEqualTo(512 * S3StoreConfig.MIB);
    assertThat(s3.store().readWindow()).isEqualTo(16 * S3StoreConfig.MIB);
    assertThat(s3.store().maxConnections()).isEqualTo(128);
    assertThat(s3.store().partsInFlight()).isEqualTo(3);
    assertThat(s3.redirect()).isTrue();
    assertThat(s3.redirectTtl()).isEqualTo(Duration.ofMinutes(10));
  }

  @Test
  void missingBucketAndCredentialsStopTheStartNamingTheKeys() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("LADING_STORAGE_TYPE", "s3")))
        .isInstanceOf(ConfigException.class)
        .satisfies(
            e ->
                assertThat(((ConfigException) e).problems())
                    .anySatisfy(p -> assertThat(p).startsWith("storage.s3.bucket: required"))
                    .anySatisfy(p -> assertThat(p).startsWith("storage.s3.access_key: required"))
                    .anySatisfy(p -> assertThat(p).startsWith("storage.s3.secret_key: required")));
  }

  @Test
  void badValuesAreRefusedNamingTheKey() {
    assertThatThrownBy(() -> ConfigLoader.load(null, s3Env("LADING_STORAGE_S3_PART_SIZE_MIB", "4")))
        .hasMessageContaining("storage.s3.part_size_mib: must be between 5 and 128");
    assertThatThrownBy(
            () -> ConfigLoader.load(null, s3Env("LADING_STORAGE_S3_BUCKET", "Bad_Bucket")))
        .hasMessageContaining("storage.s3.bucket: not a valid S3 bucket name");
    assertThatThrownBy(() -> ConfigLoader.load(null, s3Env("LADING_STORAGE_S3_PREFIX", "no-slash")))
        .hasMessageContaining("storage.s3.prefix:");
    assertThatThrownBy(
            () -> ConfigLoader.load(null, s3Env("LADING_STORAGE_S3_ENDPOINT", "ftp://x")))
        .hasMessageContaining("storage.s3.endpoint: must be an http(s) URL");
    assertThatThrownBy(
            () -> ConfigLoader.load(null, s3Env("LADING_STORAGE_S3_CHECKSUM_MODE", "always")))
        .hasMessageContaining("storage.s3.checksum_mode: must be when_required or when_supported");
    assertThatThrownBy(
            () -> ConfigLoader.load(null, s3Env("LADING_STORAGE_S3_MEMORY_BUDGET_MIB", "16")))
        .hasMessageContaining("storage.s3.memory_budget_mib: must hold at least one part");
  }

  @Test
  void aSecretGivenTwiceOrInAnUnreadableFileIsRefusedWithoutShowingIt() {
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    null, s3Env("LADING_STORAGE_S3_SECRET_KEY_FILE", "/run/secrets/s3")))
        .hasMessageContaining(
            "storage.s3.secret_key: give it or storage.s3.secret_key_file, not both")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(SECRET));
    Map<String, String> env = s3Env();
    env.remove("LADING_STORAGE_S3_SECRET_KEY");
    env.put("LADING_STORAGE_S3_SECRET_KEY_FILE", dir.resolve("missing").toString());
    assertThatThrownBy(() -> ConfigLoader.load(null, env))
        .hasMessageContaining("storage.s3.secret_key_file: cannot read");
  }

  @Test
  void configCheckMasksTheCredentials() {
    ConfigLoader.Loaded loaded = ConfigLoader.load(null, s3Env());
    assertThat(loaded.settings())
        .filteredOn(
            s ->
                s.key() == ConfigKey.STORAGE_S3_SECRET_KEY
                    || s.key() == ConfigKey.STORAGE_S3_ACCESS_KEY)
        .hasSize(2)
        .allSatisfy(s -> assertThat(s.shown()).isEqualTo("********"));
    StringWriter out = new StringWriter();
    int exit =
        Main.run(
            new String[] {"config", "check"},
            s3Env(),
            new PrintWriter(out, true),
            new PrintWriter(new StringWriter(), true));
    assertThat(exit).isZero();
    assertThat(out.toString())
        .contains("storage.s3.bucket = images")
        .doesNotContain(SECRET)
        .doesNotContain("AKIDEXAMPLE");
  }

  @Test
  void tokenAuthOnS3NeedsNoKeyFileBecauseTheKeysLiveInTheSharedBucket() {
    // Instances sharing a bucket share its signing keys (auth/signing-keys.jwks through the
    // store); an operator-managed key file stays possible and takes precedence.
    LadingConfig shared = ConfigLoader.load(null, s3Env("LADING_AUTH_MODE", "token")).config();
    assertThat(shared.storage().s3()).isPresent();
    assertThat(shared.auth().keyFile()).isEmpty();
    LadingConfig withFile =
        ConfigLoader.load(
                null,
                s3Env(
                    "LADING_AUTH_MODE",
                    "token",
                    "LADING_AUTH_TOKEN_KEY_FILE",
                    dir.resolve("keys.jwks").toString()))
            .config();
    assertThat(withFile.auth().keyFile()).contains(dir.resolve("keys.jwks"));
  }

  @Test
  void aBucketThatDoesNotExistStopsTheServerAtStart() throws Exception {
    LadingConfig config =
        ConfigLoader.load(
                null,
                s3Env("LADING_STORAGE_S3_ENDPOINT", "http://127.0.0.1:1", "LADING_HTTP_PORT", "0"))
            .config();
    assertThatThrownBy(() -> LadingServer.start(config))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("storage.s3.bucket:")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(SECRET));
  }
}
