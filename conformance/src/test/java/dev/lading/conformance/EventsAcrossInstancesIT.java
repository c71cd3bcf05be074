package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two instances of the jar on one store, both configured with one receiver: whichever instance took
 * a push, each event reaches the receiver exactly once, since one instance at a time delivers from
 * the queue in the store. When one instance dies ({@code SIGKILL}, its lease left to expire) the
 * other takes the delivery over and the events pushed since arrive too, still once each.
 */
class EventsAcrossInstancesIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DELIVERS = "this instance delivers events now";
  private static final List<byte[]> bodies = new CopyOnWriteArrayList<>();
  private static final HttpServer receiver = startReceiver();
  private static final String ENDPOINTS =
      "[{\"name\":\"receiver\",\"url\":\"http://127.0.0.1:"
          + receiver.getAddress().getPort()
          + "/hook\"}]";

  @RegisterExtension
  static final RegistryProcess first =
      RegistryProcess.create().withEnvironment("LADING_EVENTS_ENDPOINTS", ENDPOINTS);

  @RegisterExtension
  static final RegistryProcess second =
      RegistryProcess.sharingStoreWith(first).withEnvironment("LADING_EVENTS_ENDPOINTS", ENDPOINTS);

  @AfterAll
  static void stopReceiver() {
    receiver.stop(0);
  }

  @Test
  void eachEventArrivesOnceWhicheverInstanceTookThePushAndAfterOneDies() throws Exception {
    String repo = Checks.uniqueRepo("events-two");
    RegistryClient a = first.client();
    RegistryClient b = second.client();
    for (int i = 0; i < 10; i++) {
      Images.generate(1, 256).push(i % 2 == 0 ? a : b, repo, "t" + i);
    }
    // 10 images of a config, one layer and a manifest.
    List<String> ids = awaitIds(30, Duration.ofSeconds(60));
    Thread.sleep(1000); // the deliverer deletes what it delivered before it dies

    // Kill the instance that delivers: the other takes over once the lease expires (30 s).
    boolean firstDelivers = Files.readString(first.logFile()).contains(DELIVERS);
    assertThat(firstDelivers)
        .as("exactly one instance delivers")
        .isNotEqualTo(Files.readString(second.logFile()).contains(DELIVERS));
    RegistryProcess dying = firstDelivers ? first : second;
    RegistryClient survivor = firstDelivers ? b : a;
    dying.kill();
    for (int i = 10; i < 14; i++) {
      Images.generate(1, 256).push(survivor, repo, "t" + i);
    }
    ids = awaitIds(42, Duration.ofSeconds(90));
    Thread.sleep(500);
    assertThat(bodies).hasSize(42);
    assertThat(new HashSet<>(ids)).as("no event twice").hasSize(42);
    Set<String> subjects = new HashSet<>();
    for (byte[] body : bodies) {
      subjects.add(JSON.readTree(body).get("subject").asText());
    }
    assertThat(subjects).containsExactly(repo);
  }

  private static List<String> awaitIds(int n, Duration limit) throws Exception {
    long deadline = System.nanoTime() + limit.toNanos();
    while (bodies.size() < n) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("only " + bodies.size() + " of " + n + " events arrived");
      }
      Thread.sleep(50);
    }
    List<String> ids = new ArrayList<>();
    for (byte[] body : bodies) {
      ids.add(JSON.readTree(body).get("id").asText());
    }
    return ids;
  }

  private static HttpServer startReceiver() {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      server.createContext(
          "/hook",
          exchange -> {
            bodies.add(exchange.getRequestBody().readAllBytes());
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
          });
      server.start();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
