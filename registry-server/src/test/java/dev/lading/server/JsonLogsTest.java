package dev.lading.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lading.auth.BcryptHash;
import dev.lading.server.config.LadingConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The logs as an operator gets them: the server runs as its own process with the production {@code
 * logback.xml} (asynchronous appenders, the {@code LineEncoder}) and {@code
 * LADING_LOG_FORMAT=json}, token auth on; what it writes to stdout is read back line by line with
 * Jackson.
 */
class JsonLogsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PASSWORD = "correct horse battery staple";

  @TempDir Path root;
  @TempDir Path work;

  @Test
  void everyLineIsJsonAndAccessAndAuditLinesCarryTheirFieldsAsKeys() throws Exception {
    int port = freePort();
    String hash = BcryptHash.of(PASSWORD.toCharArray(), 4).value();
    Map<String, String> env =
        Map.of(
            "LADING_HTTP_HOST", "127.0.0.1",
            "LADING_HTTP_PORT", Integer.toString(port),
            "LADING_STORAGE_FILESYSTEM_ROOT", root.toString(),
            "LADING_LOG_FORMAT", "json",
            "LADING_AUTH_MODE", "token",
            "LADING_AUTH_USERS", "[{\"name\":\"alice\",\"password_hash\":\"" + hash + "\"}]",
            "LADING_AUTH_RULES",
                "[{\"subjects\":[\"alice\"],\"repositories\":[\"team/**\"],\"actions\":[\"pull\",\"push\"]}]");
    byte[] blob = "a layer, logged".getBytes(StandardCharsets.UTF_8);
    String digest =
        "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob));

    Path stdout = work.resolve("stdout");
    Process server = start(env, stdout, work.resolve("stderr"));
    String token;
    String pushRequestId;
    try {
      HttpClient client = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + port;
      awaitUp(client, base, server, stdout);
      // Every client's first step: a challenge, not a denial.
      assertThat(
              client
                  .send(
                      HttpRequest.newBuilder(URI.create(base + "/v2/")).GET().build(),
                      HttpResponse.BodyHandlers.discarding())
                  .statusCode())
          .isEqualTo(401);
      HttpResponse<String> issued =
          client.send(
              HttpRequest.newBuilder(
                      URI.create(
                          base + "/auth/token?service=lading&scope=repository:team/app:pull,push"))
                  .header(
                      "Authorization",
                      "Basic "
                          + Base64.getEncoder()
                              .encodeToString(
                                  ("alice:" + PASSWORD).getBytes(StandardCharsets.UTF_8)))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(issued.statusCode()).isEqualTo(200);
      token = JSON.readTree(issued.body()).path("token").asText();
      HttpResponse<String> push =
          client.send(
              HttpRequest.newBuilder(
                      URI.create(base + "/v2/team/app/blobs/uploads/?digest=" + digest))
                  .header("Authorization", "Bearer " + token)
                  .header("User-Agent", "json-log-test/1.0")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(blob))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(push.statusCode()).isEqualTo(201);
      pushRequestId = push.headers().firstValue("X-Request-Id").orElseThrow();
      HttpResponse<String> twoRanges =
          client.send(
              HttpRequest.newBuilder(URI.create(base + "/v2/team/app/blobs/" + digest))
                  .header("Authorization", "Bearer " + token)
                  .header("Range", "bytes=0-1,3-4")
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(twoRanges.statusCode()).isEqualTo(206);
    } finally {
      stop(server);
    }

    List<JsonNode> lines = new ArrayList<>();
    for (String line : Files.readAllLines(stdout, StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        try {
          lines.add(JSON.readTree(line));
        } catch (JsonProcessingException e) {
          throw new AssertionError("a stdout line that is not JSON: " + line, e);
        }
      }
    }
    String everything = Files.readString(stdout);
    assertThat(everything).doesNotContain(PASSWORD).doesNotContain(token);

    JsonNode access = only(lines, "dev.lading.access", "route", "/v2/{name}/blobs/uploads/");
    assertThat(access.path("request_id").asText()).isEqualTo(pushRequestId).matches("[0-9a-f]{16}");
    assertThat(access.path("method").asText()).isEqualTo("POST");
    assertThat(access.path("repository").asText()).isEqualTo("team/app");
    assertThat(access.path("status").isInt()).isTrue();
    assertThat(access.path("status").asInt()).isEqualTo(201);
    assertThat(access.path("bytes_received").asLong()).isEqualTo(blob.length);
    assertThat(access.path("bytes_sent").isNumber()).isTrue();
    assertThat(access.path("duration_ms").isNumber()).isTrue();
    assertThat(access.path("principal").asText()).isEqualTo("alice");
    assertThat(access.path("user_agent").asText()).isEqualTo("json-log-test/1.0");
    assertThat(access.path("client").asText()).isEqualTo("127.0.0.1");
    assertThat(access.path("level").asText()).isEqualTo("INFO");
    assertThat(access.has("ranges")).as("no ranges in a push").isFalse();
    JsonNode ranged = only(lines, "dev.lading.access", "route", "/v2/{name}/blobs/{digest}");
    assertThat(ranged.path("status").asInt()).isEqualTo(206);
    assertThat(ranged.path("ranges").asInt()).as("the byte ranges served").isEqualTo(2);
    assertThat(access.path("time").asText()).endsWith("Z");

    JsonNode pushed = only(lines, "lading.audit", "event", "push-blob");
    assertThat(pushed.path("principal").asText()).isEqualTo("alice");
    assertThat(pushed.path("principal_kind").asText()).isEqualTo("user");
    assertThat(pushed.path("repository").asText()).isEqualTo("team/app");
    assertThat(pushed.path("digest").asText()).isEqualTo(digest);
    assertThat(pushed.path("client").asText()).isEqualTo("127.0.0.1");
    assertThat(pushed.path("status").asInt()).isEqualTo(201);
    assertThat(pushed.path("request_id").asText()).isEqualTo(pushRequestId);

    JsonNode login = only(lines, "lading.audit", "event", "token");
    assertThat(login.path("principal").asText()).isEqualTo("alice");
    assertThat(login.path("via").asText()).isEqualTo("basic");
    assertThat(login.path("client").asText()).isEqualTo("127.0.0.1");
    assertThat(login.path("scopes").isArray()).isTrue();
    assertThat(login.path("scopes").get(0).asText()).startsWith("repository:team/app:");

    assertThat(lines)
        .as("the challenge of a request without credentials is not audited")
        .noneMatch(l -> l.path("event").asText().equals("denied"));

    assertThat(
            only(lines, "dev.lading.server.LadingServer", "event", "start")
                .path("version")
                .asText())
        .isNotEmpty();
    assertThat(
            only(lines, "dev.lading.server.LadingServer", "event", "listen")
                .path("address")
                .asText())
        .isEqualTo("127.0.0.1:" + port);
    JsonNode store = only(lines, "dev.lading.server.LadingServer", "event", "store");
    assertThat(store.path("store").asText()).isEqualTo("filesystem");
    assertThat(store.path("root").asText()).isEqualTo(root.toAbsolutePath().normalize().toString());
    assertThat(
            only(lines, "dev.lading.server.LadingServer", "event", "auth")
                .path("auth_mode")
                .asText())
        .isEqualTo("token");
    assertThat(lines).noneMatch(l -> l.path("event").asText().equals("open_to_writes"));
  }

  @Test
  void aWarningIsDueOnlyWhenAnyoneOnTheNetworkMayPush() throws Exception {
    LadingConfig open = LadingConfig.forTests(root);
    InetAddress everywhere = InetAddress.getByName("0.0.0.0");
    InetAddress lan = InetAddress.getByName("192.0.2.10");
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    assertThat(StartupReport.anyoneMayPush(open, everywhere)).isTrue();
    assertThat(StartupReport.anyoneMayPush(open, lan)).isTrue();
    assertThat(StartupReport.anyoneMayPush(open, loopback)).isFalse();
    assertThat(StartupReport.anyoneMayPush(open, InetAddress.getByName("::1"))).isFalse();
    assertThat(StartupReport.anyoneMayPush(open.withReadOnly(true), everywhere)).isFalse();
    assertThat(
            StartupReport.anyoneMayPush(
                open.withAuth(LadingConfig.Auth.token("lading", List.of(), List.of())), everywhere))
        .isFalse();
  }

  private static JsonNode only(List<JsonNode> lines, String logger, String key, String value) {
    List<JsonNode> found =
        lines.stream()
            .filter(
                l -> l.path("logger").asText().equals(logger) && l.path(key).asText().equals(value))
            .toList();
    assertThat(found).as("lines of %s with %s=%s among %s", logger, key, value, lines).hasSize(1);
    return found.get(0);
  }

  /** The server as its own JVM on the test classpath, logging with the production configuration. */
  private static Process start(Map<String, String> env, Path stdout, Path stderr)
      throws IOException {
    Path logback = Path.of("target", "classes", "logback.xml").toAbsolutePath();
    assertThat(logback).exists();
    ProcessBuilder pb =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-opens",
                "java.base/sun.security.provider=ALL-UNNAMED",
                "-Xmx256m",
                "-Dlogback.configurationFile=" + logback,
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "serve")
            .redirectOutput(stdout.toFile())
            .redirectError(stderr.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("LADING_"));
    pb.environment().putAll(env);
    return pb.start();
  }

  private static void awaitUp(HttpClient client, String base, Process server, Path stdout)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      assertThat(server.isAlive()).as("the server exited:\n%s", Files.readString(stdout)).isTrue();
      try {
        if (client
                .send(
                    HttpRequest.newBuilder(URI.create(base + "/healthz")).GET().build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode()
            == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the server did not start:\n" + Files.readString(stdout));
  }

  /**
   * SIGTERM, as an orchestrator stops it: the shutdown hook drains and writes out the queued lines.
   */
  private static void stop(Process server) throws InterruptedException {
    server.destroy();
    if (!server.waitFor(60, TimeUnit.SECONDS)) {
      server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
