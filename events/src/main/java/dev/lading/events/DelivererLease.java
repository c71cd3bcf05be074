package dev.lading.events;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.EventDelivererKey;
import dev.lading.core.layout.StoredValues.EventDeliverer;
import dev.lading.core.storage.AllKeys;
import dev.lading.core.storage.ObjectStore;
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
 * Which instance delivers events: the one whose {@code events/deliverers/<id>} object is the only
 * one not expired. The store has no compare-and-swap, so the lease is won the way GC runs arbitrate
 * ({@code RunLease}): write one's own object, then list; an instance that sees another live object
 * gives way (deletes its own). Of two instances that try at once at least the later lister sees the
 * other, so at most one ends up delivering; when both give way, each tries again after a random
 * part of the lease. A holder keeps the lease by renewing it every quarter of its length; a holder
 * that could not renew in time (a long pause, a store outage) has lost it and competes anew, so it
 * never delivers on a lease another instance may already hold.
 */
final class DelivererLease {
  private static final Logger LOG = LoggerFactory.getLogger(DelivererLease.class);

  private final ObjectStore store;
  private final Clock clock;
  private final String id;
  private final String key;
  private final Duration length;
  private volatile Instant until = Instant.MIN;

  DelivererLease(ObjectStore store, Clock clock, String id, Duration length) {
    this.store = store;
    this.clock = clock;
    this.id = id;
    this.key = StorageLayout.keyOf(new EventDelivererKey(id));
    this.length = length;
  }

  /** Whether this instance holds the lease with at least half of it left. */
  boolean held() {
    return clock.instant().plus(length.dividedBy(2)).isBefore(until);
  }

  /** How long to wait before the next {@link #tend}. */
  Duration tendEvery() {
    return length.dividedBy(4);
  }

  /** Renews a held lease, or tries to take a free one. */
  void tend() {
    try {
      if (clock.instant().isBefore(until)) {
        write();
        return;
      }
      until = Instant.MIN;
      List<String> others = liveOthers();
      if (!others.isEmpty()) {
        return;
      }
      Instant next = write();
      if (!liveOthers().isEmpty()) {
        until = Instant.MIN;
        store.delete(List.of(key));
        return;
      }
      until = next;
      LOG.info("events: this instance delivers events now (lease {})", id);
    } catch (IOException | RuntimeException e) {
      LOG.warn("events: could not tend the deliverer lease: {}", e.toString());
    }
  }

  /** Gives the lease up, so another instance takes over without waiting for it to expire. */
  void release() {
    until = Instant.MIN;
    try {
      store.delete(List.of(key));
    } catch (IOException | RuntimeException e) {
      LOG.warn("events: could not release the deliverer lease: {}", e.toString());
    }
  }

  private Instant write() throws IOException {
    Instant next = clock.instant().plus(length);
    store.write(key, new EventDeliverer(id, next).write());
    return next;
  }

  /**
   * Other deliverers' objects not yet expired; those expired for a whole lease more (room for
   * clocks that differ between instances) are deleted on the way.
   */
  private List<String> liveOthers() throws IOException {
    List<String> live = new ArrayList<>();
    List<String> dead = new ArrayList<>();
    for (String other : AllKeys.under(store, StorageLayout.eventDeliverersPrefix())) {
      if (other.equals(key)) {
        continue;
      }
      Optional<byte[]> bytes = store.read(other);
      if (bytes.isEmpty()) {
        continue;
      }
      Instant expires;
      try {
        expires = EventDeliverer.read(bytes.get()).expiresAt();
      } catch (RuntimeException e) {
        dead.add(other);
        continue;
      }
      if (expires.isAfter(clock.instant())) {
        live.add(other);
      } else if (expires.plus(length).isBefore(clock.instant())) {
        dead.add(other);
      }
    }
    if (!dead.isEmpty()) {
      store.delete(dead);
    }
    return live;
  }
}
