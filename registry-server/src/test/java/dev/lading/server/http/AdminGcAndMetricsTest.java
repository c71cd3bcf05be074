package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lading.server.config.LadingConfig;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /admin/gc} and {@code /metrics} over real sockets with auth off: a triggered run sweeps
 * what a deleted image left, a second trigger while it runs is refused with 409, a dry run reports
 * without deleting, read-only mode refuses the trigger, and the metrics show requests by route and
 * the GC's counters.
 */
class AdminGcAndMetricsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path root;

  private static LadingConfig sweepingAtOnce(Path root) {
    // Grace zero: what is unreferenced now is garbage now. The fence delay stays the server's
    // safe 15 s, which is what keeps the first run busy while the second trigger is refused.
    return LadingConfig.forTests(root)
        .withGc(
            new LadingConfig.Gc(Duration.ZERO, Duration.ZERO, Duration.ofHours(24), false, false));
  }

  @Test
  void triggeredRunSweepsAndASecondTriggerWhileItRunsIsRefused() throws Exception {
    try (RunningRegistry r = new RunningRegistry(sweepingAtOnce(root))) {
      byte[] config = "{\"architecture\":\"amd64\"}".getBytes(StandardCharsets.UTF_8);
      byte[] layer = "a layer nobody will reference".getBytes(StandardCharsets.UTF_8);
      String configDigest = r.pushBlob("team/app", config);
      String layerDigest = r.pushBlob("team/app", layer);
      String manifest =
          "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
              + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
              + configDigest
              + "\",\"size\":"
              + config.length
              + "},\"layers\":[{\"mediaType\":"
              + "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\""
              + layerDigest
              + "\",\"size\":"
              + layer.length
              + "}]}";
      HttpResponse<String> put =
          r.send(
              r.request("/v2/team/app/manifests/v1")
                  .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                  .PUT(HttpRequest.BodyPublishers.ofString(manifest))
                  .build());
      assertThat(put.statusCode()).isEqualTo(201);
      String manifestDigest = put.headers().firstValue("Docker-Content-Digest").orElseThrow();
      assertThat(
              r.send(r.request("/v2/team/app/manifests/" + manifestDigest).DELETE().build())
                  .statusCode())
          .isEqualTo(202);

      HttpResponse<String> started =
          r.send(r.request("/admin/gc").POST(HttpRequest.BodyPublishers.noBody()).build());
      assertThat(started.statusCode()).isEqualTo(202);
      assertThat(JSON.readTree(started.body()).path("dryRun").asBoolean()).isFalse();
      HttpResponse<String> second =
          r.send(r.request("/admin/gc").POST(HttpRequest.BodyPublishers.noBody()).build());
      RunningRegistry.assertError(second, 409, "GC_RUNNING");
      assertThat(status(r).path("running").asBoolean()).isTrue();

      JsonNode done = awaitRuns(r, 1);
      assertThat(done.path("lastError").isNull()).as(done.toString()).isTrue();
      assertThat(done.path("last").path("blobsSwept").asInt())
          .isEqualTo(3); // config, layer, manifest
      assertThat(
              r.send(
                      r.request("/v2/team/app/blobs/" + layerDigest)
                          .method("HEAD", HttpRequest.BodyPublishers.noBody())
                          .build())
                  .statusCode())
          .isEqualTo(404);

      String metrics = r.send(r.request("/metrics").GET().build()).body();
      assertThat(metrics)
          .contains("lading_gc_runs_total{mode=\"real\",outcome=\"success\"} 1.0")
          .contains("lading_gc_swept_total{kind=\"blobs\"} 3.0")
          .contains("lading_gc_last_success_seconds")
          .containsPattern(
              "lading_http_requests_seconds_count\\{method=\"PUT\",route=\"/v2/\\{name}/manifests/\\{reference}\",status=\"201\"} 1")
          .containsPattern(
              "lading_http_requests_seconds_count\\{method=\"POST\",route=\"/admin/gc\",status=\"409\"} 1")
          .containsPattern("lading_upload_bytes_total \\d");
    }
  }

  @Test
  void dryRunReportsWhatWouldGoAndDeletesNothing() throws Exception {
    try (RunningRegistry r = new RunningRegistry(sweepingAtOnce(root))) {
      String orphan = r.pushBlob("team/app", "an orphan layer".getBytes(StandardCharsets.UTF_8));
      HttpResponse<String> started =
          r.send(
              r.request("/admin/gc?dry_run=true")
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build());
      assertThat(started.statusCode()).isEqualTo(202);
      JsonNode done = awaitRuns(r, 1);
      JsonNode last = done.path("last");
      assertThat(last.path("dryRun").asBoolean()).isTrue();
      assertThat(last.path("blobsSwept").asInt()).isEqualTo(1);
      assertThat(last.path("items").toString()).contains(orphan);
      assertThat(
              r.send(
                      r.request("/v2/team/app/blobs/" + orphan)
                          .method("HEAD", HttpRequest.BodyPublishers.noBody())
                          .build())
                  .statusCode())
          .isEqualTo(200);
      assertThat(
              r.send(
                      r.request("/admin/gc?dry_run=maybe")
                          .POST(HttpRequest.BodyPublishers.noBody())
                          .build())
                  .statusCode())
          .isEqualTo(400);
    }
  }

  @Test
  void readOnlyModeRefusesTheTriggerButShowsTheStatus() throws Exception {
    try (RunningRegistry r = new RunningRegistry(sweepingAtOnce(root).withReadOnly(true))) {
      HttpResponse<String> refused =
          r.send(r.request("/admin/gc").POST(HttpRequest.BodyPublishers.noBody()).build());
      RunningRegistry.assertError(refused, 405, "UNSUPPORTED");
      assertThat(status(r).path("runs").asLong()).isZero();
      assertThat(
              r.send(r.request("/metrics").GET().build())
                  .headers()
                  .firstValue("Content-Type")
                  .orElseThrow())
          .startsWith("text/plain");
    }
  }

  private static JsonNode status(RunningRegistry r) throws Exception {
    HttpResponse<String> s = r.send(r.request("/admin/gc").GET().build());
    assertThat(s.statusCode()).isEqualTo(200);
    return JSON.readTree(s.body());
  }

  /** Polls the status (with a deadline) until {@code runs} runs have finished. */
  private static JsonNode awaitRuns(RunningRegistry r, long runs) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      JsonNode s = status(r);
      if (!s.path("running").asBoolean() && s.path("runs").asLong() >= runs) {
        return s;
      }
      assertThat(System.nanoTime()).as("gc run finishes; last status %s", s).isLessThan(deadline);
      Thread.onSpinWait();
    }
  }
}
