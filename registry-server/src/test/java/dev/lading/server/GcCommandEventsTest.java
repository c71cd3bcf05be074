package dev.lading.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.lading.core.layout.StorageLayout;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.registry.RegistryOptions;
import dev.lading.core.registry.StoreRegistry;
import dev.lading.core.storage.AllKeys;
import dev.lading.core.storage.fs.FilesystemStore;
import dev.lading.events.EventEndpoint;
import dev.lading.events.EventOptions;
import dev.lading.events.Events;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The offline {@code gc} command with event endpoints configured: a real run queues the events an
 * online run publishes in the store and delivers none itself; a deliverer started afterwards on the
 * same store POSTs them, signed, to a real HTTP receiver. A dry run queues nothing.
 */
class GcCommandEventsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SECRET = "gc-hook-secret";

  @TempDir Path dir;
  Path root;
  HttpServer hook;
  final List<byte[]> bodies = new CopyOnWriteArrayList<>();
  final List<String> signatures = new CopyOnWriteArrayList<>();
  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();
  Map<String, String> env;

  @BeforeEach
  void setUp() throws Exception {
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
    root = dir.resolve("data");
    pushThreeCiTags(new StoreRegistry(new FilesystemStore(root), RegistryOptions.defaults()));
    env =
        Map.of(
            "LADING_STORAGE_FILESYSTEM_ROOT",
            root.toString(),
            "LADING_GC_GRACE_MINUTES",
            "0",
            "LADING_POLICIES_RETENTION",
            "[{\"repositories\":[\"team/*\"],\"tags\":[\"ci-*\"],\"keep_last\":1,"
                + "\"untagged_for_hours\":0}]",
            "LADING_EVENTS_ENDPOINTS",
            "[{\"name\":\"ops\",\"url\":\"" + hookUrl() + "\",\"secret\":\"" + SECRET + "\"}]");
  }

  @AfterEach
  void tearDown() {
    hook.stop(0);
  }

  private URI hookUrl() {
    return URI.create("http://127.0.0.1:" + hook.getAddress().getPort() + "/events");
  }

  private int run(String... args) {
    return Main.run(args, env, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  @Test
  void aRealRunQueuesItsEventsInTheStoreAndARegistrysDelivererSendsThemSigned() throws Exception {
    assertThat(run("gc", "--no-registry-running")).as(err.toString()).isZero();
    assertThat(out.toString())
        .contains("gc: 5 event copies queued in the store for the registries to deliver");
    // The command delivered nothing itself: the events wait in the store's queue.
    Thread.sleep(200);
    assertThat(bodies).isEmpty();
    FilesystemStore store = new FilesystemStore(root);
    assertThat(queued(store)).isEqualTo(5);

    // A registry instance's deliverer (here the events module alone) on the same store sends them.
    EventOptions options =
        EventOptions.of(
                List.of(
                    new EventEndpoint(
                        "ops",
                        hookUrl(),
                        Optional.of(
                            new EventEndpoint.Secret(SECRET.getBytes(StandardCharsets.UTF_8))),
                        List.of(),
                        List.of())))
            .withTiming(Duration.ofMillis(800), Duration.ofMillis(50));
    try (Events deliverer = Events.start(store, options, Clock.systemUTC())) {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (bodies.size() < 5 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      Thread.sleep(300); // nothing more comes
    }
    List<JsonNode> events = bodies.stream().map(GcCommandEventsTest::json).toList();
    assertThat(events.stream().map(e -> e.get("type").asText()))
        .containsExactlyInAnyOrder(
            "dev.lading.tag.deleted",
            "dev.lading.tag.deleted",
            "dev.lading.manifest.deleted",
            "dev.lading.manifest.deleted",
            "dev.lading.gc.finished");
    assertThat(events.get(4).get("type").asText()).isEqualTo("dev.lading.gc.finished");
    assertThat(events.stream().map(e -> e.get("data").get("actor").get("kind").asText()))
        .containsOnly("system");
    assertThat(
            events.stream()
                .filter(e -> e.get("type").asText().equals("dev.lading.tag.deleted"))
                .map(e -> e.get("data").get("tag").asText()))
        .containsExactlyInAnyOrder("ci-01", "ci-02");
    JsonNode done = events.get(4).get("data");
    assertThat(done.get("dryRun").asBoolean()).isFalse();
    assertThat(done.get("tagsUntagged").asInt()).isEqualTo(2);
    assertThat(done.get("manifestsExpired").asInt()).isEqualTo(2);
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    for (int i = 0; i < bodies.size(); i++) {
      assertThat(signatures.get(i))
          .isEqualTo("sha256=" + HexFormat.of().formatHex(mac.doFinal(bodies.get(i))));
    }
    assertThat(queued(store)).isZero();
  }

  @Test
  void aDryRunQueuesNoEvent() throws Exception {
    assertThat(run("gc", "--dry-run", "--no-registry-running")).as(err.toString()).isZero();
    assertThat(out.toString()).contains("RETENTION untag team/app:ci-01").doesNotContain("queued");
    assertThat(queued(new FilesystemStore(root))).isZero();
  }

  private static long queued(FilesystemStore store) throws Exception {
    return AllKeys.under(store, StorageLayout.eventQueuePrefix("ops")).stream()
        .map(k -> StorageLayout.parse(k, StorageLayout.EventBatchKey.class).orElseThrow())
        .mapToLong(StorageLayout.EventBatchKey::count)
        .sum();
  }

  private static void pushThreeCiTags(StoreRegistry registry) throws Exception {
    RepositoryName app = RepositoryName.parse("team/app");
    CiTags.pushThree(registry, app);
  }

  private static JsonNode json(byte[] body) {
    try {
      return JSON.readTree(body);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
