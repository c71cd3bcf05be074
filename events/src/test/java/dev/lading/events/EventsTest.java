package dev.lading.events;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.EventBatchKey;
import dev.lading.core.layout.StorageLayout.EventFailedKey;
import dev.lading.core.layout.StoredValues.EventBatch;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.policy.RepositoryGlob;
import dev.lading.core.storage.ForwardingObjectStore;
import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.fs.FilesystemStore;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Events from publish to a real HTTP endpoint on a loopback socket, through a real filesystem
 * store: what is sent, the signature, retries, restarts, several instances, and the bounds.
 */
class EventsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] SECRET = "s3cret-for-tests".getBytes(StandardCharsets.UTF_8);

  @TempDir Path root;

  private static EventOptions fast(EventOptions o) {
    return o.withTiming(Duration.ofMillis(800), Duration.ofMillis(50));
  }

  private static EventEndpoint endpoint(URI url, List<String> repos, List<String> types) {
    return new EventEndpoint(
        "hook",
        url,
        Optional.of(new EventEndpoint.Secret(SECRET)),
        repos.stream().map(RepositoryGlob::parse).toList(),
        types);
  }

  private static RegistryEvent pushed(String repo, String tag) {
    return RegistryEvent.of(
        EventType.MANIFEST_PUSHED,
        Instant.now(),
        Optional.of(RepositoryName.parse(repo)),
        new Actor("ci-robot", "robot"),
        Optional.of("req-1"),
        Map.of("digest", "sha256:" + "a".repeat(64), "tag", tag));
  }

  @Test
  void aPublishedEventArrivesAsASignedCloudEvent() throws Exception {
    try (WebhookReceiver hook = new WebhookReceiver();
        Events events =
            Events.start(
                new FilesystemStore(root),
                fast(EventOptions.of(List.of(endpoint(hook.url(), List.of(), List.of())))),
                Clock.systemUTC())) {
      RegistryEvent event = pushed("ml/app", "v1");
      events.publish(event);
      await(() -> hook.received.size() == 1);

      WebhookReceiver.Received got = hook.received.get(0);
      assertThat(got.header("Content-Type")).startsWith("application/cloudevents+json");
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(SECRET, "HmacSHA256"));
      assertThat(got.header("Lading-Signature"))
          .isEqualTo("sha256=" + HexFormat.of().formatHex(mac.doFinal(got.body())));
      JsonNode ce = JSON.readTree(got.body());
      assertThat(ce.get("specversion").asText()).isEqualTo("1.0");
      assertThat(ce.get("id").asText()).isEqualTo(event.id());
      assertThat(ce.get("type").asText()).isEqualTo("dev.lading.manifest.pushed");
      assertThat(ce.get("source").asText()).isEqualTo("/lading");
      assertThat(ce.get("subject").asText()).isEqualTo("ml/app");
      assertThat(Instant.parse(ce.get("time").asText())).isEqualTo(event.time());
      JsonNode data = ce.get("data");
      assertThat(data.get("repository").asText()).isEqualTo("ml/app");
      assertThat(data.get("tag").asText()).isEqualTo("v1");
      assertThat(data.get("actor").get("name").asText()).isEqualTo("ci-robot");
      assertThat(data.get("actor").get("kind").asText()).isEqualTo("robot");
      // Delivered batches are deleted: nothing waits in the store.
      await(() -> queued(new FilesystemStore(root)) == 0);
      assertThat(events.stats().delivered("hook")).isEqualTo(1);
    }
  }

  @Test
  void filtersByRepositoryGlobAndType() throws Exception {
    try (WebhookReceiver hook = new WebhookReceiver();
        Events events =
            Events.start(
                new FilesystemStore(root),
                fast(
                    EventOptions.of(
                        List.of(endpoint(hook.url(), List.of("ml/**"), List.of("manifest.*"))))),
                Clock.systemUTC())) {
      events.publish(pushed("web/app", "v1")); // other repository
      events.publish(
          RegistryEvent.of(
              EventType.BLOB_PUSHED,
              Instant.now(),
              Optional.of(RepositoryName.parse("ml/app")),
              new Actor("a", "user"),
              Optional.empty(),
              Map.of())); // other type
      RegistryEvent wanted = pushed("ml/team/model", "v2");
      events.publish(wanted);
      await(() -> hook.received.size() == 1);
      Thread.sleep(300);
      assertThat(ids(hook)).containsExactly(wanted.id());
    }
  }

  @Test
  void aFailingEndpointGetsTheEventAgainAfterBackOffAndOnlyOnceWhenItAnswers() throws Exception {
    try (WebhookReceiver hook = new WebhookReceiver().failingFirst(2, 503);
        Events events =
            Events.start(
                new FilesystemStore(root),
                fast(EventOptions.of(List.of(endpoint(hook.url(), List.of(), List.of())))),
                Clock.systemUTC())) {
      RegistryEvent first = pushed("ml/app", "v1");
      RegistryEvent second = pushed("ml/app", "v2");
      events.publish(first);
      events.publish(second);
      await(() -> hook.received.size() == 2);
      assertThat(ids(hook)).containsExactly(first.id(), second.id()); // in order, no duplicate
      assertThat(events.stats().failedAttempts("hook")).isEqualTo(2);
    }
  }

  @Test
  void aBatchingEndpointGetsTheEventsInOrderAsCloudEventBatches() throws Exception {
    try (WebhookReceiver hook = new WebhookReceiver().failingFirst(1, 503)) {
      EventEndpoint batching =
          new EventEndpoint(
              "hook",
              hook.url(),
              Optional.of(new EventEndpoint.Secret(SECRET)),
              List.of(),
              List.of(),
              4);
      List<String> published = new ArrayList<>();
      try (Events events =
          Events.start(
              new FilesystemStore(root),
              fast(EventOptions.of(List.of(batching))),
              Clock.systemUTC())) {
        for (int i = 0; i < 10; i++) {
          RegistryEvent e = pushed("ml/app", "t" + i);
          published.add(e.id());
          events.publish(e);
        }
        await(() -> events.stats().delivered("hook") == 10);
      }
      List<String> got = new ArrayList<>();
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(SECRET, "HmacSHA256"));
      for (WebhookReceiver.Received r : hook.received) {
        assertThat(r.header("Content-Type")).startsWith("application/cloudevents-batch+json");
        assertThat(r.header("Lading-Signature"))
            .isEqualTo("sha256=" + HexFormat.of().formatHex(mac.doFinal(r.body())));
        JsonNode batch = JSON.readTree(r.body());
        assertThat(batch.isArray()).isTrue();
        assertThat(batch.size()).isBetween(1, 4);
        batch.forEach(e -> got.add(e.get("id").asText()));
      }
      assertThat(got).containsExactlyElementsOf(published);
    }
  }

  @Test
  void aRefusingEndpointGivesTheEventUpAtOnce() throws Exception {
    try (WebhookReceiver hook = new WebhookReceiver().failingFirst(1, 400);
        Events events =
            Events.start(
                new FilesystemStore(root),
                fast(EventOptions.of(List.of(endpoint(hook.url(), List.of(), List.of())))),
                Clock.systemUTC())) {
      RegistryEvent refused = pushed("ml/app", "v1");
      RegistryEvent next = pushed("ml/app", "v2");
      events.publish(refused);
      events.publish(next);
      await(() -> hook.received.size() == 1);
      assertThat(ids(hook)).containsExactly(next.id());
      assertThat(events.stats().dropped(EventStats.Drop.GIVEN_UP)).isEqualTo(1);
    }
  }

  @Test
  void eventsWaitInTheStoreWhileTheEndpointIsDownAndSurviveARestart() throws Exception {
    int port;
    List<RegistryEvent> published = new ArrayList<>();
    try (WebhookReceiver probe = new WebhookReceiver()) {
      port = probe.port();
    }
    EventOptions options =
        fast(
            EventOptions.of(
                List.of(
                    endpoint(
                        URI.create("http://127.0.0.1:" + port + "/hook"), List.of(), List.of()))));
    // The endpoint is down: nothing listens on its port.
    try (Events events = Events.start(new FilesystemStore(root), options, Clock.systemUTC())) {
      for (int i = 0; i < 5; i++) {
        RegistryEvent e = pushed("ml/app", "v" + i);
        published.add(e);
        events.publish(e);
      }
      await(() -> queued(new FilesystemStore(root)) == 5);
    }
    assertThat(queued(new FilesystemStore(root))).isEqualTo(5);
    // A new instance (the restart) delivers them once the endpoint is up.
    try (WebhookReceiver hook = new WebhookReceiver(port);
        Events events = Events.start(new FilesystemStore(root), options, Clock.systemUTC())) {
      await(() -> hook.received.size() == 5);
      assertThat(ids(hook)).containsExactlyElementsOf(published.stream().map(e -> e.id()).toList());
    }
  }

  @Test
  void severalInstancesOnOneStoreDeliverEachEventOnce() throws Exception {
    try (WebhookReceiver hook = new WebhookReceiver()) {
      EventOptions options =
          fast(EventOptions.of(List.of(endpoint(hook.url(), List.of(), List.of()))));
      List<Events> instances = new ArrayList<>();
      Set<String> published;
      try {
        for (int i = 0; i < 3; i++) {
          instances.add(Events.start(new FilesystemStore(root), options, Clock.systemUTC()));
        }
        List<String> ids = new ArrayList<>();
        for (int round = 0; round < 40; round++) {
          for (Events events : instances) {
            RegistryEvent e = pushed("ml/app", "r" + round);
            ids.add(e.id());
            events.publish(e);
          }
          Thread.sleep(5);
        }
        published = Set.copyOf(ids);
        await(() -> hook.received.size() >= published.size());
        Thread.sleep(500);
      } finally {
        instances.forEach(Events::close);
      }
      List<String> got = ids(hook);
      assertThat(got).hasSize(published.size());
      assertThat(Set.copyOf(got)).isEqualTo(published);
    }
  }

  @Test
  void publishNeverBlocksAndAFullQueueDropsWhatDoesNotFit() throws Exception {
    CountDownLatch storeStuck = new CountDownLatch(1);
    ObjectStore stuck =
        new ForwardingObjectStore(new FilesystemStore(root)) {
          @Override
          public void write(String key, byte[] content) throws IOException {
            if (key.startsWith("events/queue/")) {
              try {
                storeStuck.await();
              } catch (InterruptedException e) {
                throw new IOException(e);
              }
            }
            super.write(key, content);
          }
        };
    try (WebhookReceiver hook = new WebhookReceiver();
        Events events =
            Events.start(
                stuck,
                fast(EventOptions.of(List.of(endpoint(hook.url(), List.of(), List.of()))))
                    .withLimits(10, 1000, Duration.ofHours(1)),
                Clock.systemUTC())) {
      long accepted;
      try {
        for (int i = 0; i < 50; i++) {
          events.publish(pushed("ml/app", "t" + i)); // returns although the store is stuck
        }
        accepted = events.stats().published();
        long dropped = events.stats().dropped(EventStats.Drop.QUEUE_FULL);
        assertThat(accepted + dropped).isEqualTo(50);
        // At most the queue's 10, plus what the writer took out before it got stuck on its first
        // write: the one it waited for and what had queued up behind it (at most another 10).
        assertThat(accepted).isBetween(10L, 21L);
      } finally {
        storeStuck.countDown();
      }
      await(() -> hook.received.size() == accepted);
    }
  }

  @Test
  void aStoreOnlyInstanceQueuesEveryEventBeforeCloseReturnsAndDeliversNone() throws Exception {
    try (WebhookReceiver hook = new WebhookReceiver()) {
      EventOptions options =
          fast(EventOptions.of(List.of(endpoint(hook.url(), List.of(), List.of()))))
              .withLimits(10, 1000, Duration.ofHours(1));
      List<String> published = new ArrayList<>();
      Events events = Events.storeOnly(new FilesystemStore(root), options, Clock.systemUTC());
      for (int i = 0; i < 50; i++) { // five times the queue: publish waits for room, drops none
        RegistryEvent e = pushed("ml/app", "t" + i);
        published.add(e.id());
        events.publish(e);
      }
      events.close();
      assertThat(events.stats().dropped(EventStats.Drop.QUEUE_FULL)).isZero();
      assertThat(queued(new FilesystemStore(root))).isEqualTo(50);
      Thread.sleep(200);
      assertThat(hook.received).isEmpty();
      assertThat(
              new FilesystemStore(root)
                  .list(StorageLayout.eventDeliverersPrefix(), Optional.empty(), 10)
                  .keys())
          .isEmpty();
      // A delivering instance on the same store sends them, in order.
      try (Events deliverer = Events.start(new FilesystemStore(root), options, Clock.systemUTC())) {
        await(() -> hook.received.size() == 50);
      }
      assertThat(ids(hook)).containsExactlyElementsOf(published);
    }
  }

  @Test
  void theStoreKeepsAtMostMaxStoredEventsPerEndpointDroppingTheOldest() throws Exception {
    int port;
    try (WebhookReceiver probe = new WebhookReceiver()) {
      port = probe.port();
    }
    EventOptions options =
        fast(EventOptions.of(
                List.of(
                    endpoint(
                        URI.create("http://127.0.0.1:" + port + "/hook"), List.of(), List.of()))))
            .withLimits(100, 10, Duration.ofHours(1));
    List<RegistryEvent> published = new ArrayList<>();
    try (Events events = Events.start(new FilesystemStore(root), options, Clock.systemUTC())) {
      for (int i = 0; i < 30; i++) {
        RegistryEvent e = pushed("ml/app", "t" + i);
        published.add(e);
        events.publish(e);
        Thread.sleep(20); // one batch each
      }
      await(() -> events.stats().stored() == 30);
      await(() -> queued(new FilesystemStore(root)) <= 10);
      assertThat(events.stats().dropped(EventStats.Drop.STORE_FULL)).isGreaterThanOrEqualTo(20);
    }
    try (WebhookReceiver hook = new WebhookReceiver(port);
        Events events = Events.start(new FilesystemStore(root), options, Clock.systemUTC())) {
      await(() -> hook.received.size() == 10);
      Thread.sleep(300);
      // The newest ten are kept, in order.
      assertThat(ids(hook))
          .containsExactlyElementsOf(
              published.subList(20, 30).stream().map(RegistryEvent::id).toList());
    }
  }

  /**
   * A deliverer keeps a batch's given-up events, then deletes the batch. A replay in between would
   * write the queue object the deliverer is about to delete: it leaves the kept copy for later.
   */
  @Test
  void aReplayWaitsUntilTheBatchTheEventsCameFromHasLeftTheQueue() throws Exception {
    EventOptions options =
        fast(
            EventOptions.of(
                List.of(endpoint(URI.create("http://127.0.0.1:9/"), List.of(), List.of()))));
    FilesystemStore store = new FilesystemStore(root);
    String endpoint = options.endpoints().get(0).name();
    EventBatchKey source = EventBatchKey.of(endpoint, 1_000L, UUID.randomUUID().toString(), 1, 2);
    EventFailedKey kept = EventFailedKey.of(source, 2);
    byte[] batch = new EventBatch(List.of("{\"id\":\"a\"}", "{\"id\":\"b\"}")).write();
    store.write(StorageLayout.keyOf(source), batch);
    store.write(StorageLayout.keyOf(kept), batch);
    EventQueues queues = new EventQueues(store, options, Clock.systemUTC());

    assertThat(queues.replay(endpoint).events()).isZero();
    assertThat(store.read(StorageLayout.keyOf(kept))).isPresent();

    store.delete(List.of(StorageLayout.keyOf(source))); // the deliverer finishes the batch
    assertThat(queues.replay(endpoint).events()).isEqualTo(2);
    assertThat(store.read(StorageLayout.keyOf(kept))).isEmpty();
    assertThat(store.read(StorageLayout.keyOf(EventBatchKey.replaying(kept)))).isPresent();
  }

  @Test
  void aRefusedEventIsKeptAndAReplayDeliversItOnceWithItsId() throws Exception {
    try (WebhookReceiver hook = new WebhookReceiver().failingFirst(1, 400)) {
      EventOptions options =
          fast(EventOptions.of(List.of(endpoint(hook.url(), List.of(), List.of()))));
      EventQueues queues = new EventQueues(new FilesystemStore(root), options, Clock.systemUTC());
      try (Events events = Events.start(new FilesystemStore(root), options, Clock.systemUTC())) {
        RegistryEvent refused = pushed("ml/app", "v1");
        RegistryEvent next = pushed("ml/app", "v2");
        events.publish(refused);
        events.publish(next);
        await(() -> hook.received.size() == 1);
        // The given-up event is kept first, then its batch leaves the queue: wait for both.
        await(
            () -> {
              EventQueues.EndpointState now = queues.inspect().get(0);
              return now.failed().events() == 1 && now.queued().events() == 0;
            });
        EventQueues.EndpointState state = queues.inspect().get(0);
        assertThat(state.queued().events()).isZero();
        assertThat(state.failed().batches()).isEqualTo(1);
        assertThat(state.failed().oldest()).isPresent();

        EventQueues.Replay replay = queues.replay("hook");
        assertThat(replay.events()).isEqualTo(1);
        await(() -> hook.received.size() == 2);
        // A second replay finds nothing: the event is delivered once more, not twice.
        assertThat(queues.replay("hook").events()).isZero();
        Thread.sleep(300);
        assertThat(ids(hook)).containsExactly(next.id(), refused.id());
        await(() -> queued(new FilesystemStore(root)) == 0);
        assertThat(queues.inspect().get(0).failed().events()).isZero();
      }
    }
  }

  @Test
  void aReplayedEventIsRetriedForRetryForFromItsReplayNotFromWhenItHappened() throws Exception {
    ShiftedClock clock = new ShiftedClock();
    RegistryEvent event = pushed("ml/app", "v1");
    try (WebhookReceiver hook = new WebhookReceiver().failingFirst(1_000_000, 503)) {
      EventOptions options =
          fast(EventOptions.of(List.of(endpoint(hook.url(), List.of(), List.of()))))
              .withLimits(100, 1000, Duration.ofHours(1));
      EventQueues queues = new EventQueues(new FilesystemStore(root), options, clock);
      try (Events events = Events.start(new FilesystemStore(root), options, clock)) {
        events.publish(event);
        await(() -> hook.attempts.get() >= 1);
        // Two hours later by the deliverer's clock: the next failure gives the event up.
        clock.shift(Duration.ofHours(2));
        // Given up and its batch gone: the deliverer keeps the event before it deletes the batch,
        // and a replay leaves a kept copy whose batch is still queued for the next replay.
        await(
            () -> {
              EventQueues.EndpointState state = queues.inspect().get(0);
              return state.failed().events() == 1 && state.queued().batches() == 0;
            });
        assertThat(events.stats().dropped(EventStats.Drop.GIVEN_UP)).isEqualTo(1);
        // The endpoint fails once more after the replay, then takes it: that failure is within
        // retry_for of the replay (though not of the event's time), so it is retried.
        hook.failingFirst(hook.attempts.get() + 1, 503);
        assertThat(queues.replay("hook").events()).isEqualTo(1);
        await(() -> hook.received.size() == 1);
        assertThat(events.stats().dropped(EventStats.Drop.GIVEN_UP)).isEqualTo(1);
      }
      assertThat(ids(hook)).containsExactly(event.id());
    }
  }

  /** The system clock moved on by what a test shifts it. */
  private static final class ShiftedClock extends Clock {
    private volatile Duration shift = Duration.ZERO;

    void shift(Duration by) {
      shift = shift.plus(by);
    }

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.now().plus(shift);
    }
  }

  @Test
  void theStoreKeepsAtMostMaxFailedGivenUpEventsPerEndpointDroppingTheOldest() throws Exception {
    try (WebhookReceiver hook = new WebhookReceiver().answering(400)) {
      EventOptions options =
          fast(EventOptions.of(List.of(endpoint(hook.url(), List.of(), List.of()))))
              .withMaxFailed(3);
      EventQueues queues = new EventQueues(new FilesystemStore(root), options, Clock.systemUTC());
      List<String> published = new ArrayList<>();
      try (Events events = Events.start(new FilesystemStore(root), options, Clock.systemUTC())) {
        for (int i = 0; i < 8; i++) {
          RegistryEvent e = pushed("ml/app", "t" + i);
          published.add(e.id());
          events.publish(e);
          Thread.sleep(20); // one batch each
        }
        await(() -> events.stats().dropped(EventStats.Drop.GIVEN_UP) == 8);
        await(() -> queued(new FilesystemStore(root)) == 0);
        assertThat(queues.inspect().get(0).failed().events()).isEqualTo(3);
        hook.answering(200);
        assertThat(queues.replay("hook").events()).isEqualTo(3);
        await(() -> hook.received.size() == 3);
      }
      // The newest three were kept, and go in the order they happened.
      assertThat(ids(hook)).containsExactlyElementsOf(published.subList(5, 8));
    }
  }

  @Test
  void withMaxFailedZeroNothingGivenUpIsKept() throws Exception {
    try (WebhookReceiver hook = new WebhookReceiver().answering(400)) {
      EventOptions options =
          fast(EventOptions.of(List.of(endpoint(hook.url(), List.of(), List.of()))))
              .withMaxFailed(0);
      EventQueues queues = new EventQueues(new FilesystemStore(root), options, Clock.systemUTC());
      try (Events events = Events.start(new FilesystemStore(root), options, Clock.systemUTC())) {
        events.publish(pushed("ml/app", "v1"));
        await(() -> events.stats().dropped(EventStats.Drop.GIVEN_UP) == 1);
        await(() -> queued(new FilesystemStore(root)) == 0);
        assertThat(queues.inspect().get(0).failed().batches()).isZero();
      }
    }
  }

  private static List<String> ids(WebhookReceiver hook) throws IOException {
    List<String> ids = new ArrayList<>();
    for (WebhookReceiver.Received r : hook.received) {
      ids.add(JSON.readTree(r.body()).get("id").asText());
    }
    return ids;
  }

  /** Events waiting in the store for the endpoint {@code hook}. */
  private static long queued(ObjectStore store) throws IOException {
    return store
        .list(StorageLayout.eventQueuePrefix("hook"), Optional.empty(), 1000)
        .keys()
        .stream()
        .map(k -> StorageLayout.parse(k, StorageLayout.EventBatchKey.class).orElseThrow())
        .collect(Collectors.summingLong(StorageLayout.EventBatchKey::count));
  }

  private interface Condition {
    boolean met() throws IOException;
  }

  private static void await(Condition condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.met()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 30 s");
      }
      Thread.sleep(20);
    }
  }
}
