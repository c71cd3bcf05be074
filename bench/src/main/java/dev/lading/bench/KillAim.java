package dev.lading.bench;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Lets the crash loop aim a kill at a closing {@code PUT} of an upload session, the request whose
 * commit (data completed, record and link written, session marked done) has the narrowest windows
 * and the worst consequences when a crash splits them. Kills on a timer alone land there rarely; a
 * worker calls {@link #closingPutSent} just before it sends one, and the crash loop waits for that,
 * then kills a few milliseconds later.
 */
final class KillAim {

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition sent = lock.newCondition();
  private long closingPuts;

  void closingPutSent() {
    lock.lock();
    try {
      closingPuts++;
      sent.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Waits up to {@code millis} for a worker to send a closing PUT; false when none came. */
  boolean awaitClosingPut(long millis) throws InterruptedException {
    lock.lock();
    try {
      long seen = closingPuts;
      long nanos = TimeUnit.MILLISECONDS.toNanos(millis);
      while (closingPuts == seen) {
        if (nanos <= 0) {
          return false;
        }
        nanos = sent.awaitNanos(nanos);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }
}
