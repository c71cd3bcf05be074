package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Events of the real jar, configured from the environment, received by a real HTTP endpoint the
 * test starts: nothing listens on the receiver's port at first (pushes go on, answered at once),
 * then it comes up and gets every event, signed, in order. A second endpoint never comes up: pushes
 * never wait for it and the first endpoint's events are not held back by it.
 */
class EventsIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SECRET = "events-it-secret";
  private static final int RECEIVER_PORT = freePort();
  private static final int NEVER_PORT = freePort();
  private static final List<byte[]> bodies = new CopyOnWriteArrayList<>();
  private static final List<String> signatures = new CopyOnWriteArrayList<>();
  private static HttpServer receiver;

  @RegisterExtension
  static final RegistryProcess registry =
      RegistryProcess.create()
          .withEnvironment(
              "LADING_EVENTS_ENDPOINTS",
              "[{\"name\":\"receiver\",\"url\":\"http://127.0.0.1:"
                  + RECEIVER_PORT
                  + "/hook\",\"secret\":\""
                  + SECRET
                  + "\",\"repositories\":[\"events/**\"]},"
                  + "{\"name\":\"never\",\"url\":\"http://127.0.0.1:"
                  + NEVER_PORT
                  + "/hook\",\"types\":[\"manifest.*\"]}]");

  @AfterAll
  static void stopReceiver() {
    if (receiver != null) {
      receiver.stop(0);
    }
  }

  @Test
  void eventsWaitForAReceiverThatIsDownAndReachItSignedAndInOrder() throws Exception {
    RegistryClient client = registry.client();
    String repo = "events/" + Checks.uniqueRepo("app");
    // Nothing listens yet: every push is answered as usual.
    Images first = Images.generate(2, 1024).push(client, repo, "v1");
    Images second = Images.generate(1, 1024).push(client, repo, "v1"); // moves v1
    assertThat(client.listTags(repo).status()).isEqualTo(200);
    for (int i = 0; i < 10; i++) {
      Images image = Images.generate(1, 64);
      image.pushBlobs(client, repo);
      Reply put = client.pushManifest(repo, "t" + i, image.manifest());
      assertThat(put.status()).as("%s", put).isEqualTo(201);
    }
    // The receiver comes up only after deliveries to it have failed, so it is a retry that
    // reaches it.
    awaitMetric(client, "lading_events_delivery_failures_total{endpoint=\"receiver\"}", 2);
    startReceiver();

    List<JsonNode> events = await(e -> e.size() >= 8 + 10 * 3);
    Thread.sleep(300); // and no more than that
    assertThat(bodies).hasSize(8 + 10 * 3);
    List<String> types = events.stream().map(e -> e.get("type").asText()).toList();
    assertThat(types.subList(0, 8))
        .containsExactly(
            "dev.lading.blob.pushed",
            "dev.lading.blob.pushed",
            "dev.lading.blob.pushed",
            "dev.lading.manifest.pushed",
            "dev.lading.blob.pushed",
            "dev.lading.blob.pushed",
            "dev.lading.manifest.pushed",
            "dev.lading.tag.moved");
    JsonNode moved = events.get(7).get("data");
    assertThat(moved.get("tag").asText()).isEqualTo("v1");
    assertThat(moved.get("previous").asText()).isEqualTo(first.manifest().digest());
    assertThat(moved.get("digest").asText()).isEqualTo(second.manifest().digest());
    assertThat(events.get(3).get("subject").asText()).isEqualTo(repo);
    assertThat(events.stream().map(e -> e.get("id").asText()).distinct().count())
        .as("each event once")
        .isEqualTo(events.size());
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    for (int i = 0; i < bodies.size(); i++) {
      assertThat(signatures.get(i))
          .isEqualTo("sha256=" + HexFormat.of().formatHex(mac.doFinal(bodies.get(i))));
    }
    // The endpoint that never came up was tried and keeps its events; pushes never waited.
    String metrics = client.get("/metrics").text();
    assertThat(metricValue(metrics, "lading_events_delivery_failures_total{endpoint=\"never\"}"))
        .isGreaterThan(0);
    assertThat(metricValue(metrics, "lading_events_delivered_total{endpoint=\"never\"}")).isZero();
    // The start names each endpoint, never its secret.
    String log = Files.readString(registry.logFile());
    assertThat(log)
        .contains("events: endpoint receiver at http://127.0.0.1:" + RECEIVER_PORT + "/hook")
        .contains("events: endpoint never at http://127.0.0.1:" + NEVER_PORT + "/hook")
        .doesNotContain(SECRET);
  }

  private static void awaitMetric(RegistryClient client, String series, double atLeast)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (metricValue(client.get("/metrics").text(), series) < atLeast) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(series + " stayed below " + atLeast);
      }
      Thread.sleep(50);
    }
  }

  private static double metricValue(String metrics, String series) {
    for (String line : metrics.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).strip());
      }
    }
    throw new AssertionError("no series " + series + " in /metrics");
  }

  private static void startReceiver() throws IOException {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", RECEIVER_PORT), 0);
    receiver.createContext(
        "/hook",
        exchange -> {
          bodies.add(exchange.getRequestBody().readAllBytes());
          signatures.add(exchange.getRequestHeaders().getFirst("Lading-Signature"));
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    receiver.start();
  }

  private static List<JsonNode> await(Predicate<List<JsonNode>> done) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      List<JsonNode> events = new ArrayList<>();
      for (byte[] b : bodies) {
        events.add(JSON.readTree(b));
      }
      if (done.test(events)) {
        return events;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("only " + events.size() + " events arrived");
      }
      Thread.sleep(50);
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
