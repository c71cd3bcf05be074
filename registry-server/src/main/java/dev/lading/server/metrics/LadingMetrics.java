package dev.lading.server.metrics;

import com.github.benmanes.caffeine.cache.stats.CacheStats;
import com.sun.management.OperatingSystemMXBean;
import dev.lading.core.registry.QuotaLedger;
import dev.lading.events.EventEndpoint;
import dev.lading.events.EventOptions;
import dev.lading.events.EventStats;
import dev.lading.gc.GarbageCollector;
import dev.lading.gc.GcStats;
import dev.lading.gc.OnlineCollector;
import dev.lading.server.http.ConnectionMetrics;
import dev.lading.server.http.RequestMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The server's meters in one Prometheus registry: HTTP requests by route, method and status as
 * histograms (recorded by the dispatcher, {@link RequestMetrics}), bytes over the wire, requests
 * and uploads in flight, upload bytes, connections (open, refused at the ceiling, closed by a
 * timeout, {@link ConnectionMetrics}), store calls ({@link MeteredObjectStore}), the registry's
 * caches, the JVM and the process, and garbage collection (runs, phase and progress, what was
 * marked and swept, durations, last success). {@code GET /metrics} serves {@link #scrape()}.
 *
 * <p>Latencies are histograms with fixed buckets, not client-side percentiles: buckets add up
 * across instances and any quantile can be asked of them afterwards.
 */
public final class LadingMetrics implements RequestMetrics, ConnectionMetrics, AutoCloseable {
  /**
   * Request latency buckets: a blob HEAD takes a millisecond, a layer push minutes. Few enough that
   * every route, method and status seen keeps the series count small.
   */
  static final Duration[] REQUEST_BUCKETS = {
    Duration.ofMillis(1), Duration.ofNanos(2_500_000), Duration.ofMillis(5), Duration.ofMillis(10),
    Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
    Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2_500), Duration.ofSeconds(5),
    Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(300)
  };

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Counter uploadBytes;
  private final Counter connectionsRefused;
  private final AtomicInteger uploadsInFlight = new AtomicInteger();
  private final AtomicLong gcPhase = new AtomicLong(-1);
  private final AtomicLong gcLastSuccess = new AtomicLong();
  private final AtomicLong gcLastCandidates = new AtomicLong();
  private final Map<GarbageCollector.Phase, AtomicLong> gcProgress =
      new EnumMap<>(GarbageCollector.Phase.class);
  private final JvmGcMetrics jvmGc = new JvmGcMetrics();

  /**
   * The suppliers function counters read: Micrometer holds a meter's object weakly, and a method
   * reference has no other owner, so without this its series would turn NaN after a GC.
   */
  private final List<Object> held = new CopyOnWriteArrayList<>();

  private final Clock clock;

  public LadingMetrics(Clock clock) {
    this.clock = clock;
    // Two of ProcessorMetrics' names break Prometheus' naming rules (promtool lints them): CPU
    // time in nanoseconds, exported instead as the conventional process_cpu_seconds_total, and
    // a gauge ending in _count, which reads as a histogram's.
    registry
        .config()
        .meterFilter(MeterFilter.deny(id -> id.getName().equals("process.cpu.time")))
        .meterFilter(
            new MeterFilter() {
              @Override
              public Meter.Id map(Meter.Id id) {
                return id.getName().equals("system.cpu.count")
                    ? id.withName("system.cpu.processors")
                    : id;
              }
            });
    if (ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os) {
      FunctionCounter.builder("process.cpu", os, o -> o.getProcessCpuTime() / 1e9)
          .description("CPU time the process used")
          .baseUnit("seconds")
          .register(registry);
    }
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    jvmGc.bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    Gauge.builder("lading.uploads.in.flight", uploadsInFlight, AtomicInteger::get)
        .description("Upload requests (POST, PATCH, PUT of blob uploads) being served")
        .register(registry);
    uploadBytes =
        Counter.builder("lading.upload.bytes")
            .description("Body bytes received by blob upload requests")
            .baseUnit("bytes")
            .register(registry);
    connectionsRefused =
        Counter.builder("lading.http.connections.refused")
            .description("Connections answered 503 because http.max_connections were open")
            .register(registry);
    for (String action : new String[] {"push", "delete"}) {
      // At zero from the start, so an alert on their rate works before the first refusal.
      immutableTags("lading.immutable_tags.refused", action);
      immutableTags("lading.immutable_tags.overridden", action);
    }
    for (String kind : new String[] {"header", "idle", "body_stall"}) {
      // Present at zero from the start, so a rate over them works before the first timeout.
      timeouts(kind);
    }
  }

  @Override
  public void finished(String route, String method, int status, long nanos) {
    requestTimers
        .computeIfAbsent(new RequestKind(route, method, status), this::requestTimer)
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /** The labels of a request's timer; each of the three takes a bounded set of values. */
  private record RequestKind(String route, String method, int status) {}

  /**
   * Every request's timer, found by its labels without building one (a builder per request, its
   * buckets and the registry's lookup were a tenth of the event loop's work per small request).
   */
  private final Map<RequestKind, Timer> requestTimers = new ConcurrentHashMap<>();

  private Timer requestTimer(RequestKind kind) {
    return Timer.builder("lading.http.requests")
        .description(
            "HTTP requests by route template, method and status (0: the connection failed"
                + " before the response was out), from the request head to the last response byte")
        .tag("route", kind.route())
        .tag("method", kind.method())
        .tag("status", Integer.toString(kind.status()))
        .serviceLevelObjectives(REQUEST_BUCKETS)
        .register(registry);
  }

  @Override
  public void uploadStarted() {
    uploadsInFlight.incrementAndGet();
  }

  @Override
  public void uploadFinished() {
    uploadsInFlight.decrementAndGet();
  }

  /** Exports the requests between their head and their response's last byte. */
  public void bindRequestsInFlight(IntSupplier inFlight) {
    // Strong: Micrometer holds a gauge's object weakly, and a method reference has no other owner.
    Gauge.builder("lading.http.requests.in.flight", inFlight, IntSupplier::getAsInt)
        .strongReference(true)
        .description("HTTP requests between their head and their response's last byte")
        .register(registry);
  }

  /** Exports the bytes read from and written to clients' connections (see {@code WireBytes}). */
  public void bindWireBytes(LongSupplier received, LongSupplier sent) {
    held.add(received);
    held.add(sent);
    FunctionCounter.builder("lading.http.request.bytes", received, LongSupplier::getAsLong)
        .description("Bytes read from client connections: request heads and bodies")
        .baseUnit("bytes")
        .register(registry);
    FunctionCounter.builder("lading.http.response.bytes", sent, LongSupplier::getAsLong)
        .description(
            "Bytes written to client connections: response heads and bodies, zero-copy"
                + " file transfers by what the kernel sent")
        .baseUnit("bytes")
        .register(registry);
  }

  /**
   * Exports the hits, misses and evictions of the registry's in-memory caches; {@code stats} gives
   * a snapshot per cache name, read at each scrape.
   */
  public void bindCaches(Supplier<Map<String, CacheStats>> stats) {
    held.add(stats);
    for (String cache : stats.get().keySet()) {
      FunctionCounter.builder("lading.cache.gets", stats, s -> s.get().get(cache).hitCount())
          .description("Lookups in the registry's in-memory caches by result")
          .tag("cache", cache)
          .tag("result", "hit")
          .register(registry);
      FunctionCounter.builder("lading.cache.gets", stats, s -> s.get().get(cache).missCount())
          .description("Lookups in the registry's in-memory caches by result")
          .tag("cache", cache)
          .tag("result", "miss")
          .register(registry);
      FunctionCounter.builder(
              "lading.cache.evictions", stats, s -> s.get().get(cache).evictionCount())
          .description("Entries the registry's in-memory caches dropped for room")
          .tag("cache", cache)
          .register(registry);
    }
  }

  @Override
  public void uploadBytes(long bytes) {
    uploadBytes.increment(bytes);
  }

  @Override
  public void timedOut(String kind) {
    timeouts(kind).increment();
  }

  private Counter timeouts(String kind) {
    return Counter.builder("lading.http.timeouts")
        .description(
            "Connections closed because the client kept the server waiting, by kind"
                + " (header, idle, body_stall)")
        .tag("kind", kind)
        .register(registry);
  }

  @Override
  public void immutableTagRefused(String action) {
    immutableTags("lading.immutable_tags.refused", action).increment();
  }

  @Override
  public void immutableTagOverridden(String action) {
    immutableTags("lading.immutable_tags.overridden", action).increment();
  }

  private Counter immutableTags(String name, String action) {
    return Counter.builder(name)
        .description(
            name.endsWith("refused")
                ? "Pushes and deletes refused by policies.immutable_tags, by action (push, delete,"
                    + " override: an override asked for by someone not allowed to)"
                : "Immutable tags moved (push) or deleted (delete) under an explicit override")
        .tag("action", action)
        .register(registry);
  }

  @Override
  public void quotaRefused(String quota) {
    Counter.builder("lading.quota.refused")
        .description("Manifest pushes refused by a quota (policies.quotas), by quota")
        .tag("quota", quota)
        .register(registry)
        .increment();
  }

  /**
   * Each quota's usage as this instance counts it and its limit, by quota name ({@code
   * policies.quotas[0]}); called at start and after a reload (a quota no longer configured reads
   * NaN).
   */
  public void bindQuotas(Supplier<List<QuotaLedger.Usage>> usage) {
    held.add(usage);
    for (QuotaLedger.Usage u : usage.get()) {
      String name = u.rule().name();
      Gauge.builder(
              "lading.quota.used.bytes",
              usage,
              s -> quotaValue(s, name, QuotaLedger.Usage::usedBytes))
          .description("Bytes of distinct content the quota's repositories keep, as last counted")
          .tag("quota", name)
          .register(registry);
      Gauge.builder(
              "lading.quota.limit.bytes", usage, s -> quotaValue(s, name, x -> x.rule().bytes()))
          .description("The quota's limit in bytes")
          .tag("quota", name)
          .register(registry);
    }
  }

  private static double quotaValue(
      Supplier<List<QuotaLedger.Usage>> usage,
      String name,
      java.util.function.ToLongFunction<QuotaLedger.Usage> value) {
    for (QuotaLedger.Usage u : usage.get()) {
      if (u.rule().name().equals(name)) {
        return value.applyAsLong(u);
      }
    }
    return Double.NaN;
  }

  @Override
  public void refused() {
    connectionsRefused.increment();
  }

  /** Exports the number of connections being served. */
  public void bindOpenConnections(IntSupplier open) {
    Gauge.builder("lading.http.connections.open", open, IntSupplier::getAsInt)
        .strongReference(true) // held weakly otherwise, and the method reference has no other owner
        .description("Connections being served (those refused at the ceiling not counted)")
        .register(registry);
  }

  /** Exports {@code gc}'s runs, and {@code collector}'s phases while a run goes on. */
  /**
   * Events: accepted, stored, dropped (by why), delivered and failed POSTs (by endpoint). Each
   * instance counts what it did; deliveries are counted by the instance delivering.
   */
  public void bindEvents(EventStats stats, EventOptions options) {
    FunctionCounter.builder("lading.events.published", stats, EventStats::published)
        .description("Events accepted into this instance's queue")
        .register(registry);
    FunctionCounter.builder("lading.events.stored", stats, EventStats::stored)
        .description("Event copies written to the store, one per endpoint that wants the event")
        .register(registry);
    for (EventStats.Drop why : EventStats.Drop.values()) {
      FunctionCounter.builder("lading.events.dropped", stats, s -> s.dropped(why))
          .description(
              "Events lost: queue_full, store_error, store_full (max_stored), given_up (refused"
                  + " by the endpoint or failing past retry_for)")
          .tag("reason", why.name().toLowerCase(Locale.ROOT))
          .register(registry);
    }
    for (EventEndpoint endpoint : options.endpoints()) {
      FunctionCounter.builder("lading.events.delivered", stats, s -> s.delivered(endpoint.name()))
          .description("Events an endpoint accepted (2xx)")
          .tag("endpoint", endpoint.name())
          .register(registry);
      FunctionCounter.builder(
              "lading.events.delivery.failures", stats, s -> s.failedAttempts(endpoint.name()))
          .description("Delivery POSTs that failed and were retried or given up")
          .tag("endpoint", endpoint.name())
          .register(registry);
    }
  }

  public void bindGc(OnlineCollector gc, GarbageCollector collector) {
    Gauge.builder("lading.gc.running", gc, g -> g.status().running() ? 1 : 0)
        .description("1 while a GC run started by this instance is in progress")
        .register(registry);
    Gauge.builder("lading.gc.phase", gcPhase, AtomicLong::get)
        .description(
            "The phase the current run reached (0 announced, 1 listed, 2 retention, 3 marked,"
                + " 4 intents written, 5 swept, 6 done; -1 before the first run)")
        .register(registry);
    Gauge.builder("lading.gc.candidates", gcLastCandidates, AtomicLong::get)
        .description("Candidates the current or last run's mark found")
        .register(registry);
    Gauge.builder("lading.gc.last.success", gcLastSuccess, AtomicLong::get)
        .description("When the last GC run succeeded, seconds since the epoch (0: never)")
        .baseUnit("seconds")
        .register(registry);
    for (GarbageCollector.Phase phase : GarbageCollector.Phase.values()) {
      AtomicLong count = new AtomicLong();
      gcProgress.put(phase, count);
      Gauge.builder("lading.gc.progress", count, AtomicLong::get)
          .description(
              "What the current or last run found on reaching each phase: announced (0),"
                  + " listed (repositories), retention (tags removed), marked (candidates),"
                  + " intents_written and swept (objects to delete and deleted), done (items"
                  + " reported)")
          .tag("phase", phase.name().toLowerCase(Locale.ROOT))
          .register(registry);
    }
    collector.setProgress(
        (phase, count) -> {
          if (phase == GarbageCollector.Phase.ANNOUNCED) {
            gcProgress
                .values()
                .forEach(c -> c.set(0)); // a new run: the last one's counts no longer apply
          }
          gcProgress.get(phase).set(count);
          gcPhase.set(phase.ordinal());
          if (phase == GarbageCollector.Phase.MARKED) {
            gcLastCandidates.set(count);
          }
        });
    gc.addListener(
        new OnlineCollector.Listener() {
          @Override
          public void finished(GcStats stats, Duration took) {
            String mode = stats.dryRun() ? "dry-run" : "real";
            runs("success", mode).increment();
            Timer.builder("lading.gc.duration")
                .description("Duration of GC runs")
                .tag("mode", mode)
                .register(registry)
                .record(took);
            Timer.builder("lading.gc.mark.duration")
                .description("Mark phase of GC runs")
                .tag("mode", mode)
                .register(registry)
                .record(Duration.ofMillis(stats.markMillis()));
            Timer.builder("lading.gc.sweep.duration")
                .description("Sweep phase of GC runs")
                .tag("mode", mode)
                .register(registry)
                .record(Duration.ofMillis(stats.sweepMillis()));
            DistributionSummary.builder("lading.gc.marked.manifests")
                .description("Manifests a run's mark kept")
                .tag("mode", mode)
                .register(registry)
                .record(stats.manifestsKept());
            if (!stats.dryRun()) {
              swept("blobs", stats.blobsSwept());
              swept("manifests", stats.manifestsSwept());
              swept("layer_links", stats.layerLinksSwept());
              swept("referrer_entries", stats.referrerEntriesSwept());
              swept("stray_data", stats.strayDataSwept());
              swept("uploads", stats.uploadsExpired());
              swept("abandoned_writes", stats.abandonedWrites());
              Counter.builder("lading.gc.swept.bytes")
                  .description("Blob bytes GC freed")
                  .baseUnit("bytes")
                  .register(registry)
                  .increment(stats.bytesFreed());
              Counter.builder("lading.gc.protected")
                  .description("Candidates the fence kept for pushers")
                  .register(registry)
                  .increment(stats.protectedByFence());
              retained("tags", stats.tagsUntagged());
              retained("manifests", stats.manifestsExpired());
            }
            gcLastSuccess.set(clock.instant().getEpochSecond());
          }

          @Override
          public void failed(Throwable failure) {
            runs("failure", "any").increment();
          }
        });
  }

  /** What retention policies removed: {@code tags} untagged, untagged {@code manifests} expired. */
  private void retained(String kind, long count) {
    Counter.builder("lading.retention.removed")
        .description("Tags and untagged manifests removed by retention policies")
        .tag("kind", kind)
        .register(registry)
        .increment(count);
  }

  private Counter runs(String outcome, String mode) {
    return Counter.builder("lading.gc.runs")
        .description("GC runs by outcome")
        .tag("outcome", outcome)
        .tag("mode", mode)
        .register(registry);
  }

  private void swept(String kind, long count) {
    Counter.builder("lading.gc.swept")
        .description("Objects GC removed, by kind")
        .tag("kind", kind)
        .register(registry)
        .increment(count);
  }

  /** The Prometheus text exposition of every meter. */
  public String scrape() {
    return registry.scrape();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Unhooks the JVM GC listener this registry installed. */
  @Override
  public void close() {
    jvmGc.close();
  }
}
