package dev.lading.events;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.EventBatchKey;
import dev.lading.core.layout.StoredValues.EventBatch;
import dev.lading.core.storage.ObjectStore;
import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The events of one instance: {@link #publish} from request threads, a writer thread putting them
 * in the store, and, while this instance holds the deliverer lease, one delivery thread per
 * endpoint. See the package documentation for the path of an event and its bounds.
 */
public final class Events implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Events.class);

  /** Retries of a batch's write before its events are dropped, and the waits between them. */
  private static final List<Duration> STORE_RETRIES =
      List.of(Duration.ofMillis(200), Duration.ofSeconds(1), Duration.ofSeconds(5));

  private static final Events OFF = new Events();

  private final ObjectStore store;
  private final EventOptions options;
  private final Clock clock;
  private final String instance;
  private final EventStats stats = new EventStats();
  private final BlockingQueue<RegistryEvent> queue;
  private final AtomicLong lastQueueFullLog = new AtomicLong();
  private final List<Thread> threads = new ArrayList<>();
  private final Thread writer;
  private final DelivererLease lease;
  private final HttpClient http;

  /** Whether {@link #publish} waits for room rather than dropping (a process serving nothing). */
  private final boolean waitForRoom;

  private volatile boolean closed;
  private int seq;

  private Events() {
    this.store = null;
    this.options = EventOptions.none();
    this.clock = Clock.systemUTC();
    this.instance = UUID.randomUUID().toString();
    this.queue = new ArrayBlockingQueue<>(1);
    this.writer = null;
    this.lease = null;
    this.http = null;
    this.waitForRoom = false;
  }

  private Events(ObjectStore store, EventOptions options, Clock clock, boolean deliver) {
    this.store = store;
    this.options = options;
    this.clock = clock;
    this.instance = UUID.randomUUID().toString();
    this.queue = new ArrayBlockingQueue<>(options.queueSize());
    this.waitForRoom = !deliver;
    this.writer = Thread.ofVirtual().name("lading-events-writer").start(this::writeLoop);
    if (!deliver) {
      this.lease = null;
      this.http = null;
      return;
    }
    this.lease = new DelivererLease(store, clock, instance, options.leaseLength());
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(options.requestTimeout())
            .followRedirects(HttpClient.Redirect.NEVER)
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .build();
    threads.add(Thread.ofVirtual().name("lading-events-lease").start(this::leaseLoop));
    for (EventEndpoint endpoint : options.endpoints()) {
      EndpointDelivery delivery =
          new EndpointDelivery(store, endpoint, options, clock, http, stats, lease::held);
      threads.add(
          Thread.ofVirtual()
              .name("lading-events-" + endpoint.name())
              .start(() -> deliveryLoop(delivery)));
    }
  }

  /** Events off: publishing does nothing. */
  public static Events off() {
    return OFF;
  }

  /** Starts the writer and the deliverers; with no endpoint configured, {@link #off()}. */
  public static Events start(ObjectStore store, EventOptions options, Clock clock) {
    return options.endpoints().isEmpty() ? OFF : new Events(store, options, clock, true);
  }

  /**
   * Only puts what is published into the store's queues, where the deliverer of the running
   * instances finds it (or, when none runs, where it waits like any undelivered event): for a
   * process that serves nothing, the offline {@code gc} command. Its {@link #publish} waits for
   * room instead of dropping, as no request waits on it, and {@link #close} returns once every
   * published event is in the store (or its write failed, counted and logged).
   */
  public static Events storeOnly(ObjectStore store, EventOptions options, Clock clock) {
    return options.endpoints().isEmpty() ? OFF : new Events(store, options, clock, false);
  }

  public EventStats stats() {
    return stats;
  }

  /** Whether some endpoint wants events of {@code type} (cheap: lets callers skip building one). */
  public boolean wants(EventType type) {
    if (type == EventType.MANIFEST_PULLED && options.pullSampleRate() == 0) {
      return false;
    }
    return options.endpoints().stream().anyMatch(e -> e.wantsType(type));
  }

  /** Whether this pull is one of the sampled ones ({@code events.pull_sample_rate}). */
  public boolean samplePull() {
    double rate = options.pullSampleRate();
    return rate > 0 && (rate >= 1 || ThreadLocalRandom.current().nextDouble() < rate);
  }

  /**
   * Queues {@code event} for the endpoints that want it; never blocks. A full queue drops it
   * (counted; logged at most once a minute).
   */
  public void publish(RegistryEvent event) {
    if (this == OFF || closed || options.endpoints().stream().noneMatch(e -> e.wants(event))) {
      return;
    }
    if (waitForRoom) {
      try {
        queue.put(event);
        stats.published(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        stats.dropped(EventStats.Drop.QUEUE_FULL, 1);
      }
      return;
    }
    if (queue.offer(event)) {
      stats.published(1);
      return;
    }
    stats.dropped(EventStats.Drop.QUEUE_FULL, 1);
    long now = clock.millis();
    long last = lastQueueFullLog.get();
    if (now - last > 60_000 && lastQueueFullLog.compareAndSet(last, now)) {
      LOG.warn(
          "events: queue full ({} events waiting for the store); events are being dropped",
          options.queueSize());
    }
  }

  private void writeLoop() {
    while (!closed || !queue.isEmpty()) {
      RegistryEvent first;
      try {
        first = queue.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        continue; // closing: drain what is queued
      }
      if (first == null) {
        continue;
      }
      List<RegistryEvent> taken = new ArrayList<>();
      taken.add(first);
      queue.drainTo(taken, EventBatchKey.MAX_EVENTS - 1);
      writeBatches(taken);
    }
  }

  /** One batch object per endpoint that wants some of {@code events}. */
  private void writeBatches(List<RegistryEvent> events) {
    Map<String, String> encoded = new HashMap<>();
    for (EventEndpoint endpoint : options.endpoints()) {
      List<String> wanted = new ArrayList<>();
      for (RegistryEvent e : events) {
        if (endpoint.wants(e)) {
          wanted.add(encoded.computeIfAbsent(e.id(), id -> CloudEventJson.encode(e)));
        }
      }
      if (wanted.isEmpty()) {
        continue;
      }
      String key =
          StorageLayout.keyOf(
              EventBatchKey.of(endpoint.name(), clock.millis(), instance, seq++, wanted.size()));
      byte[] bytes = new EventBatch(wanted).write();
      if (writeWithRetries(key, bytes)) {
        stats.stored(wanted.size());
      } else {
        stats.dropped(EventStats.Drop.STORE_ERROR, wanted.size());
      }
    }
  }

  private boolean writeWithRetries(String key, byte[] bytes) {
    for (int attempt = 0; ; attempt++) {
      try {
        store.write(key, bytes);
        return true;
      } catch (IOException | RuntimeException e) {
        if (attempt == STORE_RETRIES.size()) {
          LOG.warn("events: could not store a batch, its events are dropped: {}", e.toString());
          return false;
        }
        if (!sleep(STORE_RETRIES.get(attempt))) {
          return false;
        }
      }
    }
  }

  private void leaseLoop() {
    // A random start spreads the instances that start together.
    sleep(Duration.ofMillis(ThreadLocalRandom.current().nextLong(50, 250)));
    while (!closed) {
      lease.tend();
      Duration wait = lease.tendEvery();
      if (!lease.held()) {
        // Gave way, or lost: try again after a random part of the lease.
        wait = wait.plusMillis(ThreadLocalRandom.current().nextLong(1 + wait.toMillis()));
      }
      if (!sleep(wait)) {
        return;
      }
    }
  }

  private void deliveryLoop(EndpointDelivery delivery) {
    while (!closed) {
      Duration wait = options.pollInterval();
      if (lease.held()) {
        try {
          wait = delivery.pass();
        } catch (InterruptedException e) {
          return;
        } catch (IOException | RuntimeException e) {
          LOG.warn("events: {}: delivery pass failed: {}", delivery.endpointName(), e.toString());
        }
      }
      if (!sleep(wait)) {
        return;
      }
    }
  }

  /** False when interrupted (closing). */
  private boolean sleep(Duration d) {
    try {
      Thread.sleep(d);
      return true;
    } catch (InterruptedException e) {
      return false;
    }
  }

  /**
   * Writes what is queued to the store, stops delivering and gives the lease up, so the events of a
   * clean shutdown are all kept and another instance delivers them at once.
   */
  @Override
  public void close() {
    if (this == OFF || closed) {
      return;
    }
    closed = true;
    join(writer);
    for (Thread t : threads) {
      t.interrupt();
    }
    for (Thread t : threads) {
      join(t);
    }
    if (lease != null) {
      lease.release();
      http.close();
    }
  }

  private static void join(Thread t) {
    try {
      t.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
