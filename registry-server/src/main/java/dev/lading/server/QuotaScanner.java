package dev.lading.server;

import dev.lading.core.registry.StoreRegistry;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recounts the quotas' usage from the store ({@link StoreRegistry#scanQuotas}) at start and then
 * every {@code policies.quotas_scan_seconds}, on one virtual thread; {@link #rescan} runs one at
 * once (after a reload put new quotas in force). A failed scan is logged and the previous tallies
 * stay in force until the next one. No quotas: the thread sleeps and scans nothing.
 */
final class QuotaScanner implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(QuotaScanner.class);

  private final StoreRegistry registry;
  private final Semaphore wake = new Semaphore(0);
  private final Thread thread;
  private volatile Duration interval;
  private volatile boolean closed;

  QuotaScanner(StoreRegistry registry, Duration interval) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.interval = Objects.requireNonNull(interval, "interval");
    this.thread = Thread.ofVirtual().name("lading-quota-scan").start(this::loop);
  }

  /** Scans as soon as possible, and from then on every {@code next}. */
  void rescan(Duration next) {
    interval = Objects.requireNonNull(next, "next");
    wake.release();
  }

  private void loop() {
    while (!closed) {
      if (!registry.quotas().isEmpty()) {
        try {
          registry.scanQuotas();
        } catch (RuntimeException e) {
          log.warn("quota scan failed, usage stays as last counted: {}", e.toString());
        }
      }
      try {
        wake.tryAcquire(interval.toMillis(), TimeUnit.MILLISECONDS);
        wake.drainPermits();
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
  }
}
