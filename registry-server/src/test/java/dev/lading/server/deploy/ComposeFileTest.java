package dev.lading.server.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lading.server.LadingServer;
import dev.lading.server.config.ConfigLoader;
import dev.lading.server.config.StorageType;
import java.io.File;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code docker/compose.yaml} and the monitoring files it mounts: compose itself validates the file
 * where {@code docker-compose} is installed, Lading's environment there is a configuration the
 * server accepts, its healthcheck passes against a real server (and fails without one), and
 * Prometheus and Grafana point at what compose really names and mounts.
 */
class ComposeFileTest {
  private static final Path COMPOSE = DeploymentFiles.docker().resolve("compose.yaml");
  // Compose's own interpolation: ${NAME}, ${NAME:-default}, ${NAME-default}; $$ is a literal $.
  private static final Pattern VARIABLE = Pattern.compile("\\$\\$|\\$\\{(\\w+)(?::?-([^}]*))?}");

  @TempDir Path root;

  @Test
  void composeValidatesTheFile() throws Exception {
    Optional<Path> compose = onPath("docker-compose");
    assumeTrue(
        compose.isPresent(),
        "docker-compose is not installed (Debian package docker-compose; .ci/run installs it)");
    Process p =
        new ProcessBuilder(
                compose.get().toString(),
                "-f",
                COMPOSE.toString(),
                "--profile",
                "monitoring",
                "config",
                "-q")
            .directory(DeploymentFiles.docker().toFile())
            .redirectErrorStream(true)
            .start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("docker-compose config finished").isTrue();
    String output = new String(p.getInputStream().readAllBytes());
    assertThat(p.exitValue()).as(output).isZero();
  }

  @Test
  void everyLadingVariableInComposeIsAConfigurationTheServerAccepts() {
    JsonNode services = DeploymentFiles.yaml(COMPOSE).path("services");
    Map<String, String> env = new LinkedHashMap<>(DeploymentFiles.imageEnv());
    env.putAll(environment(services.path("lading")));
    ConfigLoader.Loaded loaded = DeploymentFiles.load("compose.yaml's lading service", null, env);
    assertThat(loaded.config().storage().type()).isEqualTo(StorageType.S3);

    // No other service carries LADING_* variables that nothing would read.
    for (Iterator<Map.Entry<String, JsonNode>> it = services.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> service = it.next();
      if (!service.getKey().equals("lading")) {
        assertThat(environment(service.getValue()).keySet())
            .as(service.getKey())
            .noneMatch(k -> k.startsWith("LADING_"));
      }
    }
    // The bucket Lading uses is the one the one-shot service creates, on the MinIO compose runs.
    String bucket = loaded.config().storage().s3().orElseThrow().store().bucket();
    String createBucket =
        String.join(" ", strings(services.path("create-bucket").path("entrypoint")));
    assertThat(createBucket).contains("mc mb --ignore-existing local/" + bucket);
    URI endpoint = loaded.config().storage().s3().orElseThrow().store().endpoint().orElseThrow();
    assertThat(services.has(endpoint.getHost()))
        .as("the S3 endpoint names a compose service")
        .isTrue();
    assertThat(strings(services.path("lading").path("depends_on").fieldNames()))
        .contains("create-bucket");
  }

  @Test
  void theHealthcheckPassesAgainstARealServerAndFailsWithoutOne() throws Exception {
    assumeTrue(onPath("bash").isPresent(), "bash is not installed");
    List<String> test =
        strings(
            DeploymentFiles.yaml(COMPOSE)
                .path("services")
                .path("lading")
                .path("healthcheck")
                .path("test"));
    assertThat(test.get(0)).isEqualTo("CMD");
    List<String> command =
        test.subList(1, test.size()).stream().map(s -> interpolate(s, Map.of())).toList();
    int port;
    try (LadingServer server = startServer()) {
      port = server.port();
      assertThat(run(command, port)).as("healthcheck against a serving registry").isZero();
    }
    assertThat(run(command, port)).as("healthcheck with nothing listening").isNotZero();
  }

