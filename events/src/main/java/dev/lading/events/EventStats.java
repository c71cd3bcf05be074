package dev.lading.events;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Counters a metrics module exports as they are. */
public final class EventStats {
  /** Why events were lost. */
  public enum Drop {
    /** The in-memory queue was full (the store is slower than the events coming in). */
    QUEUE_FULL,
    /** The store refused the batch's write, after retries. */
    STORE_ERROR,
    /** The endpoint's queue in the store held more than {@code max_stored} events. */
    STORE_FULL,
    /** The endpoint refused it for good, or kept failing for longer than {@code retry_for}. */
    GIVEN_UP
  }

  private final LongAdder published = new LongAdder();
  private final LongAdder stored = new LongAdder();
  private final Map<Drop, LongAdder> dropped = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> delivered = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> failedAttempts = new ConcurrentHashMap<>();

  /** Events accepted into the queue. */
  public long published() {
    return published.sum();
  }

  /** Event copies written to the store (one per endpoint that wants the event). */
  public long stored() {
    return stored.sum();
  }

  public long dropped(Drop why) {
    return counter(dropped, why).sum();
  }

  public long delivered(String endpoint) {
    return counter(delivered, endpoint).sum();
  }

  /** POSTs that failed and will be retried or given up. */
  public long failedAttempts(String endpoint) {
    return counter(failedAttempts, endpoint).sum();
  }

  void published(int n) {
    published.add(n);
  }

  void stored(int n) {
    stored.add(n);
  }

  void dropped(Drop why, int n) {
    counter(dropped, why).add(n);
  }

  void countDelivered(String endpoint, int n) {
    counter(delivered, endpoint).add(n);
  }

  void countFailedAttempt(String endpoint) {
    counter(failedAttempts, endpoint).increment();
  }

  private static <K> LongAdder counter(Map<K, LongAdder> map, K key) {
    return map.computeIfAbsent(key, k -> new LongAdder());
  }
}
