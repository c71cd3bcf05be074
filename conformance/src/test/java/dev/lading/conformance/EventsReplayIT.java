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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The real jar with a real HTTP receiver the test starts: events the receiver refuses are kept as
 * given up and shown by {@code GET /admin/events}; {@code POST /admin/events/<endpoint>/replay}
 * sends each once more, signed, with its id. The offline {@code gc} command, run as its own process
 * on the same store, queues its {@code gc.finished} event, which the running registry delivers.
 */
class EventsReplayIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SECRET = "replay-it-secret";
  private static final int RECEIVER_PORT = freePort();
  private static final AtomicInteger answer = new AtomicInteger(400);
  private static final List<String> refused = new CopyOnWriteArrayList<>();
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
                  + "\",\"types\":[\"manifest.pushed\",\"gc.*\"]}]");

  @BeforeAll
  static void startReceiver() throws IOException {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", RECEIVER_PORT), 0);
    receiver.createContext(
        "/hook",
        exchange -> {
          byte[] body = exchange.getRequestBody().readAllBytes();
          int status = answer.get();
          if (status < 300) {
            bodies.add(body);
            signatures.add(exchange.getRequestHeaders().getFirst("Lading-Signature"));
          } else {
            refused.add(JSON.readTree(body).get("id").asText());
          }
          exchange.sendResponseHeaders(status, -1);
          exchange.close();
        });
    receiver.start();
  }

  @AfterAll
  static void stopReceiver() {
    if (receiver != null) {
      receiver.stop(0);
    }
  }

  @Test
  void refusedEventsAreKeptAndAReplaySendsEachOnceAndTheGcCommandsEventsAreDelivered()
      throws Exception {
    RegistryClient client = registry.client();
    String repo = Checks.uniqueRepo("replay");
    for (int i = 0; i < 3; i++) {
      Images.generate(1, 256).push(client, repo, "v" + i);
    }
    // The receiver refuses each push's event (400: final): given up, kept.
    // Kept first, then each batch leaves the queue: wait for both.
    await(
        () -> {
          JsonNode now = endpointState(client);
          return now.get("failed").get("events").asInt() >= 3
              && now.get("queued").get("events").asInt() == 0;
        },
        "3 given-up events kept and none queued");
    JsonNode state = endpointState(client);
    assertThat(state.get("name").asText()).isEqualTo("receiver");
    assertThat(state.get("failed").get("events").asInt()).isEqualTo(3);
    assertThat(state.get("queued").get("events").asInt()).isZero();
    assertThat(refused).hasSize(3);

    // The receiver is fixed. The gc command, its own process, queues its event in the store and
    // exits; the running registry delivers it.
    answer.set(204);
    Command.Result gc = registry.runJar("gc");
    assertThat(gc.exitCode()).as("%s", gc).isZero();
    assertThat(gc.stdout()).contains("event copies queued in the store");
    await(() -> types().contains("dev.lading.gc.finished"), "gc.finished delivered");

    Reply replay = client.send("POST", "/admin/events/receiver/replay", new byte[0]);
    assertThat(replay.status()).as("%s", replay).isEqualTo(200);
    assertThat(replay.json().get("events").asInt()).isEqualTo(3);
    await(() -> bodies.size() >= 4, "the 3 replayed events delivered");
    Thread.sleep(500); // and no more
    List<String> ids = new ArrayList<>();
    for (byte[] b : bodies) {
      JsonNode e = JSON.readTree(b);
      if (e.get("type").asText().equals("dev.lading.manifest.pushed")) {
        ids.add(e.get("id").asText());
      }
    }
    assertThat(ids).as("each refused event once, with its id, in order").isEqualTo(refused);
    assertThat(bodies).hasSize(4);
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    for (int i = 0; i < bodies.size(); i++) {
      assertThat(signatures.get(i))
          .isEqualTo("sha256=" + HexFormat.of().formatHex(mac.doFinal(bodies.get(i))));
    }
    assertThat(failed(client)).isZero();
    assertThat(
            client
                .send("POST", "/admin/events/receiver/replay", new byte[0])
                .json()
                .get("events")
                .asInt())
        .isZero();
  }

  private static List<String> types() {
    List<String> types = new ArrayList<>();
    for (byte[] b : bodies) {
      try {
        types.add(JSON.readTree(b).get("type").asText());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return types;
  }

  private static JsonNode endpointState(RegistryClient client) {
    Reply r = client.get("/admin/events");
    assertThat(r.status()).as("%s", r).isEqualTo(200);
    return r.json().get("endpoints").get(0);
  }

  private static int failed(RegistryClient client) {
    return endpointState(client).get("failed").get("events").asInt();
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 60 s: " + what);
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