  @Test
  void prometheusScrapesTheRegistrysMetricsEndpoint() throws Exception {
    JsonNode job =
        DeploymentFiles.yaml(DeploymentFiles.docker().resolve("prometheus/prometheus.yml"))
            .path("scrape_configs")
            .get(0);
    String target = job.path("static_configs").get(0).path("targets").get(0).asText();
    String[] hostPort = target.split(":", 2);
    JsonNode services = DeploymentFiles.yaml(COMPOSE).path("services");
    assertThat(services.has(hostPort[0])).as(target + " names a compose service").isTrue();
    Map<String, String> env = new LinkedHashMap<>(DeploymentFiles.imageEnv());
    env.putAll(environment(services.path(hostPort[0])));
    assertThat(hostPort[1])
        .isEqualTo(
            String.valueOf(
                DeploymentFiles.load("compose.yaml's lading service", null, env)
                    .config()
                    .http()
                    .port()));
    try (LadingServer server = startServer()) {
      HttpResponse<String> metrics =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create(
                              "http://127.0.0.1:"
                                  + server.port()
                                  + job.path("metrics_path").asText("/metrics")))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).contains("# TYPE");
    }
  }

  @Test
  void grafanaIsProvisionedFromTheMountedDirectories() {
    JsonNode grafana = DeploymentFiles.yaml(COMPOSE).path("services").path("grafana");
    Map<String, String> mounts = new HashMap<>();
    for (String volume : strings(grafana.path("volumes"))) {
      String[] parts = volume.split(":");
      mounts.put(parts[0], parts[1]);
    }
    Path provisioning = DeploymentFiles.docker().resolve("grafana/provisioning");
    assertThat(mounts).containsEntry("./grafana/provisioning", "/etc/grafana/provisioning");
    JsonNode provider =
        DeploymentFiles.yaml(provisioning.resolve("dashboards/lading.yaml"))
            .path("providers")
            .get(0);
    assertThat(provider.path("options").path("path").asText())
        .isEqualTo(mounts.get("./grafana/dashboards"));

    JsonNode datasource =
        DeploymentFiles.yaml(provisioning.resolve("datasources/prometheus.yaml"))
            .path("datasources")
            .get(0);
    assertThat(datasource.path("type").asText()).isEqualTo("prometheus");
    URI url = URI.create(datasource.path("url").asText());
    assertThat(DeploymentFiles.yaml(COMPOSE).path("services").has(url.getHost()))
        .as(url + " names a compose service")
        .isTrue();
    assertThat(grafana.path("profiles").toString()).contains("monitoring");
    assertThat(
            DeploymentFiles.yaml(COMPOSE)
                .path("services")
                .path("prometheus")
                .path("profiles")
                .toString())
        .contains("monitoring");
  }

  private LadingServer startServer() {
    Map<String, String> env = new LinkedHashMap<>(DeploymentFiles.imageEnv());
    env.put("LADING_STORAGE_FILESYSTEM_ROOT", root.toString());
    env.put("LADING_HTTP_HOST", "127.0.0.1");
    env.put("LADING_HTTP_PORT", "0");
    return LadingServer.start(DeploymentFiles.load("a test server", null, env).config());
  }

  /** Runs the healthcheck as the container would, its port taken from LADING_HTTP_PORT. */
  private static int run(List<String> command, int port) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("LADING_HTTP_PORT", String.valueOf(port));
    Process p = pb.start();
    p.getInputStream().transferTo(OutputStream.nullOutputStream());
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return p.exitValue();
  }

  /** A service's environment, in map form, interpolated with compose's defaults (no .env here). */
  private static Map<String, String> environment(JsonNode service) {
    JsonNode env = service.path("environment");
    Map<String, String> out = new LinkedHashMap<>();
    if (env.isMissingNode()) {
      return out;
    }
    assertThat(env.isObject()).as("environment is written as a mapping").isTrue();
    for (Iterator<Map.Entry<String, JsonNode>> it = env.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      out.put(e.getKey(), interpolate(e.getValue().asText(), Map.of()));
    }
    return out;
  }

  private static String interpolate(String value, Map<String, String> variables) {
    Matcher m = VARIABLE.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String replacement;
      if (m.group().equals("$$")) {
        replacement = "$";
      } else {
        assertThat(m.group(2))
            .as(m.group() + " has a default, so compose runs without a .env file")
            .isNotNull();
        replacement = variables.getOrDefault(m.group(1), m.group(2));
      }
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static List<String> strings(Iterator<String> it) {
    List<String> out = new ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }

  private static Optional<Path> onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(dir, command);
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}
