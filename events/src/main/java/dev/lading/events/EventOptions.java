package dev.lading.events;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How events are delivered.
 *
 * @param pullSampleRate the share of manifest pulls told as events: 0 (none, the default) to 1
 *     (every pull)
 * @param queueSize events an instance holds in memory before they are in the store; more are
 *     dropped
 * @param maxStored events the store holds per endpoint waiting for delivery; the oldest go beyond
 * @param maxFailed events given up that the store keeps per endpoint for a replay; the oldest go
 *     beyond; 0 keeps none
 * @param retryFor how long a failing event is retried before it is given up
 * @param requestTimeout the longest one POST may take (connecting included)
 * @param leaseLength how long the deliverer lease lasts without renewal: how soon another instance
 *     delivers after the deliverer died
 * @param pollInterval how often the deliverer looks for new batches in the store
 */
public record EventOptions(
    List<EventEndpoint> endpoints,
    double pullSampleRate,
    int queueSize,
    int maxStored,
    int maxFailed,
    Duration retryFor,
    Duration requestTimeout,
    Duration leaseLength,
    Duration pollInterval) {

  public static final double DEFAULT_PULL_SAMPLE_RATE = 0;
  public static final int DEFAULT_QUEUE_SIZE = 10_000;
  public static final int DEFAULT_MAX_STORED = 100_000;
  public static final int DEFAULT_MAX_FAILED = 10_000;
  public static final Duration DEFAULT_RETRY_FOR = Duration.ofHours(24);
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_LEASE_LENGTH = Duration.ofSeconds(30);
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);

  public EventOptions {
    endpoints = List.copyOf(endpoints);
    if (!(pullSampleRate >= 0 && pullSampleRate <= 1)) {
      throw new IllegalArgumentException("pullSampleRate must be between 0 and 1");
    }
    if (queueSize < 1 || maxStored < 1) {
      throw new IllegalArgumentException("queueSize and maxStored must be positive");
    }
    if (maxFailed < 0) {
      throw new IllegalArgumentException("maxFailed must not be negative");
    }
    Objects.requireNonNull(retryFor, "retryFor");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    Objects.requireNonNull(leaseLength, "leaseLength");
    Objects.requireNonNull(pollInterval, "pollInterval");
    if (endpoints.stream().map(EventEndpoint::name).distinct().count() != endpoints.size()) {
      throw new IllegalArgumentException("two event endpoints have the same name");
    }
  }

  /** No endpoints: events are off. */
  public static EventOptions none() {
    return of(List.of());
  }

  /** {@code endpoints} with every other setting at its default. */
  public static EventOptions of(List<EventEndpoint> endpoints) {
    return new EventOptions(
        endpoints,
        DEFAULT_PULL_SAMPLE_RATE,
        DEFAULT_QUEUE_SIZE,
        DEFAULT_MAX_STORED,
        DEFAULT_MAX_FAILED,
        DEFAULT_RETRY_FOR,
        DEFAULT_REQUEST_TIMEOUT,
        DEFAULT_LEASE_LENGTH,
        DEFAULT_POLL_INTERVAL);
  }

  public EventOptions withTiming(Duration leaseLength, Duration pollInterval) {
    return new EventOptions(
        endpoints,
        pullSampleRate,
        queueSize,
        maxStored,
        maxFailed,
        retryFor,
        requestTimeout,
        leaseLength,
        pollInterval);
  }

  public EventOptions withLimits(int queueSize, int maxStored, Duration retryFor) {
    return new EventOptions(
        endpoints,
        pullSampleRate,
        queueSize,
        maxStored,
        maxFailed,
        retryFor,
        requestTimeout,
        leaseLength,
        pollInterval);
  }

  public EventOptions withMaxFailed(int maxFailed) {
    return new EventOptions(
        endpoints,
        pullSampleRate,
        queueSize,
        maxStored,
        maxFailed,
        retryFor,
        requestTimeout,
        leaseLength,
        pollInterval);
  }
}
