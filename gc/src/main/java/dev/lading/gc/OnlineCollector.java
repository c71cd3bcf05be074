package dev.lading.gc;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GC inside a running server: on a schedule and on demand, one run at a time in this process
 * (runs from other instances are harmless, see the package documentation), with the last
 * result kept for a status endpoint and a later metrics module.
 */
public final class OnlineCollector implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OnlineCollector.class);

  /** What a status endpoint shows. */
  public record Status(boolean running, long runs, Optional<Instant> lastFinished,
      Optional<GcStats> last, Optional<String> lastError) {}

  private final GarbageCollector collector;
  private final GcOptions options;
  private final Clock clock;
  private final AtomicBoolean running = new AtomicBoolean();
  private final ScheduledExecutorService scheduler;
  private volatile long runs;
  private volatile Instant lastFinished;
  private volatile GcStats last;
  private volatile String lastError;

  public OnlineCollector(GarbageCollector collector, GcOptions options, Clock clock) {
    this.collector = Objects.requireNonNull(collector);
    this.options = Objects.requireNonNull(options);
    this.clock = Objects.requireNonNull(clock);
    this.scheduler = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name("lading-gc").daemon(true).factory());
  }

  /** Runs every {@code interval} (first run after one interval). */
  public void schedule(Duration interval) {
    if (!interval.isPositive()) {
      throw new IllegalArgumentException("interval must be positive");
    }
    scheduler.scheduleWithFixedDelay(
        this::runIfIdle, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    LOG.info("online gc every {}", interval);
  }

  /** Starts a run in the background unless one is running; false when one was. */
  public boolean trigger() {
    if (running.get()) {
      return false;
    }
    scheduler.execute(this::runIfIdle);
    return true;
  }

  public Status status() {
    return new Status(running.get(), runs, Optional.ofNullable(lastFinished),
        Optional.ofNullable(last), Optional.ofNullable(lastError));
  }

  private void runIfIdle() {
    if (!running.compareAndSet(false, true)) {
      return;
    }
    try {
      last = collector.run(options);
      lastError = null;
    } catch (RuntimeException e) {
      lastError = e.toString();
      LOG.warn("gc run failed; the next run starts over", e);
    } finally {
      runs++;
      lastFinished = clock.instant();
      running.set(false);
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
