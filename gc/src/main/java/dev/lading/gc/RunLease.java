package dev.lading.gc;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.GcRunKey;
import dev.lading.core.layout.StoredValues.GcRun;
import dev.lading.core.registry.Pause;
import dev.lading.core.storage.ObjectInfo;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run's announcement {@code gc/runs/<id>}: a lease renewed in the background while the run goes
 * on, and the one-run-at-a-time arbitration between instances (see the package documentation: two
 * overlapping runs are not safe together).
 */
final class RunLease implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RunLease.class);

  /**
   * How long a run object counts as active without renewal. A live run renews it every quarter of
   * this, so pushers keep marking however long the run takes, and a killed run stops counting (for
   * pushers and for other runs) this long after its last renewal.
   */
  static final Duration MAX_LENGTH = Duration.ofMinutes(2);

  private final CollectorStore io;
  private final Clock clock;
  private final Pause pause;
  private final String key;
  private final String id;
  private final Instant startedAt;
  private final Duration length;
  private volatile Instant until;

  /** When the store stamped the first write: the run's start on the store's clock. */
  private final Instant announced;

  private final Thread renewer;
  private volatile boolean closed;

  RunLease(CollectorStore io, Clock clock, Pause pause, String id, Duration length)
      throws IOException {
    this.io = io;
    this.clock = clock;
    this.pause = pause;
    this.key = StorageLayout.keyOf(new GcRunKey(id));
    this.id = id;
    this.startedAt = clock.instant();
    this.length = length;
    write();
    // Read before any renewal moves the object's time: pushers learned of the run from here.
    this.announced = io.store.stat(key).map(ObjectInfo::lastModified).orElse(clock.instant());
    this.renewer = Thread.ofVirtual().name("lading-gc-lease").start(this::renew);
  }

  /** The run's start on the store's clock, the one that stamps the pushers' marks and links. */
  Instant announced() {
    return announced;
  }

  private void write() throws IOException {
    Instant next = clock.instant().plus(length);
    io.store.write(key, new GcRun(id, startedAt, next).write());
    until = next;
  }

  private void renew() {
    while (!closed) {
      try {
        pause.pause(length.dividedBy(4).isZero() ? Duration.ofMillis(1) : length.dividedBy(4));
      } catch (InterruptedException e) {
        return;
      }
      if (closed) {
        return;
      }
      try {
        write();
      } catch (IOException | RuntimeException e) {
        LOG.warn("gc run {}: could not renew its lease: {}", id, e.toString());
      }
    }
  }

  /** Whether the lease is surely still seen by pushers for a while (renewals are working). */
  boolean healthy() {
    return clock.instant().plus(length.dividedBy(2)).isBefore(until);
  }

  /**
   * Another instance's active run, if any. Both sides write their run object and then list the
   * runs, so of two overlapping runs at least the later lister sees the other. A crashed run's
   * object stops counting at its {@code expiresAt}; one expired for a whole lease more (room for
   * clocks that differ between instances) is deleted, so crashed runs do not pile up.
   */
  Optional<String> otherActiveRun() throws IOException {
    List<String> dead = new ArrayList<>();
    try {
      for (String other : io.allKeys(StorageLayout.gcRunsPrefix())) {
        if (other.equals(key)) {
          continue;
        }
        Optional<byte[]> bytes = io.store.read(other);
        if (bytes.isEmpty()) {
          continue;
        }
        try {
          Instant expires = GcRun.read(bytes.get()).expiresAt();
          if (expires.isAfter(clock.instant())) {
            return Optional.of(other);
          }
          if (expires.plus(MAX_LENGTH).isBefore(clock.instant())) {
            dead.add(other);
          }
        } catch (RuntimeException e) {
          LOG.warn("gc: unreadable run object {}; ignored", other);
        }
      }
      return Optional.empty();
    } finally {
      io.deleteBatched(dead);
    }
  }

  /**
   * The start of the oldest run still active on the store's clock ({@code fallback} when there is
   * none), or empty when a run object cannot be read: whose marks are still needed.
   */
  Optional<Instant> oldestActiveStart(Instant fallback) throws IOException {
    Instant oldest = fallback;
    for (String other : io.allKeys(StorageLayout.gcRunsPrefix())) {
      Optional<byte[]> bytes = io.store.read(other);
      Optional<ObjectInfo> info = io.store.stat(other);
      if (bytes.isEmpty() || info.isEmpty()) {
        continue;
      }
      try {
        GcRun run = GcRun.read(bytes.get());
        if (run.expiresAt().isAfter(clock.instant())
            && info.get().lastModified().isBefore(oldest)) {
          oldest = info.get().lastModified();
        }
      } catch (RuntimeException e) {
        return Optional.empty();
      }
    }
    return Optional.of(oldest);
  }

  /**
   * Stops renewing (waiting for a renewal in flight, so none lands after) and deletes the object.
   */
  @Override
  public void close() throws IOException {
    closed = true;
    renewer.interrupt();
    try {
      renewer.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    io.store.delete(List.of(key));
  }
}
