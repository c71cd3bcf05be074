package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lading.server.config.LadingConfig;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code http.max_connections} over real sockets: beyond it, 503 with Retry-After and the end. */
class ConnectionCeilingTest {
  private static final String GET_BASE = "GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  @TempDir Path root;

  @Test
  void aConnectionBeyondTheCeilingIsAnswered503AndClosedUntilOneEnds() throws Exception {
    try (RunningRegistry registry =
            new RunningRegistry(LadingConfig.forTests(root).withMaxConnections(2));
        RawConnection first = new RawConnection(registry.server.port());
        RawConnection second = new RawConnection(registry.server.port())) {
      // Both served (so both are counted before the third arrives), and kept open.
      assertThat(first.send(GET_BASE).read().status()).isEqualTo(200);
      assertThat(second.send(GET_BASE).read().status()).isEqualTo(200);
      assertThat(metric(registry, "lading_http_connections_open ")).isEqualTo(2);

      try (RawConnection third = new RawConnection(registry.server.port())) {
        RawConnection.Response r = third.send(GET_BASE).read();
        assertThat(r.status()).as(r.head()).isEqualTo(503);
        assertThat(r.header("Retry-After")).isEqualTo("5");
        assertThat(r.header("Content-Type")).isEqualTo("application/json");
        assertThat(new ObjectMapper().readTree(r.body()).at("/errors/0/code").asText())
            .isEqualTo("STORAGE_UNAVAILABLE");
        assertThat(new ObjectMapper().readTree(r.body()).at("/errors/0/message").asText())
            .contains("connections");
        assertThat(third.endsWithin(Duration.ofSeconds(10))).isTrue();
      }
      assertThat(metric(registry, "lading_http_connections_refused_total ")).isEqualTo(1);
      assertThat(first.send(GET_BASE).read().status())
          .as("served connections keep being served")
          .isEqualTo(200);

      first.close();
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (metric(registry, "lading_http_connections_open ") > 1
          && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      try (RawConnection fourth = new RawConnection(registry.server.port())) {
        assertThat(fourth.send(GET_BASE).read().status())
            .as("room again once one ended")
            .isEqualTo(200);
      }
    }
  }

  private static double metric(RunningRegistry registry, String prefix) {
    return registry
        .server
        .metrics()
        .scrape()
        .lines()
        .filter(l -> l.startsWith(prefix))
        .mapToDouble(l -> Double.parseDouble(l.substring(prefix.length())))
        .findFirst()
        .orElse(-1);
  }
}
