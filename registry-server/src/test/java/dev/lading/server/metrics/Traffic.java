package dev.lading.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.server.LadingServer;
import dev.lading.server.config.LadingConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A server with its own metrics port, and a little of everything it exports metrics about: a push
 * and a pull, a miss, an error, a finished GC run, and a JVM garbage collection, so every meter the
 * dashboard draws has a series.
 */
final class Traffic {
  private Traffic() {}

  /** Sweeps at once (no grace, no fence delay: no other instance), metrics on their own port. */
  static LadingConfig config(Path root) {
    return LadingConfig.forTests(root)
        .withMetricsPort(0)
        .withGc(
            new LadingConfig.Gc(
                Duration.ZERO, Duration.ZERO, Duration.ofHours(24), false, false, Duration.ZERO));
  }

  static void generate(LadingServer server) throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    String base = "http://127.0.0.1:" + server.port();
    byte[] layer = "a layer".getBytes(StandardCharsets.UTF_8);
    byte[] orphan = "a layer nobody references".getBytes(StandardCharsets.UTF_8);
    String layerDigest = MetricsOverSocketsTest.sha256(layer);
    for (byte[] blob : new byte[][] {layer, orphan}) {
      HttpResponse<String> push =
          client.send(
              HttpRequest.newBuilder(
                      URI.create(
                          base
                              + "/v2/team/app/blobs/uploads/?digest="
                              + MetricsOverSocketsTest.sha256(blob)))
                  .POST(HttpRequest.BodyPublishers.ofByteArray(blob))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(push.statusCode()).isEqualTo(201);
    }
    String manifest =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
            + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
            + layerDigest
            + "\",\"size\":"
            + layer.length
            + "},\"layers\":[]}";
    HttpResponse<String> put =
        client.send(
            HttpRequest.newBuilder(URI.create(base + "/v2/team/app/manifests/v1"))
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .PUT(HttpRequest.BodyPublishers.ofString(manifest))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(put.statusCode()).isEqualTo(201);
    for (int i = 0; i < 2; i++) {
      assertThat(
              client
                  .send(
                      HttpRequest.newBuilder(URI.create(base + "/v2/team/app/manifests/v1"))
                          .GET()
                          .build(),
                      HttpResponse.BodyHandlers.discarding())
                  .statusCode())
          .isEqualTo(200);
      assertThat(
              client
                  .send(
                      HttpRequest.newBuilder(URI.create(base + "/v2/team/app/blobs/" + layerDigest))
                          .GET()
                          .build(),
                      HttpResponse.BodyHandlers.discarding())
                  .statusCode())
          .isEqualTo(200);
    }
    assertThat(
            client
                .send(
                    HttpRequest.newBuilder(URI.create(base + "/v2/team/app/manifests/missing"))
                        .GET()
                        .build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode())
        .isEqualTo(404);
    assertThat(
            client
                .send(
                    HttpRequest.newBuilder(URI.create(base + "/admin/gc"))
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode())
        .isEqualTo(202);
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (server.gc().orElseThrow().status().runs() < 1) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the GC run did not finish");
      }
      Thread.sleep(50);
    }
    assertThat(server.gc().orElseThrow().status().lastError()).isEmpty();
    // A pause for the JVM GC meters (they appear with the first collection they are told of).
    System.gc();
    Thread.sleep(200);
  }
}
