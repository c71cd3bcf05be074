package dev.lading.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.lading.core.policy.RepositoryGlob;
import dev.lading.events.EventEndpoint;
import dev.lading.events.EventOptions;
import dev.lading.gc.RetentionPolicy;
import dev.lading.server.config.LadingConfig;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Events of a running registry under token auth, received by a real HTTP endpoint on a loopback
 * socket: each push, mount, tag move and delete gives its CloudEvent with the principal who did it,
 * signed with the endpoint's secret; pulls only when sampled; refused requests give none.
 */
class RegistryEventsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] SECRET = "hook-secret".getBytes(StandardCharsets.UTF_8);

  @TempDir Path root;
  HttpServer hook;
  final List<byte[]> bodies = new CopyOnWriteArrayList<>();
  final List<String> signatures = new CopyOnWriteArrayList<>();
  AuthFixture registry;

  private EventOptions options;

  @BeforeEach
  void start() throws Exception {
    hook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    hook.createContext(
        "/events",
        exchange -> {
          bodies.add(exchange.getRequestBody().readAllBytes());
          signatures.add(exchange.getRequestHeaders().getFirst("Lading-Signature"));
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    hook.start();
    EventEndpoint endpoint =
        new EventEndpoint(
            "deploys",
            URI.create("http://127.0.0.1:" + hook.getAddress().getPort() + "/events"),
            Optional.of(new EventEndpoint.Secret(SECRET)),
            List.of(RepositoryGlob.parse("ml/**")),
            List.of());
    options =
        new EventOptions(
                List.of(endpoint),
                1.0,
                EventOptions.DEFAULT_QUEUE_SIZE,
                EventOptions.DEFAULT_MAX_STORED,
                EventOptions.DEFAULT_MAX_FAILED,
                EventOptions.DEFAULT_RETRY_FOR,
                EventOptions.DEFAULT_REQUEST_TIMEOUT,
                EventOptions.DEFAULT_LEASE_LENGTH,
                EventOptions.DEFAULT_POLL_INTERVAL)
            .withTiming(Duration.ofMillis(800), Duration.ofMillis(50));
    registry = new AuthFixture(root, auth -> auth, Clock.systemUTC(), c -> c.withEvents(options));
  }

  @AfterEach
  void stop() {
    registry.close();
    hook.stop(0);
  }

  @Test
  void eachChangeGivesOneSignedEventNamingWhoDidIt() throws Exception {
    String robot = registry.token("ml-builder", "repository:ml/app:pull,push");
    String admin = registry.token("admin", "repository:ml/app:pull,push,delete");
    byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
    byte[] layer = "layer".getBytes(StandardCharsets.UTF_8);
    byte[] layer2 = "layer two".getBytes(StandardCharsets.UTF_8);
    assertThat(registry.pushBlob("ml/app", config, robot)).isEqualTo(201);
    assertThat(registry.pushBlob("ml/app", layer, robot)).isEqualTo(201);
    assertThat(registry.pushBlob("ml/app", layer2, robot)).isEqualTo(201);
    String first =
        AuthFixture.manifest(AuthFixture.sha256(config), 2, AuthFixture.sha256(layer), 5);
    String second =
        AuthFixture.manifest(AuthFixture.sha256(config), 2, AuthFixture.sha256(layer2), 9);
    assertThat(registry.putManifest("ml/app", "v1", first, robot)).isEqualTo(201);
    assertThat(registry.putManifest("ml/app", "v1", second, robot)).isEqualTo(201);
    // A pull (sampled at rate 1 here), a refused push (the reader may not push), a tag delete.
    assertThat(
            registry
                .send(
                    registry
                        .request("/v2/ml/app/manifests/v1", robot)
                        .header("Accept", "application/vnd.oci.image.manifest.v1+json")
                        .GET()
                        .build())
                .statusCode())
        .isEqualTo(200);
    String reader = registry.token("reader", "repository:ml/app:pull,push");
    assertThat(registry.pushBlob("ml/app", "nope".getBytes(StandardCharsets.UTF_8), reader))
        .isEqualTo(403);
    assertThat(
            registry
                .send(registry.request("/v2/ml/app/manifests/v1", admin).DELETE().build())
                .statusCode())
        .isEqualTo(202);
    // Another repository than the endpoint's filter: no event.
    String other = registry.token("admin", "repository:web/app:pull,push");
    assertThat(registry.pushBlob("web/app", config, other)).isEqualTo(201);

    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (bodies.size() < 8 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    Thread.sleep(300); // nothing more comes
    List<JsonNode> events = bodies.stream().map(RegistryEventsTest::json).toList();
    assertThat(events.stream().map(e -> e.get("type").asText()))
        .containsExactly(
            "dev.lading.blob.pushed",
            "dev.lading.blob.pushed",
            "dev.lading.blob.pushed",
            "dev.lading.manifest.pushed",
            "dev.lading.manifest.pushed",
            "dev.lading.tag.moved",
            "dev.lading.manifest.pulled",
            "dev.lading.tag.deleted");
    assertThat(events.stream().map(e -> e.get("data").get("actor").get("name").asText()))
        .containsExactly(
            "ml-builder",
            "ml-builder",
            "ml-builder",
            "ml-builder",
            "ml-builder",
            "ml-builder",
            "ml-builder",
            "admin");
    JsonNode moved = events.get(5).get("data");
    assertThat(moved.get("tag").asText()).isEqualTo("v1");
    assertThat(moved.get("digest").asText())
        .isEqualTo(AuthFixture.sha256(second.getBytes(StandardCharsets.UTF_8)));
    assertThat(moved.get("previous").asText())
        .isEqualTo(AuthFixture.sha256(first.getBytes(StandardCharsets.UTF_8)));
    assertThat(events.get(0).get("data").get("actor").get("kind").asText()).isEqualTo("robot");
    assertThat(events.get(0).get("subject").asText()).isEqualTo("ml/app");
    assertThat(events.get(0).get("data").get("digest").asText())
        .isEqualTo(AuthFixture.sha256(config));
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(SECRET, "HmacSHA256"));
    for (int i = 0; i < bodies.size(); i++) {
      assertThat(signatures.get(i))
          .isEqualTo("sha256=" + HexFormat.of().formatHex(mac.doFinal(bodies.get(i))));
    }
    assertThat(events.stream().map(e -> e.get("id").asText()).distinct()).hasSize(8);
  }

  @Test
  void aGcRunTellsWhatItsRetentionRemovedAndItsCounts() throws Exception {
    registry.close();
    RetentionPolicy keepLastCi =
        new RetentionPolicy(
            "policies.retention[0]",
            r -> r.value().startsWith("ml/"),
            List.of("ci-*"),
            OptionalInt.of(1),
            Optional.empty(),
            Optional.empty(),
            Optional.of(Duration.ZERO));
    // No repository filter: a GC run's own event has no repository.
    EventEndpoint everything =
        new EventEndpoint(
            "everything",
            options.endpoints().get(0).url(),
            Optional.of(new EventEndpoint.Secret(SECRET)),
            List.of(),
            List.of());
    EventOptions unfiltered =
        EventOptions.of(List.of(everything))
            .withTiming(Duration.ofMillis(800), Duration.ofMillis(50));
    registry =
        new AuthFixture(
            root.resolve("gc"),
            auth -> auth,
            Clock.systemUTC(),
            c ->
                c.withEvents(unfiltered)
                    .withPolicies(new LadingConfig.Policies(List.of(keepLastCi)))
                    .withGc(
                        new LadingConfig.Gc(
                            Duration.ZERO,
                            Duration.ZERO,
                            Duration.ofHours(24),
                            false,
                            false,
                            Duration.ZERO)));
    String robot = registry.token("ml-builder", "repository:ml/app:pull,push");
    byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
    byte[] one = "one".getBytes(StandardCharsets.UTF_8);
    byte[] two = "two".getBytes(StandardCharsets.UTF_8);
    for (byte[] b : List.of(config, one, two)) {
      assertThat(registry.pushBlob("ml/app", b, robot)).isEqualTo(201);
    }
    String first = AuthFixture.manifest(AuthFixture.sha256(config), 2, AuthFixture.sha256(one), 3);
    String second = AuthFixture.manifest(AuthFixture.sha256(config), 2, AuthFixture.sha256(two), 3);
    assertThat(registry.putManifest("ml/app", "ci-1", first, robot)).isEqualTo(201);
    Thread.sleep(20); // ci-2 is the newer push, by the store's clock
    assertThat(registry.putManifest("ml/app", "ci-2", second, robot)).isEqualTo(201);
    awaitEvents(5); // three blobs, two manifests
    bodies.clear();

    assertThat(registry.server.gc().orElseThrow().trigger(false)).isTrue();

    List<JsonNode> events = awaitEvents(3);
    assertThat(events.stream().map(e -> e.get("type").asText()))
        .containsExactly(
            "dev.lading.tag.deleted", "dev.lading.manifest.deleted", "dev.lading.gc.finished");
    JsonNode untag = events.get(0);
    assertThat(untag.get("subject").asText()).isEqualTo("ml/app");
    assertThat(untag.get("data").get("tag").asText()).isEqualTo("ci-1");
    assertThat(untag.get("data").get("policy").asText()).isEqualTo("policies.retention[0]");
    assertThat(untag.get("data").get("actor").get("kind").asText()).isEqualTo("system");
    assertThat(events.get(1).get("data").get("digest").asText())
        .isEqualTo(AuthFixture.sha256(first.getBytes(StandardCharsets.UTF_8)));
    JsonNode done = events.get(2).get("data");
    assertThat(done.get("tagsUntagged").asInt()).isEqualTo(1);
    assertThat(done.get("manifestsExpired").asInt()).isEqualTo(1);
    assertThat(done.get("blobsSwept").asInt()).isGreaterThanOrEqualTo(2); // manifest and layer
    assertThat(done.get("dryRun").asBoolean()).isFalse();
  }

  private List<JsonNode> awaitEvents(int n) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (bodies.size() < n && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    Thread.sleep(300); // nothing more comes
    assertThat(bodies).hasSize(n);
    return bodies.stream().map(RegistryEventsTest::json).toList();
  }

  private static JsonNode json(byte[] body) {
    try {
      return JSON.readTree(body);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }
}
