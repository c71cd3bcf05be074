package dev.lading.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.lading.events.EventEndpoint;
import dev.lading.events.EventOptions;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /admin/events} of a running registry under token auth, over real sockets, with a real HTTP
 * receiver: an event the receiver refuses is kept as given up and shown; a replay by an admin puts
 * it back, the receiver gets it once, signed, with the id it had, and the audit trail names who
 * replayed what. Only the GC scope may read or replay.
 */
class AdminEventsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] SECRET = "replay-secret".getBytes(StandardCharsets.UTF_8);

  @TempDir Path root;
  HttpServer hook;
  final AtomicInteger answer = new AtomicInteger(400);
  final List<String> refusedIds = new CopyOnWriteArrayList<>();
  final List<byte[]> accepted = new CopyOnWriteArrayList<>();
  final List<String> signatures = new CopyOnWriteArrayList<>();
  AuthFixture f;

  @BeforeEach
  void start() throws Exception {
    hook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    hook.createContext(
        "/events",
        exchange -> {
          byte[] body = exchange.getRequestBody().readAllBytes();
          int status = answer.get();
          if (status < 300) {
            accepted.add(body);
            signatures.add(exchange.getRequestHeaders().getFirst("Lading-Signature"));
          } else {
            refusedIds.add(JSON.readTree(body).get("id").asText());
          }
          exchange.sendResponseHeaders(status, -1);
          exchange.close();
        });
    hook.start();
    EventEndpoint endpoint =
        new EventEndpoint(
            "deploys",
            URI.create(
                "http://127.0.0.1:" + hook.getAddress().getPort() + "/events?token=do-not-show"),
            Optional.of(new EventEndpoint.Secret(SECRET)),
            List.of(),
            List.of("blob.pushed"));
    EventOptions options =
        EventOptions.of(List.of(endpoint))
            .withTiming(Duration.ofMillis(800), Duration.ofMillis(50));
    f = new AuthFixture(root, auth -> auth, Clock.systemUTC(), c -> c.withEvents(options));
  }

  @AfterEach
  void stop() {
    f.close();
    hook.stop(0);
  }

  private HttpResponse<String> replay(String endpoint, String token) throws Exception {
    return f.send(
        f.request("/admin/events/" + endpoint + "/replay", token)
            .POST(HttpRequest.BodyPublishers.noBody())
            .build());
  }

  private JsonNode state(String token) throws Exception {
    HttpResponse<String> r = f.send(f.request("/admin/events", token).GET().build());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return f.json(r.body()).get("endpoints").get(0);
  }

  @Test
  void aRefusedEventIsShownAndAnAdminsReplayDeliversItOnceWithItsIdAudited() throws Exception {
    String admin = f.token("admin", "registry:gc:delete");
    String robot = f.token("ml-builder", "repository:ml/app:pull,push");
    assertThat(f.pushBlob("ml/app", "layer".getBytes(StandardCharsets.UTF_8), robot))
        .isEqualTo(201);

    // The receiver refuses it (400: final), so it is given up at once and kept.
    JsonNode deploys = awaitFailed(admin, 1);
    assertThat(deploys.get("name").asText()).isEqualTo("deploys");
    assertThat(deploys.get("url").asText()).endsWith("/events").doesNotContain("do-not-show");
    assertThat(deploys.get("queued").get("events").asInt()).isZero();
    assertThat(deploys.get("failed").get("batches").asInt()).isEqualTo(1);
    assertThat(deploys.get("failed").get("oldest").asText()).isNotEmpty();
    assertThat(deploys.get("failed").get("oldestAgeSeconds").asLong()).isGreaterThanOrEqualTo(0);
    assertThat(deploys.get("replay").asText()).isEqualTo("/admin/events/deploys/replay");
    assertThat(refusedIds).hasSize(1);

    answer.set(204);
    try (AuditCapture audit = new AuditCapture()) {
      HttpResponse<String> replayed = replay("deploys", admin);
      assertThat(replayed.statusCode()).as(replayed.body()).isEqualTo(200);
      JsonNode body = f.json(replayed.body());
      assertThat(body.get("endpoint").asText()).isEqualTo("deploys");
      assertThat(body.get("batches").asInt()).isEqualTo(1);
      assertThat(body.get("events").asInt()).isEqualTo(1);
      // The line is written as the answer leaves: it may follow the answer by a moment.
      List<String> lines = new java.util.ArrayList<>();
      long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (lines.stream().noneMatch(l -> l.contains("events-replay"))
          && System.nanoTime() < until) {
        lines.addAll(audit.drain());
        Thread.sleep(20);
      }
      assertThat(lines)
          .anySatisfy(
              line ->
                  assertThat(line)
                      .contains("action=events-replay outcome=200 who=admin kind=user")
                      .contains("endpoint=deploys batches=1 events=1"));
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (accepted.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    Thread.sleep(300); // and only once
    assertThat(accepted).hasSize(1);
    JsonNode event = JSON.readTree(accepted.get(0));
    assertThat(event.get("id").asText()).isEqualTo(refusedIds.get(0));
    assertThat(event.get("type").asText()).isEqualTo("dev.lading.blob.pushed");
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(SECRET, "HmacSHA256"));
    assertThat(signatures.get(0))
        .isEqualTo("sha256=" + HexFormat.of().formatHex(mac.doFinal(accepted.get(0))));
    JsonNode after = state(admin);
    assertThat(after.get("failed").get("events").asInt()).isZero();
    assertThat(after.get("failed").get("oldest").isNull()).isTrue();
    // Nothing is left to replay.
    assertThat(f.json(replay("deploys", admin).body()).get("events").asInt()).isZero();
  }

  @Test
  void badPathsAndMethodsGetTheirErrorsAndOnlyTheGcScopeMayReadOrReplay() throws Exception {
    String admin = f.token("admin", "registry:gc:delete");
    HttpResponse<String> unknown = replay("nope", admin);
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(f.json(unknown.body()).path("errors").get(0).path("code").asText())
        .isEqualTo("NOT_FOUND");
    assertThat(f.send(f.request("/admin/events/deploys/replay", admin).GET().build()).statusCode())
        .isEqualTo(405);
    assertThat(
            f.send(
                    f.request("/admin/events", admin)
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build())
                .statusCode())
        .isEqualTo(405);
    assertThat(f.send(f.request("/admin/events/deploys", admin).GET().build()).statusCode())
        .isEqualTo(404);

    String reader = f.token("reader", "registry:gc:delete");
    assertThat(replay("deploys", reader).statusCode()).isEqualTo(403);
    assertThat(f.send(f.request("/admin/events", reader).GET().build()).statusCode())
        .isEqualTo(403);
    assertThat(replay("deploys", null).statusCode()).isEqualTo(401);
  }

  private JsonNode awaitFailed(String token, int events) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      JsonNode s = state(token);
      // The given-up events are kept first, then their batch leaves the queue: wait for both.
      if (s.get("failed").get("events").asInt() >= events
          && s.get("queued").get("events").asInt() == 0) {
        return s;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no given-up event kept: " + s);
      }
      Thread.sleep(50);
    }
  }
}
