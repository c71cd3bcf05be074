package dev.lading.core.concurrent;

import java.util.concurrent.CountDownLatch;

/**
 * Waits that an interrupt cannot cut short, for the places where leaving early would be wrong: a
 * buffer the kernel may still be reading, a writer thread that still holds the upload. The
 * interrupt is not lost: the thread's interrupt status is set again when the wait is over.
 */
public final class Uninterruptibly {
  private Uninterruptibly() {}

  /** {@link Thread#join()} until {@code thread} has ended. */
  public static void join(Thread thread) {
    waitFor(thread::join);
  }

  /** {@link CountDownLatch#await()} until {@code latch} has counted down. */
  public static void await(CountDownLatch latch) {
    waitFor(latch::await);
  }

  private interface Wait {
    void run() throws InterruptedException;
  }

  private static void waitFor(Wait wait) {
    boolean interrupted = false;
    while (true) {
      try {
        wait.run();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
