package dev.lading.events;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.EventBatchKey;
import dev.lading.core.layout.StorageLayout.EventFailedKey;
import dev.lading.core.layout.StoredValues.EventBatch;
import dev.lading.core.storage.AllKeys;
import dev.lading.core.storage.ObjectStore;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one endpoint's stored batches, oldest first, event by event, while this instance holds
 * the deliverer lease (see the package documentation for the guarantees). Runs on its own thread,
 * so a slow or failing endpoint delays only its own events.
 */
final class EndpointDelivery {
  private static final Logger LOG = LoggerFactory.getLogger(EndpointDelivery.class);

  /**
   * The header carrying {@code sha256=<hex HMAC-SHA256 of the body with the endpoint's secret>}.
   */
  static final String SIGNATURE_HEADER = "Lading-Signature";

  static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
  static final Duration MAX_BACKOFF = Duration.ofMinutes(5);

  private final ObjectStore store;
  private final EventEndpoint endpoint;
  private final EventOptions options;
  private final Clock clock;
  private final HttpClient http;
  private final EventStats stats;
  private final BooleanSupplier leaseHeld;

  /**
   * Batches partly done with: the next event to send, and the events given up so far (kept when the
   * batch is done with). A retry resumes after what was done, also when an older batch (a replay)
   * came first in between.
   */
  private final Map<String, Progress> progress = new HashMap<>();

  private static final class Progress {
    int next;
    final List<String> givenUp = new ArrayList<>();
  }

  private Duration backoff = Duration.ZERO;

  EndpointDelivery(
      ObjectStore store,
      EventEndpoint endpoint,
      EventOptions options,
      Clock clock,
      HttpClient http,
      EventStats stats,
      BooleanSupplier leaseHeld) {
    this.store = store;
    this.endpoint = endpoint;
    this.options = options;
    this.clock = clock;
    this.http = http;
    this.stats = stats;
    this.leaseHeld = leaseHeld;
  }

  String endpointName() {
    return endpoint.name();
  }

  /**
   * Delivers what is stored; returns how long to wait before the next pass: the poll interval, or
   * the back-off after a failed POST.
   */
  Duration pass() throws IOException, InterruptedException {
    List<EventBatchKey> batches = trimmed(stored());
    Set<String> listed = new HashSet<>();
    batches.forEach(b -> listed.add(StorageLayout.keyOf(b)));
    progress.keySet().retainAll(listed); // gone: done by another deliverer, or dropped
    for (EventBatchKey batch : batches) {
      String key = StorageLayout.keyOf(batch);
      Optional<byte[]> bytes = store.read(key);
      if (bytes.isEmpty()) {
        continue; // delivered and deleted by a deliverer before us
      }
      EventBatch read;
      try {
        read = EventBatch.read(bytes.get());
      } catch (RuntimeException e) {
        LOG.warn("events: {}: unreadable batch {} deleted: {}", endpoint.name(), key, e.toString());
        stats.dropped(EventStats.Drop.GIVEN_UP, batch.count());
        store.delete(List.of(key));
        continue;
      }
      List<String> events = read.events();
      Progress done = progress.computeIfAbsent(key, k -> new Progress());
      for (int i = done.next; i < events.size(); i += endpoint.batchSize()) {
        if (!leaseHeld.getAsBoolean()) {
          done.next = i;
          return options.pollInterval();
        }
        Optional<Duration> retryIn =
            send(
                events.subList(i, Math.min(events.size(), i + endpoint.batchSize())),
                read.replayedAt(),
                done.givenUp);
        if (retryIn.isPresent()) {
          done.next = i;
          return retryIn.get();
        }
      }
      // Done with every event: a store error below makes the next pass retry only the writes.
      done.next = events.size();
      // The given-up events are kept before the batch goes: a crash between the two makes the
      // next deliverer do the batch again, which gives the same events up again (the same failed
      // object, overwritten) or delivers them (the failed copy stays, and a replay sends them once
      // more, with their ids, as for any redelivery).
      if (!done.givenUp.isEmpty()) {
        keep(EventFailedKey.of(batch, done.givenUp.size()), done.givenUp);
      }
      // Every event of the batch went (or was given up): a crash before this delete sends the
      // batch again from its first event, the duplicates keeping their ids.
      store.delete(List.of(key));
      progress.remove(key);
    }
    return options.pollInterval();
  }

  /**
   * Keeps {@code events}, given up, for a replay ({@code events.max_failed} per endpoint, the
   * oldest dropped beyond it; 0 keeps none).
   */
  private void keep(EventFailedKey key, List<String> events) throws IOException {
    if (options.maxFailed() == 0) {
      return;
    }
    store.write(StorageLayout.keyOf(key), new EventBatch(events).write());
    List<EventFailedKey> kept = new ArrayList<>();
    for (String k : AllKeys.under(store, StorageLayout.eventFailedPrefix(endpoint.name()))) {
      StorageLayout.parse(k, EventFailedKey.class).ifPresent(kept::add);
    }
    long total = kept.stream().mapToLong(EventFailedKey::count).sum();
    List<String> doomed = new ArrayList<>();
    long dropped = 0;
    for (int i = 0; total > options.maxFailed() && i < kept.size(); i++) {
      total -= kept.get(i).count();
      dropped += kept.get(i).count();
      doomed.add(StorageLayout.keyOf(kept.get(i)));
    }
    if (!doomed.isEmpty()) {
      store.delete(doomed);
      LOG.warn(
          "events: {}: {} given-up events no longer kept for a replay, the oldest: more than"
              + " max_failed ({}) were kept",
          endpoint.name(),
          dropped,
          options.maxFailed());
    }
  }

