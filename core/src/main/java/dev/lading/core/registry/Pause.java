package dev.lading.core.registry;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * How a component waits a while between polls of the store (a commit waiting out a GC intent, a GC
 * run waiting out its fence delay, a lease renewed every so often). Injected, so a test drives the
 * wait by advancing its own clock instead of sleeping, and an interrupt ends any wait at once.
 */
@FunctionalInterface
public interface Pause {

  /** Parks the calling thread for {@code duration} on the monotonic clock. */
  Pause PARK =
      duration -> {
        long deadline = System.nanoTime() + duration.toNanos();
        for (long left = duration.toNanos(); left > 0; left = deadline - System.nanoTime()) {
          LockSupport.parkNanos(left);
          if (Thread.interrupted()) {
            throw new InterruptedException("interrupted while pausing");
          }
        }
      };

  /**
   * Returns after {@code duration} (or at once when it is not positive).
   *
   * @throws InterruptedException when the thread is interrupted meanwhile (its flag cleared)
   */
  void pause(Duration duration) throws InterruptedException;
}
