package dev.lading.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.policy.ImmutableTagRule;
import dev.lading.core.storage.fs.FilesystemStore;
import dev.lading.gc.RetentionPolicy;
import dev.lading.server.config.ConfigLoader;
import dev.lading.server.config.LadingConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The immutable tag rules and retention policies reload without a restart, whatever the auth mode.
 */
class PolicyReloadTest {
  @TempDir Path dir;

  private Path write(String rules) throws Exception {
    return Files.writeString(
        dir.resolve("lading.yaml"), "policies:\n  immutable_tags: " + rules + "\n");
  }

  @Test
  void changedRulesReachTheServerAndInvalidOnesChangeNothing() throws Exception {
    Path file = write("[{repositories: ['ml/**'], tags: ['v*']}]");
    List<LadingConfig.Policies> applied = new CopyOnWriteArrayList<>();
    try (ConfigReloader reloader =
        new ConfigReloader(
            file, Map.of(), ConfigLoader.load(file, Map.of()), Optional.empty(), applied::add)) {
      ConfigReloader.Outcome same = reloader.reload("test");
      assertThat(same.applied()).isFalse();
      assertThat(applied).isEmpty();

      write(
          "[{repositories: ['ml/**'], tags: ['v*', 'stable']}, {repositories: ['**'], tags: ['release-*']}]");
      ConfigReloader.Outcome changed = reloader.reload("test");
      assertThat(changed.applied()).isTrue();
      assertThat(changed.restartNeeded()).isEmpty();
      assertThat(applied).hasSize(1);
      assertThat(applied.getFirst().immutableTags().rules())
          .extracting(ImmutableTagRule::describe)
          .containsExactly(
              "policies.immutable_tags[0]: ml/** v*,stable",
              "policies.immutable_tags[1]: ** release-*");

      write("[{repositories: ['ml/**'], tags: ['v[0-9]']}]");
      ConfigReloader.Outcome invalid = reloader.reload("test");
      assertThat(invalid.applied()).isFalse();
      assertThat(invalid.error())
          .hasValueSatisfying(e -> assertThat(e).contains("policies.immutable_tags"));
      assertThat(applied).hasSize(1);
    }
  }

  @Test
  void reloadedRulesReachTheRegistryAndRetentionAlike() throws Exception {
    LadingConfig.Policies releases =
        ConfigLoader.load(write("[{repositories: ['ml/**'], tags: ['v*']}]"), Map.of())
            .config()
            .policies();
    try (LadingServer server = LadingServer.start(LadingConfig.forTests(dir.resolve("store")))) {
      assertThat(server.gc().orElseThrow().options().immutableTags().isEmpty()).isTrue();
      server.applyPolicies(releases);
      assertThat(server.gc().orElseThrow().options().immutableTags())
          .isEqualTo(releases.immutableTags());
    }
  }

  @Test
  void changedRetentionIsAppliedWithoutARestart() throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("lading.yaml"),
            "policies:\n  retention: [{repositories: ['ml/**'], untagged_for_hours: 168}]\n");
    List<LadingConfig.Policies> applied = new CopyOnWriteArrayList<>();
    try (ConfigReloader reloader =
        new ConfigReloader(
            file, Map.of(), ConfigLoader.load(file, Map.of()), Optional.empty(), applied::add)) {
      Files.writeString(
          file,
          "policies:\n  retention:\n"
              + "    - {repositories: ['ml/**'], untagged_for_hours: 168}\n"
              + "    - {repositories: ['team/*'], tags: ['ci-*'], keep_last: 5}\n");
      ConfigReloader.Outcome changed = reloader.reload("test");
      assertThat(changed.applied()).isTrue();
      assertThat(changed.restartNeeded()).isEmpty();
      assertThat(applied).singleElement();
      assertThat(applied.getFirst().retention())
          .extracting(RetentionPolicy::name)
          .containsExactly(
              "policies.retention[0] (ml/**)", "policies.retention[1] (team/* tags ci-*)");
      assertThat(applied.getFirst().retention().get(1).keepLast()).hasValue(5);
    }
  }

  @Test
  void reloadedRetentionReachesTheCollectorForItsNextRun() throws Exception {
    LadingConfig.Policies ci =
        ConfigLoader.load(
                Files.writeString(
                    dir.resolve("lading.yaml"),
                    "policies:\n  retention: [{repositories: ['team/*'], tags: ['ci-*'],"
                        + " keep_last: 5}]\n  immutable_tags: [{repositories: ['team/*'], tags:"
                        + " ['v*']}]\n"),
                Map.of())
            .config()
            .policies();
    try (LadingServer server = LadingServer.start(LadingConfig.forTests(dir.resolve("store")))) {
      assertThat(server.gc().orElseThrow().options().retention()).isEmpty();
      server.applyPolicies(ci);
      assertThat(server.gc().orElseThrow().options().retention()).isEqualTo(ci.retention());
      assertThat(server.gc().orElseThrow().options().immutableTags()).isEqualTo(ci.immutableTags());
      server.applyPolicies(LadingConfig.Policies.NONE);
      assertThat(server.gc().orElseThrow().options().retention()).isEmpty();
    }
  }

  @Test
  void aReloadedPolicyThatKeepsTagsByPullsStartsRecordingThem() throws Exception {
    LadingConfig.Policies byPulls =
        ConfigLoader.load(
                Files.writeString(
                    dir.resolve("lading.yaml"),
                    "policies:\n  retention: [{repositories: ['team/*'], tags: ['rc-*'],"
                        + " keep_pulled_within_hours: 336}]\n"),
                Map.of())
            .config()
            .policies();
    Path store = dir.resolve("store");
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    try (LadingServer server = LadingServer.start(LadingConfig.forTests(store))) {
      String base = "http://127.0.0.1:" + server.port() + "/v2/team/app/";
      byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
      String configDigest =
          "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(config));
      assertThat(
              http.send(
                      HttpRequest.newBuilder(
                              URI.create(base + "blobs/uploads/?digest=" + configDigest))
                          .POST(HttpRequest.BodyPublishers.ofByteArray(config))
                          .build(),
                      HttpResponse.BodyHandlers.discarding())
                  .statusCode())
          .isEqualTo(201);
      String manifest =
          "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
              + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
              + "\"digest\":\""
              + configDigest
              + "\",\"size\":2},\"layers\":[]}";
      assertThat(
              http.send(
                      HttpRequest.newBuilder(URI.create(base + "manifests/rc-1"))
                          .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                          .PUT(HttpRequest.BodyPublishers.ofString(manifest))
                          .build(),
                      HttpResponse.BodyHandlers.discarding())
                  .statusCode())
          .isEqualTo(201);

      server.applyPolicies(byPulls);
      HttpRequest pull =
          HttpRequest.newBuilder(URI.create(base + "manifests/rc-1"))
              .header("Accept", "application/vnd.oci.image.manifest.v1+json")
              .GET()
              .build();
      assertThat(http.send(pull, HttpResponse.BodyHandlers.discarding()).statusCode())
          .isEqualTo(200);
    } // a stopping server writes the pulls it recorded
    try (FilesystemStore stored = new FilesystemStore(store, false, true)) {
      assertThat(stored.list("", Optional.empty(), 10_000).keys())
          .as("the pull record of team/app")
          .anyMatch(k -> k.contains("team") && k.contains("_pulls"));
    }
  }
}
