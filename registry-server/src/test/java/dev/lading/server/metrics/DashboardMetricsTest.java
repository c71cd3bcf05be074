package dev.lading.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lading.server.LadingServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard draws only what the server exports: every metric name its queries select
 * exists in a real server's {@code /metrics} after some traffic. A renamed meter breaks this test
 * instead of leaving an empty panel in production.
 */
class DashboardMetricsTest {
  static final Path DASHBOARD = Path.of("..", "docker", "grafana", "dashboards", "lading.json");

  /** A metric name in PromQL: an identifier directly followed by a label matcher or a range. */
  private static final Pattern SELECTOR = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*[{\\[]");

  /** Names as the server spells them, wherever they appear (label_values(...) too). */
  private static final Pattern OURS =
      Pattern.compile("\\b((?:lading|jvm|process|system)_[a-z0-9_]+)\\b");

  @TempDir Path root;

  @Test
  void everyMetricTheDashboardQueriesExistsAfterTraffic() throws Exception {
    Set<String> names = metricNames(new ObjectMapper().readTree(Files.readString(DASHBOARD)));
    assertThat(names)
        .contains(
            "lading_http_requests_seconds_bucket",
            "lading_store_calls_seconds_bucket",
            "lading_http_request_bytes_total",
            "lading_gc_phase",
            "jvm_memory_used_bytes");

    Scrape scrape;
    try (LadingServer server = LadingServer.start(Traffic.config(root))) {
      Traffic.generate(server);
      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create(
                              "http://127.0.0.1:"
                                  + server.metricsAddress().orElseThrow().getPort()
                                  + "/metrics"))
                      .GET()
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      scrape = Scrape.parse(r.body());
    }
    List<String> missing = new ArrayList<>();
    for (String name : names) {
      if (!scrape.has(name)) {
        missing.add(name);
      }
    }
    assertThat(missing).as("metrics the dashboard uses but the server does not export").isEmpty();
  }

  /** Every metric name in the dashboard's panel queries and template variables. */
  static Set<String> metricNames(JsonNode dashboard) {
    Set<String> names = new TreeSet<>();
    List<String> queries = new ArrayList<>();
    dashboard.findValues("expr").forEach(e -> queries.add(e.asText()));
    dashboard
        .path("templating")
        .path("list")
        .forEach(v -> queries.add(v.path("definition").asText()));
    Set<String> functions =
        Set.of(
            "rate",
            "increase",
            "sum",
            "max",
            "min",
            "by",
            "histogram_quantile",
            "time",
            "label_values",
            "without");
    for (String q : queries) {
      Matcher m = SELECTOR.matcher(q);
      while (m.find()) {
        if (!functions.contains(m.group(1))) {
          names.add(m.group(1));
        }
      }
      Matcher o = OURS.matcher(q);
      while (o.find()) {
        names.add(o.group(1));
      }
    }
    return names;
  }
}
