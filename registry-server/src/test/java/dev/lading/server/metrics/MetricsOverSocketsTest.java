package dev.lading.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.server.LadingServer;
import dev.lading.server.config.LadingConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metrics a running server exports, read over real sockets from its own metrics port ({@code
 * metrics.port}), so the scrapes themselves never count as registry traffic.
 */
class MetricsOverSocketsTest {
  private static final int BLOB_BYTES = 1 << 20;

  /** Room for request and response heads around a body; far less than the body itself. */
  private static final int HEADS = 8 << 10;

  @TempDir Path root;
  private LadingServer server;
  private final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void start() {
    server = LadingServer.start(LadingConfig.forTests(root).withMetricsPort(0));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void bytesCountersMoveByWhatAPushAndAZeroCopyPullSent() throws Exception {
    byte[] blob = new byte[BLOB_BYTES];
    new Random(7).nextBytes(blob);
    String digest = sha256(blob);

    Scrape before = scrape();
    HttpResponse<String> push =
        client.send(
            request("/v2/team/app/blobs/uploads/?digest=" + digest)
                .POST(HttpRequest.BodyPublishers.ofByteArray(blob))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(push.statusCode()).isEqualTo(201);
    Scrape afterPush = scrape();
    // The filesystem store answers a blob GET with a FileRegion: sendfile, no bytes through Java.
    HttpResponse<byte[]> pull =
        client.send(
            request("/v2/team/app/blobs/" + digest).GET().build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(pull.statusCode()).isEqualTo(200);
    assertThat(pull.body()).isEqualTo(blob);
    Scrape afterPull = scrape();

    double pushedIn =
        afterPush.sum("lading_http_request_bytes_total")
            - before.sum("lading_http_request_bytes_total");
    assertThat(pushedIn).isBetween((double) BLOB_BYTES, (double) BLOB_BYTES + HEADS);
    double pulledOut =
        afterPull.sum("lading_http_response_bytes_total")
            - afterPush.sum("lading_http_response_bytes_total");
    assertThat(pulledOut).isBetween((double) BLOB_BYTES, (double) BLOB_BYTES + HEADS);
    assertThat(afterPull.sum("lading_upload_bytes_total")).isEqualTo(BLOB_BYTES);
  }

  @Test
  void requestLatencyIsAHistogramLabelledByRouteTemplate() throws Exception {
    byte[] blob = "a small layer".getBytes(StandardCharsets.UTF_8);
    String digest = sha256(blob);
    client.send(
        request("/v2/team/app/blobs/uploads/?digest=" + digest)
            .POST(HttpRequest.BodyPublishers.ofByteArray(blob))
            .build(),
        HttpResponse.BodyHandlers.discarding());
    client.send(
        request("/v2/team/app/blobs/" + digest).HEAD().build(),
        HttpResponse.BodyHandlers.discarding());

    Scrape s = scrape();
    String route = "/v2/{name}/blobs/{digest}";
    assertThat(
            s.find(
                "lading_http_requests_seconds_bucket",
                "route",
                route,
                "method",
                "HEAD",
                "status",
                "200"))
        .extracting(sample -> sample.labels().get("le"))
        .contains("0.001", "0.005", "0.1", "1.0", "300.0", "+Inf");
    assertThat(
            s.sum(
                "lading_http_requests_seconds_bucket",
                "route",
                route,
                "method",
                "HEAD",
                "le",
                "+Inf"))
        .isEqualTo(1);
    assertThat(
            s.sum(
                "lading_http_requests_seconds_count",
                "route",
                "/v2/{name}/blobs/uploads/",
                "status",
                "201"))
        .isEqualTo(1);
    // No label value anywhere names the repository or the digest.
    assertThat(s.samples())
        .allSatisfy(
            sample ->
                assertThat(sample.labels().values())
                    .noneMatch(v -> v.contains("team/app") || v.contains(digest.substring(7))));
  }

  @Test
  void storeCallsAreTimedByOperation() throws Exception {
    // Above the size a push stores in one write, so it streams through a multipart write; the
    // blob's record and link then go to the store as one batch.
    byte[] blob = new byte[100 * 1024];
    new Random(3).nextBytes(blob);
    String digest = sha256(blob);
    client.send(
        request("/v2/team/app/blobs/uploads/?digest=" + digest)
            .POST(HttpRequest.BodyPublishers.ofByteArray(blob))
            .build(),
        HttpResponse.BodyHandlers.discarding());
    client.send(
        request("/v2/team/app/blobs/" + digest).GET().build(),
        HttpResponse.BodyHandlers.discarding());
    String missing = sha256("never pushed".getBytes(StandardCharsets.UTF_8));
    assertThat(
            client
                .send(
                    request("/v2/team/app/blobs/" + missing).HEAD().build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode())
        .isEqualTo(404);

    Scrape s = scrape();
    for (String op :
        new String[] {
          "start_multipart", "multipart_write", "multipart_complete", "write_all", "open_range"
        }) {
      assertThat(s.sum("lading_store_calls_seconds_count", "operation", op, "outcome", "ok"))
          .as("store calls of %s", op)
          .isPositive();
    }
    assertThat(
            s.find("lading_store_calls_seconds_bucket", "operation", "open_range", "outcome", "ok"))
        .isNotEmpty();
    // Operations not called yet are there at zero, so a rate over them works from the start.
    assertThat(
            s.find(
                "lading_store_calls_seconds_count", "operation", "presigned_get", "outcome", "ok"))
        .singleElement()
        .extracting(Scrape.Sample::value)
        .isEqualTo(0.0);
    assertThat(s.sum("lading_cache_gets_total", "cache", "blob_records")).isPositive();
  }

  @Test
  void requestsAndUploadsInFlightCountABodyStillArriving() throws Exception {
    HttpResponse<String> started =
        client.send(
            request("/v2/team/app/blobs/uploads/")
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(started.statusCode()).isEqualTo(202);
    String location = started.headers().firstValue("Location").orElseThrow();
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("PATCH "
                  + location
                  + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
                  + "Content-Length: 10\r\n\r\nhalf ")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      awaitGauge("lading_uploads_in_flight", 1);
      assertThat(scrape().sum("lading_http_requests_in_flight")).isEqualTo(1);
      out.write("done!".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      assertThat(new String(in.readNBytes(12), StandardCharsets.US_ASCII))
          .isEqualTo("HTTP/1.1 202");
    }
    awaitGauge("lading_uploads_in_flight", 0);
  }

  @Test
  void metricsPortServesMetricsAndTheRegistryPortNoLonger() throws Exception {
    HttpResponse<String> own =
        client.send(
            HttpRequest.newBuilder(metricsUri("/metrics")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(own.statusCode()).isEqualTo(200);
    assertThat(own.headers().firstValue("Content-Type").orElseThrow())
        .startsWith("text/plain; version=0.0.4");
    Scrape s = Scrape.parse(own.body());
    for (String name :
        new String[] {
          "lading_http_connections_open",
          "jvm_memory_used_bytes",
          "jvm_threads_live_threads",
          "jvm_gc_live_data_size_bytes",
          "jvm_classes_loaded_classes",
          "process_cpu_usage",
          "process_cpu_seconds_total",
          "system_cpu_processors",
          "process_uptime_seconds",
          "process_files_open_files",
          "lading_gc_phase",
          "lading_gc_progress"
        }) {
      assertThat(s.has(name)).as(name).isTrue();
    }
    assertThat(
            client
                .send(
                    HttpRequest.newBuilder(metricsUri("/elsewhere")).GET().build(),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(404);
    assertThat(
            client
                .send(request("/metrics").GET().build(), HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(404);
    assertThat(server.metricsAddress().orElseThrow().getPort()).isNotEqualTo(server.port());
  }

  private void awaitGauge(String name, double value) throws Exception {
    long deadline = System.nanoTime() + 10_000_000_000L;
    double seen;
    do {
      seen = scrape().sum(name);
      if (seen == value) {
        return;
      }
      Thread.sleep(20);
    } while (System.nanoTime() < deadline);
    assertThat(seen).as(name).isEqualTo(value);
  }

  private Scrape scrape() throws IOException, InterruptedException {
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(metricsUri("/metrics")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return Scrape.parse(r.body());
  }

  private URI metricsUri(String path) {
    return URI.create("http://127.0.0.1:" + server.metricsAddress().orElseThrow().getPort() + path);
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
  }

  static String sha256(byte[] content) throws Exception {
    return "sha256:"
        + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
  }
}
