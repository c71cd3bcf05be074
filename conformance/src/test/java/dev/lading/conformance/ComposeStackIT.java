package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped container image and compose stack, built and run for real where a Docker engine
 * answers: {@code docker/compose.yaml} builds {@code docker/Dockerfile}, starts Lading on MinIO
 * with its bucket made at start, and skopeo pushes an image through it and pulls it back byte for
 * byte; the image runs as its fixed non-root user.
 *
 * <p>Without an engine (the Docker CLI missing or no daemon answering it), or with one that cannot
 * fetch the base images the files name, the test skips and says which. The files themselves are
 * checked everywhere by registry-server's {@code DockerfileTest} and {@code ComposeFileTest}.
 */
class ComposeStackIT {
  private static final Path REPOSITORY_ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path COMPOSE_FILE =
      REPOSITORY_ROOT.resolve("docker").resolve("compose.yaml");

  /** What the build and the stack pull: the Dockerfile's two stages, MinIO and its client. */
  private static final List<String> BASE_IMAGES =
      List.of(
          "eclipse-temurin:21-jdk",
          "eclipse-temurin:21-jre",
          "minio/minio:latest",
          "minio/mc:latest");

  /** The Maven build inside the image downloads every dependency on a cold cache. */
  private static final Duration BUILD_DEADLINE = Duration.ofMinutes(30);

  @TempDir Path work;

  @Test
  void theImageBuildsAndTheComposeStackTakesAPushAndAPull(TestInfo test) throws Exception {
    Path logs =
        Path.of("target", "client-logs", "compose", test.getTestMethod().orElseThrow().getName());
    Command.assumeInstalled("docker");
    Command.assumeInstalled("skopeo");
    Command.Result info =
        Command.run(List.of("docker", "info"), Map.of(), logs.resolve("info.log"));
    Assumptions.assumeTrue(
        info.exitCode() == 0,
        "the Docker CLI is installed but no engine answers it (docker info: exit "
            + info.exitCode()
            + ")");
    for (String image : BASE_IMAGES) {
      if (Command.run(
                  List.of("docker", "image", "inspect", image),
                  Map.of(),
                  logs.resolve("inspect.log"))
              .exitCode()
          != 0) {
        Command.Result pull =
            Command.run(List.of("docker", "pull", image), Map.of(), logs.resolve("pull-base.log"));
        Assumptions.assumeTrue(
            pull.exitCode() == 0,
            "the Docker engine cannot fetch the base image "
                + image
                + " (see "
                + logs.resolve("pull-base.log")
                + ")");
      }
    }

    int port = freePort();
    String project = "lading-it-" + UUID.randomUUID().toString().substring(0, 8);
    Map<String, String> env =
        Map.of(
            "REGISTRY_PORT",
            Integer.toString(port),
            "MINIO_CONSOLE_PORT",
            Integer.toString(freePort()),
            // The Dockerfile's cache mount needs BuildKit; docker-compose 1.x uses it only when
            // told.
            "DOCKER_BUILDKIT",
            "1",
            "COMPOSE_DOCKER_CLI_BUILD",
            "1");
    List<String> compose = compose(logs);
    try {
      Command.Result up =
          Command.run(
              with(compose, "-p", project, "-f", COMPOSE_FILE.toString(), "up", "-d", "--build"),
              env,
              logs.resolve("up.log"),
              BUILD_DEADLINE);
      assertThat(up.exitCode()).as("%s", up).isZero();
      awaitReady(URI.create("http://127.0.0.1:" + port + "/readyz"));

      String user =
          Command.succeed(
                  List.of(
                      "docker", "image", "inspect", "--format", "{{.Config.User}}", "lading:local"),
                  Map.of(),
                  logs.resolve("user.log"))
              .strip();
      assertThat(user).isEqualTo("10001:10001");

      OciLayout source = new OciLayout(work.resolve("source"));
      OciLayout.Image image = source.writeImage("amd64", 3);
      source.tag("v1", image.manifest());
      String target = "docker://127.0.0.1:" + port + "/" + Checks.uniqueRepo("compose") + ":v1";
      Command.succeed(
          List.of(
              "skopeo",
              "--insecure-policy",
              "copy",
              "--dest-tls-verify=false",
              "--preserve-digests",
              source.reference("v1"),
              target),
          Map.of(),
          logs.resolve("push.log"));
      OciLayout back = new OciLayout(work.resolve("back"));
      Command.succeed(
          List.of(
              "skopeo",
              "--insecure-policy",
              "copy",
              "--src-tls-verify=false",
              "--preserve-digests",
              target,
              back.reference("v1")),
          Map.of(),
          logs.resolve("pull.log"));
      assertThat(back.manifestBytes("v1")).isEqualTo(image.manifest().bytes());
    } finally {
      Command.run(
          with(
              compose,
              "-p",
              project,
              "-f",
              COMPOSE_FILE.toString(),
              "down",
              "-v",
              "--remove-orphans"),
          env,
          logs.resolve("down.log"));
    }
  }

  /** {@code docker compose} (the plugin) where it exists, else Debian's {@code docker-compose}. */
  private static List<String> compose(Path logs) throws IOException, InterruptedException {
    if (Command.run(
                List.of("docker", "compose", "version"),
                Map.of(),
                logs.resolve("compose-version.log"))
            .exitCode()
        == 0) {
      return List.of("docker", "compose");
    }
    Command.assumeInstalled("docker-compose");
    return List.of("docker-compose");
  }

  private static List<String> with(List<String> command, String... args) {
    List<String> all = new ArrayList<>(command);
    all.addAll(List.of(args));
    return all;
  }

  /**
   * Compose's own readiness wait exists only in compose v2; asking {@code /readyz} works with both.
   */
  private static void awaitReady(URI readyz) throws Exception {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<String> r =
            client.send(
                HttpRequest.newBuilder(readyz).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (r.statusCode() == 200) {
          return;
        }
        last = r.statusCode() + " " + r.body();
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(1_000);
    }
    throw new AssertionError("the stack's registry never became ready: " + last);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
