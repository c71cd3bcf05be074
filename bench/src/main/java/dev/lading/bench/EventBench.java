package dev.lading.bench;

import com.sun.net.httpserver.HttpServer;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.storage.ObjectStore;
import dev.lading.events.Actor;
import dev.lading.events.EventEndpoint;
import dev.lading.events.EventOptions;
import dev.lading.events.EventStats;
import dev.lading.events.EventType;
import dev.lading.events.Events;
import dev.lading.events.RegistryEvent;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Event throughput: {@code --threads} publish {@code --events} push events as fast as they can into
 * one instance's events ({@code events} module, no HTTP server in front) on a real store, and a
 * real HTTP receiver on a loopback socket that takes {@code --receiver-delay-ms} per request (a
 * slow receiver) acknowledges them. Prints what a publish costs the request that makes it, how fast
 * events reach the store, how fast the receiver gets them, and what was dropped. Run after {@code
 * ./mvnw -q -pl bench -am -DskipTests package}:
 *
 * <pre>
 * java -cp bench/target/lading-bench.jar dev.lading.bench.EventBench --store fs --root /var/tmp/ev
 * java -cp bench/target/lading-bench.jar dev.lading.bench.EventBench --store fs --root /var/tmp/ev2 \
 *     --events 2000 --receiver-delay-ms 20
 * eval "$(/work/shared/tools/s3proxy-up.sh 15200 /var/tmp/s3 | grep '^export ')"
 * java -cp bench/target/lading-bench.jar dev.lading.bench.EventBench --store s3 \
 *     --endpoint http://127.0.0.1:15200 --access-key ... --secret-key ...
 * </pre>
 */
@Command(
    name = "event-bench",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Prints event publish cost, store and delivery throughput with a slow receiver.")
public final class EventBench implements Callable<Integer> {
  @Mixin StoreOptions store;

  @Option(names = "--events", defaultValue = "20000")
  int events;

  @Option(names = "--threads", defaultValue = "8", description = "Publishing threads.")
  int threads;

  @Option(
      names = "--receiver-delay-ms",
      defaultValue = "0",
      description = "How long the receiver takes per request.")
  int receiverDelayMs;

  @Option(
      names = "--batch-size",
      defaultValue = "1",
      description = "Events per POST (above 1: CloudEvents batched mode).")
  int batchSize;

  @Option(names = "--queue-size", defaultValue = "" + EventOptions.DEFAULT_QUEUE_SIZE)
  int queueSize;

  @Option(
      names = "--timeout-seconds",
      defaultValue = "600",
      description = "Stop waiting for deliveries after this long.")
  int timeoutSeconds;

  public static void main(String[] args) {
    System.exit(new CommandLine(new EventBench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    AtomicLong received = new AtomicLong();
    HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    receiver.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    receiver.createContext(
        "/hook",
        exchange -> {
          String body =
              new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          // One structured event, or a batch: each event has exactly one specversion.
          int n = body.split("\"specversion\"", -1).length - 1;
          if (receiverDelayMs > 0) {
            try {
              Thread.sleep(receiverDelayMs);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          received.addAndGet(n);
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    receiver.start();
    EventEndpoint endpoint =
        new EventEndpoint(
            "bench",
            URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook"),
            Optional.of(new EventEndpoint.Secret("bench".getBytes(StandardCharsets.UTF_8))),
            List.of(),
            List.of(),
            batchSize);
    EventOptions options =
        EventOptions.of(List.of(endpoint))
            .withLimits(queueSize, EventOptions.DEFAULT_MAX_STORED, Duration.ofHours(1))
            .withTiming(EventOptions.DEFAULT_LEASE_LENGTH, Duration.ofMillis(100));
    try (ObjectStore objects = store.open("eventbench", 64);
        Events bus = Events.start(objects, options, Clock.systemUTC())) {
      RepositoryName repo = RepositoryName.parse("bench/app");
      long start = System.nanoTime();
      List<Future<Long>> work = new ArrayList<>();
      try (var pool = Executors.newFixedThreadPool(threads)) {
        for (int t = 0; t < threads; t++) {
          int share = events / threads + (t < events % threads ? 1 : 0);
          work.add(
              pool.submit(
                  () -> {
                    long slowest = 0;
                    for (int i = 0; i < share; i++) {
                      RegistryEvent e =
                          RegistryEvent.of(
                              EventType.MANIFEST_PUSHED,
                              Instant.now(),
                              Optional.of(repo),
                              new Actor("bench", "robot"),
                              Optional.empty(),
                              Map.of("digest", "sha256:" + "0".repeat(64), "tag", "t" + i));
                      long p0 = System.nanoTime();
                      bus.publish(e);
                      slowest = Math.max(slowest, System.nanoTime() - p0);
                    }
                    return slowest;
                  }));
        }
      }
      long published = System.nanoTime();
      long slowest = 0;
      for (Future<Long> f : work) {
        slowest = Math.max(slowest, f.get());
      }
      EventStats stats = bus.stats();
      long accepted = stats.published();
      long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
      long storedAt = 0;
      while (received.get() < stats.stored() || stats.stored() < accepted) {
        if (storedAt == 0 && stats.stored() >= accepted) {
          storedAt = System.nanoTime();
        }
        if (System.nanoTime() > deadline) {
          break;
        }
        Thread.sleep(10);
      }
      if (storedAt == 0) {
        storedAt = System.nanoTime();
      }
      long delivered = System.nanoTime();
      double publishSeconds = (published - start) / 1e9;
      System.out.printf(
          "%s store, %d events from %d threads, receiver %d ms per request, %d events per POST%n",
          store, events, threads, receiverDelayMs, batchSize);
      System.out.printf(
          "  publish: %.0f ns per event on average (%.2f s for all), slowest %.1f µs;"
              + " accepted %d, dropped (queue full) %d%n",
          (published - start) / (double) events,
          publishSeconds,
          slowest / 1e3,
          accepted,
          stats.dropped(EventStats.Drop.QUEUE_FULL));
      System.out.printf(
          "  stored: %d events, %.0f events/s until all were in the store%n",
          stats.stored(), stats.stored() / ((storedAt - start) / 1e9));
      System.out.printf(
          "  delivered: %d events, %.0f events/s from the first publish to the last delivery%s%n",
          received.get(),
          received.get() / ((delivered - start) / 1e9),
          received.get() < stats.stored() ? " (timed out)" : "");
      System.out.printf(
          "  failed POSTs %d, given up %d, dropped store_full %d, store_error %d%n",
          stats.failedAttempts("bench"),
          stats.dropped(EventStats.Drop.GIVEN_UP),
          stats.dropped(EventStats.Drop.STORE_FULL),
          stats.dropped(EventStats.Drop.STORE_ERROR));
    } finally {
      receiver.stop(0);
    }
    return 0;
  }
}
