package dev.lading.bench;

import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Lets a checkpoint stop the soak's moving parts (workers between operations, the crash loop
 * between kills, the GC trigger) and have the ledger to itself: each step runs inside {@link
 * #step}, a checkpoint inside {@link #paused}, which waits for the steps in flight to end and holds
 * new ones back. The lock also publishes every ledger write made in a step to the checkpoint, and
 * the checkpoint's to the steps after it.
 */
final class PauseGate {

  @FunctionalInterface
  interface Step<E extends Exception> {
    void run() throws E;
  }

  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

  <E extends Exception> void step(Step<E> step) throws E {
    lock.readLock().lock();
    try {
      step.run();
    } finally {
      lock.readLock().unlock();
    }
  }

  <E extends Exception> void paused(Step<E> checkpoint) throws E {
    lock.writeLock().lock();
    try {
      checkpoint.run();
    } finally {
      lock.writeLock().unlock();
    }
  }
}
