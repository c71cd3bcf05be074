package dev.lading.core.registry;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.PullRecordKey;
import dev.lading.core.layout.StoredValues.PullRecord;
import dev.lading.core.model.Digest;
import dev.lading.core.model.Reference;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import dev.lading.core.storage.ObjectStore;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * "Last pulled", recorded cheaply: a pull updates a map in memory (no store call), and {@link
 * #flush} writes, for each repository pulled since the last flush, one object per repository and
 * instance ({@code repositories/<name>/_pulls/<instance>}, the instance a UUID chosen when this log
 * starts) holding every tag and digest this instance saw pulled there since it started, each with
 * its latest time to the second. The server flushes every {@code policies.pulls_flush_seconds} and
 * once when it stops, so the store's view is stale by at most one flush interval (plus a stop that
 * never flushed: a killed process loses its last interval). Readers (retention) take the latest
 * time over every instance's record.
 *
 * <p>Bounded: at most {@link #DEFAULT_MAX_ENTRIES} tags and digests in all; past that a pull of a
 * name not yet recorded is counted as dropped (and logged once) instead of recorded, while names
 * already recorded keep being updated. A restarted instance starts a new record; the old one stays
 * until GC removes it once it is too old to keep anything.
 */
public final class PullLog implements PullRecorder {
  private static final Logger LOG = LoggerFactory.getLogger(PullLog.class);

  /** Tags and digests one instance records at most (about 100 bytes each in memory). */
  public static final int DEFAULT_MAX_ENTRIES = 100_000;

  private final ObjectStore store;
  private final Clock clock;
  private final String instance = UUID.randomUUID().toString();
  private final int maxEntries;
  private final Map<RepositoryName, Pulls> pulls = new ConcurrentHashMap<>();
  private final AtomicInteger entries = new AtomicInteger();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicBoolean warned = new AtomicBoolean();

  /** One repository's pulls, and whether any came since the last flush. */
  private static final class Pulls {
    final Map<String, Instant> tags = new ConcurrentHashMap<>();
    final Map<Digest, Instant> digests = new ConcurrentHashMap<>();
    final AtomicBoolean dirty = new AtomicBoolean();
  }

  public PullLog(ObjectStore store, Clock clock) {
    this(store, clock, DEFAULT_MAX_ENTRIES);
  }

  public PullLog(ObjectStore store, Clock clock, int maxEntries) {
    this.store = Objects.requireNonNull(store, "store");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.maxEntries = maxEntries;
  }

  @Override
  public void pulled(RepositoryName repository, Reference reference, Digest digest) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    Pulls p = pulls.computeIfAbsent(repository, r -> new Pulls());
    boolean changed = false;
    if (reference instanceof Tag tag) {
      changed |= put(p.tags, tag.value(), now);
    }
    changed |= put(p.digests, digest, now);
    if (changed) {
      p.dirty.set(true);
    }
  }

  /** Records {@code now} unless the time is already there; false when nothing changed. */
  private <K> boolean put(Map<K, Instant> map, K key, Instant now) {
    Instant before = map.get(key);
    if (before != null) {
      if (!now.isAfter(before)) {
        return false;
      }
      map.put(key, now);
      return true;
    }
    if (entries.incrementAndGet() > maxEntries) {
      entries.decrementAndGet();
      dropped.incrementAndGet();
      if (warned.compareAndSet(false, true)) {
        LOG.warn(
            "pull log full ({} tags and digests): further new names are not recorded", maxEntries);
      }
      return false;
    }
    Instant raced = map.putIfAbsent(key, now);
    if (raced == null) {
      return true;
    }
    entries.decrementAndGet(); // another pull recorded the name first
    if (now.isAfter(raced)) {
      map.put(key, now);
      return true;
    }
    return false;
  }

  /** Pulls of names not recorded because the log was full. */
  public long dropped() {
    return dropped.get();
  }

  /** This instance's id in the keys it writes. */
  public String instance() {
    return instance;
  }

  /**
   * Writes the record of every repository pulled since the last flush (one write each). A failed
   * write leaves the repository dirty for the next flush.
   */
  public void flush() throws IOException {
    IOException failure = null;
    for (Map.Entry<RepositoryName, Pulls> e : pulls.entrySet()) {
      Pulls p = e.getValue();
      if (!p.dirty.getAndSet(false)) {
        continue;
      }
      try {
        store.write(
            StorageLayout.keyOf(new PullRecordKey(e.getKey(), instance)),
            new PullRecord(Map.copyOf(p.tags), Map.copyOf(p.digests)).write());
      } catch (IOException | RuntimeException ex) {
        p.dirty.set(true);
        if (failure == null) {
          failure = ex instanceof IOException io ? io : new IOException(ex);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
