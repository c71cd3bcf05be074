package dev.lading.server.metrics;

import dev.lading.gc.GarbageCollector;
import dev.lading.gc.GcStats;
import dev.lading.gc.OnlineCollector;
import dev.lading.server.http.ConnectionMetrics;
import dev.lading.server.http.RequestMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * The server's meters in one Prometheus registry: HTTP requests by route, method and status
 * (recorded by the dispatcher, {@link RequestMetrics}), upload bytes, connections (open,
 * refused at the ceiling, closed by a timeout, {@link ConnectionMetrics}), JVM memory and
 * threads, and garbage collection (runs, phase, what was marked and swept, durations, last
 * success). {@code GET /metrics} serves {@link #scrape()}.
 */
public final class LadingMetrics implements RequestMetrics, ConnectionMetrics {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Counter uploadBytes;
  private final Counter connectionsRefused;
  private final AtomicLong gcPhase = new AtomicLong(-1);
  private final AtomicLong gcLastSuccess = new AtomicLong();
  private final AtomicLong gcLastCandidates = new AtomicLong();
  private final Clock clock;

  public LadingMetrics(Clock clock) {
    this.clock = clock;
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    uploadBytes = Counter.builder("lading.upload.bytes")
        .description("Body bytes received by blob upload requests")
        .baseUnit("bytes")
        .register(registry);
    connectionsRefused = Counter.builder("lading.http.connections.refused")
        .description("Connections answered 503 because http.max_connections were open")
        .register(registry);
    for (String kind : new String[] {"header", "idle", "body_stall"}) {
      // Present at zero from the start, so a rate over them works before the first timeout.
      timeouts(kind);
    }
  }

  @Override
  public void finished(String route, String method, int status, long nanos) {
    Timer.builder("lading.http.requests")
        .description("HTTP requests by route, method and status, from first byte to last response byte")
        .tag("route", route)
        .tag("method", method)
        .tag("status", Integer.toString(status))
        .register(registry)
        .record(nanos, TimeUnit.NANOSECONDS);
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
        .description("Connections closed because the client kept the server waiting, by kind"
            + " (header, idle, body_stall)")
        .tag("kind", kind)
        .register(registry);
  }

  @Override
  public void refused() {
    connectionsRefused.increment();
  }

  /** Exports the number of connections being served. */
  public void bindOpenConnections(IntSupplier open) {
    Gauge.builder("lading.http.connections.open", open, IntSupplier::getAsInt)
        .description("Connections being served (those refused at the ceiling not counted)")
        .register(registry);
  }

  /** Exports {@code gc}'s runs, and {@code collector}'s phases while a run goes on. */
  public void bindGc(OnlineCollector gc, GarbageCollector collector) {
    Gauge.builder("lading.gc.running", gc, g -> g.status().running() ? 1 : 0)
        .description("1 while a GC run started by this instance is in progress")
        .register(registry);
    Gauge.builder("lading.gc.phase", gcPhase, AtomicLong::get)
        .description("The phase the current run reached (0 announced, 1 listed, 2 marked,"
            + " 3 intents written, 4 swept, 5 done; -1 before the first run)")
        .register(registry);
    Gauge.builder("lading.gc.candidates", gcLastCandidates, AtomicLong::get)
        .description("Candidates the current or last run's mark found")
        .register(registry);
    Gauge.builder("lading.gc.last.success", gcLastSuccess, AtomicLong::get)
        .description("When the last GC run succeeded, seconds since the epoch (0: never)")
        .baseUnit("seconds")
        .register(registry);
    collector.setProgress((phase, count) -> {
      gcPhase.set(phase.ordinal());
      if (phase == GarbageCollector.Phase.MARKED) {
        gcLastCandidates.set(count);
      }
    });
    gc.addListener(new OnlineCollector.Listener() {
      @Override
      public void finished(GcStats stats, Duration took) {
        String mode = stats.dryRun() ? "dry-run" : "real";
        runs("success", mode).increment();
        Timer.builder("lading.gc.duration").description("Duration of GC runs")
            .tag("mode", mode).register(registry).record(took);
        Timer.builder("lading.gc.mark.duration").description("Mark phase of GC runs")
            .tag("mode", mode).register(registry).record(Duration.ofMillis(stats.markMillis()));
        Timer.builder("lading.gc.sweep.duration").description("Sweep phase of GC runs")
            .tag("mode", mode).register(registry).record(Duration.ofMillis(stats.sweepMillis()));
        DistributionSummary.builder("lading.gc.marked.manifests")
            .description("Manifests a run's mark kept").tag("mode", mode).register(registry)
            .record(stats.manifestsKept());
        if (!stats.dryRun()) {
          swept("blobs", stats.blobsSwept());
          swept("manifests", stats.manifestsSwept());
          swept("layer_links", stats.layerLinksSwept());
          swept("referrer_entries", stats.referrerEntriesSwept());
          swept("stray_data", stats.strayDataSwept());
          swept("uploads", stats.uploadsExpired());
          swept("abandoned_writes", stats.abandonedWrites());
          Counter.builder("lading.gc.swept.bytes").description("Blob bytes GC freed")
              .baseUnit("bytes").register(registry).increment(stats.bytesFreed());
          Counter.builder("lading.gc.protected").description("Candidates the fence kept for pushers")
              .register(registry).increment(stats.protectedByFence());
        }
        gcLastSuccess.set(clock.instant().getEpochSecond());
      }

      @Override
      public void failed(Throwable failure) {
        runs("failure", "any").increment();
      }
    });
  }

  private Counter runs(String outcome, String mode) {
    return Counter.builder("lading.gc.runs").description("GC runs by outcome")
        .tag("outcome", outcome).tag("mode", mode).register(registry);
  }

  private void swept(String kind, long count) {
    Counter.builder("lading.gc.swept").description("Objects GC removed, by kind")
        .tag("kind", kind).register(registry).increment(count);
  }

  /** The Prometheus text exposition of every meter. */
  public String scrape() {
    return registry.scrape();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }
}
