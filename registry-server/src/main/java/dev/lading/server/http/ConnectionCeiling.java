package dev.lading.server.http;

import io.netty.channel.Channel;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The most connections served at once. Every connection holds a file descriptor and buffers, and
 * the store needs descriptors too; past the ceiling a connection is not served but answered {@code
 * 503} with {@code Retry-After} (by {@link RegistryConnectionHandler}) and closed, which tells a
 * client to come back instead of leaving it waiting in the accept queue.
 */
public final class ConnectionCeiling {
  /**
   * What a refusal asks the client to wait: most registry requests last seconds, so some
   * connections have ended by then, and a client retrying sooner would only add to the load.
   */
  static final int RETRY_AFTER_SECONDS = 5;

  private final int max;
  private final ConnectionMetrics metrics;
  private final AtomicInteger open = new AtomicInteger();

  public ConnectionCeiling(int max, ConnectionMetrics metrics) {
    if (max < 1) {
      throw new IllegalArgumentException("max must be positive: " + max);
    }
    this.max = max;
    this.metrics = metrics;
  }

  /**
   * Counts {@code channel} as open until it closes, or, at the ceiling, counts a refusal and
   * returns false (a refused connection is not counted as open: it is never served).
   */
  boolean admit(Channel channel) {
    while (true) {
      int n = open.get();
      if (n >= max) {
        metrics.refused();
        return false;
      }
      if (open.compareAndSet(n, n + 1)) {
        break;
      }
    }
    channel.closeFuture().addListener(f -> open.decrementAndGet());
    return true;
  }

  /** Connections served now. */
  public int open() {
    return open.get();
  }
}