  /** The batches waiting, oldest first. */
  private List<EventBatchKey> stored() throws IOException {
    List<EventBatchKey> out = new ArrayList<>();
    for (String key : AllKeys.under(store, StorageLayout.eventQueuePrefix(endpoint.name()))) {
      StorageLayout.parse(key, EventBatchKey.class).ifPresent(out::add);
    }
    return out;
  }

  /** Drops the oldest batches while the endpoint's queue holds more than {@code max_stored}. */
  private List<EventBatchKey> trimmed(List<EventBatchKey> batches) throws IOException {
    long total = batches.stream().mapToLong(EventBatchKey::count).sum();
    int drop = 0;
    long dropped = 0;
    while (total > options.maxStored() && drop < batches.size()) {
      total -= batches.get(drop).count();
      dropped += batches.get(drop).count();
      drop++;
    }
    if (drop == 0) {
      return batches;
    }
    List<String> doomed = new ArrayList<>();
    for (EventBatchKey b : batches.subList(0, drop)) {
      doomed.add(StorageLayout.keyOf(b));
    }
    store.delete(doomed);
    stats.dropped(EventStats.Drop.STORE_FULL, (int) dropped);
    LOG.warn(
        "events: {}: {} undelivered events dropped, the oldest: more than max_stored ({}) waited",
        endpoint.name(),
        dropped,
        options.maxStored());
    return batches.subList(drop, batches.size());
  }

  /**
   * POSTs one event (structured mode), or with a batch size above one the events given as one JSON
   * array (batched mode); empty when they are done with (delivered, or given up: then added to
   * {@code givenUp}), else how long to wait before trying them again. A replayed event is retried
   * for {@code retry_for} from its replay.
   */
  private Optional<Duration> send(
      List<String> group, Optional<Instant> replayedAt, List<String> givenUp)
      throws InterruptedException {
    String json =
        group.size() == 1 && endpoint.batchSize() == 1
            ? group.get(0)
            : "[" + String.join(",", group) + "]";
    String contentType =
        endpoint.batchSize() == 1 ? CloudEventJson.CONTENT_TYPE : CloudEventJson.BATCH_CONTENT_TYPE;
    String first = group.get(0);
    String what =
        group.size() == 1
            ? "event " + CloudEventJson.id(first)
            : group.size() + " events from " + CloudEventJson.id(first);
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    HttpRequest.Builder request =
        HttpRequest.newBuilder(endpoint.url())
            .timeout(options.requestTimeout())
            .header("Content-Type", contentType + "; charset=utf-8")
            .header("User-Agent", "lading-events")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    endpoint.secret().ifPresent(s -> request.header(SIGNATURE_HEADER, signature(s, body)));
    String failure;
    Optional<Duration> askedWait = Optional.empty();
    try {
      HttpResponse<Void> response =
          http.send(request.build(), HttpResponse.BodyHandlers.discarding());
      int status = response.statusCode();
      if (status >= 200 && status < 300) {
        stats.countDelivered(endpoint.name(), group.size());
        backoff = Duration.ZERO;
        return Optional.empty();
      }
      if (status != 408 && status != 429 && status < 500) {
        stats.dropped(EventStats.Drop.GIVEN_UP, group.size());
        givenUp.addAll(group);
        LOG.warn(
            "events: {}: {} given up: the endpoint answered {}", endpoint.name(), what, status);
        return Optional.empty();
      }
      failure = "answered " + status;
      askedWait = response.headers().firstValue("Retry-After").flatMap(EndpointDelivery::seconds);
    } catch (IOException e) {
      failure = e.toString();
    }
    stats.countFailedAttempt(endpoint.name());
    Instant happened = CloudEventJson.time(first);
    Instant since = replayedAt.filter(r -> r.isAfter(happened)).orElse(happened);
    if (since.plus(options.retryFor()).isBefore(clock.instant())) {
      stats.dropped(EventStats.Drop.GIVEN_UP, group.size());
      givenUp.addAll(group);
      LOG.warn(
          "events: {}: {} given up after retrying for {}: {}",
          endpoint.name(),
          what,
          options.retryFor(),
          failure);
      return Optional.empty();
    }
    backoff = backoff.isZero() ? FIRST_BACKOFF : backoff.multipliedBy(2);
    if (backoff.compareTo(MAX_BACKOFF) > 0) {
      backoff = MAX_BACKOFF;
    }
    Duration wait = askedWait.map(EndpointDelivery::clamp).orElse(backoff);
    LOG.info("events: {}: delivery failed ({}); next try in {}", endpoint.name(), failure, wait);
    return Optional.of(wait);
  }

  private static Duration clamp(Duration d) {
    return d.compareTo(FIRST_BACKOFF) < 0
        ? FIRST_BACKOFF
        : d.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : d;
  }

  private static Optional<Duration> seconds(String retryAfter) {
    try {
      return Optional.of(Duration.ofSeconds(Long.parseLong(retryAfter.strip())));
    } catch (NumberFormatException e) {
      return Optional.empty(); // an HTTP date: the exponential back-off instead
    }
  }

  /** {@code sha256=<hex>}: HMAC-SHA256 of the exact body bytes, keyed by the endpoint's secret. */
  static String signature(EventEndpoint.Secret secret, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.key(), "HmacSHA256"));
      return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
