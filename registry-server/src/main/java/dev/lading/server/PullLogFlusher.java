package dev.lading.server;

import dev.lading.core.registry.PullLog;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the pull log to the store every {@code policies.pulls_flush_seconds}, and once more when
 * the server stops, so retention's "last pulled" is at most one interval stale. Runs only when a
 * retention policy keeps tags by pulls ({@code keep_pulled_within_hours}): otherwise nobody reads
 * the records and a pull costs nothing at all.
 */
final class PullLogFlusher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PullLogFlusher.class);

  private final PullLog log;
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().name("lading-pull-log").daemon(true).factory());

  PullLogFlusher(PullLog log, Duration every) {
    this.log = log;
    scheduler.scheduleWithFixedDelay(
        this::flushQuietly, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    LOG.info("pull log {}: written every {}", log.instance(), every);
  }

  private void flushQuietly() {
    try {
      log.flush();
    } catch (IOException | RuntimeException e) {
      LOG.warn("pull log: could not write the pulls recorded; trying again next time", e);
    }
  }

  /** Stops the schedule and writes what is left (before the store closes). */
  @Override
  public void close() {
    scheduler.shutdownNow();
    flushQuietly();
  }
}
