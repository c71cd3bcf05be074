package dev.lading.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lading.server.LadingServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exposition as Prometheus itself reads it: {@code promtool check metrics} finds nothing to
 * lint, and a real Prometheus server scrapes the metrics port (target up, a Lading series stored).
 * Each test skips, saying so, when the tool is not installed (Debian package {@code prometheus};
 * {@code .ci/run} installs it).
 */
class PrometheusScrapeTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient client = HttpClient.newHttpClient();

  @TempDir Path root;
  @TempDir Path work;

  @Test
  void promtoolFindsNothingToLint() throws Exception {
    assumeTrue(installed("promtool"), "promtool is not installed (Debian package prometheus)");
    String exposition;
    try (LadingServer server = LadingServer.start(Traffic.config(root))) {
      Traffic.generate(server);
      exposition =
          get("http://127.0.0.1:" + server.metricsAddress().orElseThrow().getPort() + "/metrics")
              .body();
    }
    Path metrics = Files.writeString(work.resolve("metrics.txt"), exposition);
    Path output = work.resolve("promtool.out");
    Process p =
        new ProcessBuilder("promtool", "check", "metrics")
            .redirectInput(metrics.toFile())
            .redirectErrorStream(true)
            .redirectOutput(output.toFile())
            .start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String problems = Files.readString(output);
    assertThat(problems).as("promtool check metrics").isBlank();
    assertThat(p.exitValue()).as(problems).isZero();
  }

  @Test
  void aRealPrometheusScrapesTheMetricsPort() throws Exception {
    assumeTrue(installed("prometheus"), "prometheus is not installed (Debian package prometheus)");
    try (LadingServer server = LadingServer.start(Traffic.config(root))) {
      int target = server.metricsAddress().orElseThrow().getPort();
      int port = freePort();
      Path config =
          Files.writeString(
              work.resolve("prometheus.yml"),
              """
          global:
            scrape_interval: 1s
            evaluation_interval: 1s
          scrape_configs:
            - job_name: lading
              scrape_interval: 1s
              static_configs:
                - targets: ['127.0.0.1:%d']
          """
                  .formatted(target));
      Path log = work.resolve("prometheus.log");
      Process prometheus =
          new ProcessBuilder(
                  "prometheus",
                  "--config.file=" + config,
                  "--web.listen-address=127.0.0.1:" + port,
                  "--storage.tsdb.path=" + work.resolve("tsdb"))
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      try {
        String api = "http://127.0.0.1:" + port + "/api/v1/query?query=";
        JsonNode up = awaitResult(prometheus, log, api + encode("up{job=\"lading\"} == 1"));
        assertThat(up.get(0).path("value").get(1).asText()).isEqualTo("1");
        JsonNode series =
            awaitResult(
                prometheus, log, api + encode("lading_http_connections_open{job=\"lading\"}"));
        assertThat(series.get(0).path("metric").path("instance").asText())
            .isEqualTo("127.0.0.1:" + target);
      } finally {
        prometheus.destroy();
        if (!prometheus.waitFor(20, TimeUnit.SECONDS)) {
          prometheus.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      }
    }
  }

  /** Queries until the result is not empty; Prometheus needs a few seconds to start and scrape. */
  private JsonNode awaitResult(Process prometheus, Path log, String query) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    String last = "(no answer)";
    while (System.nanoTime() < deadline) {
      assertThat(prometheus.isAlive()).as("prometheus exited:\n%s", Files.readString(log)).isTrue();
      try {
        HttpResponse<String> r = get(query);
        last = r.body();
        JsonNode result = JSON.readTree(r.body()).path("data").path("result");
        if (r.statusCode() == 200 && result.size() > 0) {
          return result;
        }
      } catch (IOException notYet) {
        last = notYet.toString();
      }
      Thread.sleep(250);
    }
    throw new AssertionError(
        "no result for " + query + "; last answer " + last + "\n" + Files.readString(log));
  }

  private HttpResponse<String> get(String uri) throws IOException, InterruptedException {
    return client.send(
        HttpRequest.newBuilder(URI.create(uri)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String encode(String query) {
    return URLEncoder.encode(query, StandardCharsets.UTF_8);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Whether {@code tool} runs (it is on the PATH and starts). */
  static boolean installed(String tool) {
    try {
      Process p =
          new ProcessBuilder(tool, "--version")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }
}
