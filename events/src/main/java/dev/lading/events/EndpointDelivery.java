package dev.lading.events;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.EventBatchKey;
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
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
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

  /** Events of the first batch already delivered (or given up), so a retry resumes after them. */
  private String resumeBatch;

  private int resumeAt;
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
    for (EventBatchKey batch : batches) {
      String key = StorageLayout.keyOf(batch);
      Optional<byte[]> bytes = store.read(key);
      if (bytes.isEmpty()) {
        continue; // delivered and deleted by a deliverer before us
      }
      List<String> events;
      try {
        events = EventBatch.read(bytes.get()).events();
      } catch (RuntimeException e) {
        LOG.warn("events: {}: unreadable batch {} deleted: {}", endpoint.name(), key, e.toString());
        stats.dropped(EventStats.Drop.GIVEN_UP, batch.count());
        store.delete(List.of(key));
        continue;
      }
      int from = key.equals(resumeBatch) ? resumeAt : 0;
      for (int i = from; i < events.size(); i += endpoint.batchSize()) {
        if (!leaseHeld.getAsBoolean()) {
          remember(key, i);
          return options.pollInterval();
        }
        Optional<Duration> retryIn =
            send(events.subList(i, Math.min(events.size(), i + endpoint.batchSize())));
        if (retryIn.isPresent()) {
          remember(key, i);
          return retryIn.get();
        }
      }
      // Every event of the batch went (or was given up): a crash before this delete sends the
      // batch again from its first event, the duplicates keeping their ids.
      store.delete(List.of(key));
      resumeBatch = null;
    }
    return options.pollInterval();
  }

  private void remember(String key, int index) {
    resumeBatch = key;
    resumeAt = index;
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
   * array (batched mode); empty when they are done with (delivered, or given up), else how long to
   * wait before trying them again.
   */
  private Optional<Duration> send(List<String> group) throws InterruptedException {
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
    if (happened.plus(options.retryFor()).isBefore(clock.instant())) {
      stats.dropped(EventStats.Drop.GIVEN_UP, group.size());
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
