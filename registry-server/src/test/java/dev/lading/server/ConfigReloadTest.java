package dev.lading.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lading.auth.BcryptHash;
import dev.lading.server.config.ConfigLoader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running server (real sockets) whose configuration file is rewritten: the new rules apply
 * without a restart, tokens issued before stay valid, and an invalid edit changes nothing.
 */
class ConfigReloadTest {
  private static final String SECRET = "lading_ci-secret";
  private static final String HASH = BcryptHash.of(SECRET.toCharArray(), 4).value();
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private LadingServer server;
  private ConfigReloader reloader;

  private Path writeConfig(String rules) throws Exception {
    Path file = dir.resolve("lading.yaml");
    Path tmp = dir.resolve("lading.yaml.tmp");
    // Written aside and moved, as an editor or a ConfigMap update does: the poller never reads half
    // a file.
    Files.writeString(
        tmp,
        """
        http:
          host: 127.0.0.1
          port: 0
        storage:
          filesystem:
            root: %s
        auth:
          mode: token
          robots:
            - name: ci
              secret_hash: '%s'
          rules:
        %s
        """
            .formatted(dir.resolve("data"), HASH, rules.indent(4).stripTrailing()));
    return Files.move(
        tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private void start(Path file) {
    ConfigLoader.Loaded loaded = ConfigLoader.load(file, Map.of());
    server = LadingServer.start(loaded.config());
    reloader =
        new ConfigReloader(file, Map.of(), loaded, server.auth()).watch(Duration.ofMillis(100));
  }

  @AfterEach
  void stop() {
    if (reloader != null) {
      reloader.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.port() + path);
  }

  /** The robot's token for push and pull on ml/app: what it holds depends on the rules in force. */
  private String token() throws Exception {
    String q =
        "/auth/token?service=lading&scope="
            + URLEncoder.encode("repository:ml/app:pull,push", StandardCharsets.UTF_8);
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(uri(q))
                .header(
                    "Authorization",
                    "Basic "
                        + Base64.getEncoder()
                            .encodeToString(("ci:" + SECRET).getBytes(StandardCharsets.UTF_8)))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body()).get("token").asText();
  }

  private int startPush(String token) throws Exception {
    return http.send(
            HttpRequest.newBuilder(uri("/v2/ml/app/blobs/uploads/"))
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }

  private int listTags(String token) throws Exception {
    return http.send(
            HttpRequest.newBuilder(uri("/v2/ml/app/tags/list"))
                .header("Authorization", "Bearer " + token)
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    for (int i = 0; i < 100; i++) {
      if (condition.getAsBoolean()) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("not within 10 s: " + what);
  }

  private boolean pushAllowed() {
    try {
      return startPush(token()) == 202;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aRewrittenFileGrantsPushWithoutARestartAndEarlierTokensStayValid() throws Exception {
    start(writeConfig("- {subjects: [ci], repositories: ['ml/**'], actions: [pull]}"));
    String before = token();
    assertThat(startPush(before)).as("push before the edit").isIn(401, 403);

    writeConfig("- {subjects: [ci], repositories: ['ml/**'], actions: [pull, push]}");
    await(this::pushAllowed, "the robot's push accepted after the file changed");

    // The token issued before the reload still verifies and still holds its pull.
    assertThat(listTags(before)).as("earlier token after the reload").isEqualTo(404);
  }

  @Test
  void anInvalidEditKeepsTheRulesInForceAndNamesTheKey() throws Exception {
    start(writeConfig("- {subjects: [ci], repositories: ['ml/**'], actions: [pull, push]}"));
    assertThat(pushAllowed()).isTrue();

    Path file = writeConfig("- {subjects: [ci], repositories: ['ml/**'], actions: [fly]}");
    ConfigReloader.Outcome outcome = reloader.reload("test");
    assertThat(outcome.applied()).isFalse();
    assertThat(outcome.error()).hasValueSatisfying(e -> assertThat(e).contains("auth.rules"));
    assertThat(pushAllowed()).as("the previous rules stay in force").isTrue();

    // Removing the grant in a valid edit is applied: the rules really were still the old ones.
    Files.writeString(file, Files.readString(file).replace("actions: [fly]", "actions: [pull]"));
    await(() -> !pushAllowed(), "push refused after a valid edit removed it");
  }

  @Test
  void otherChangedKeysAreReportedAsNeedingARestart() throws Exception {
    Path file = writeConfig("- {subjects: [ci], repositories: ['ml/**'], actions: [pull]}");
    start(file);
    Files.writeString(
        file, Files.readString(file).replace("port: 0", "port: 0\n  max_connections: 10"));
    ConfigReloader.Outcome outcome = reloader.reload("test");
    assertThat(outcome.applied()).isTrue();
    assertThat(outcome.restartNeeded()).containsExactly("http.max_connections");
  }
}
