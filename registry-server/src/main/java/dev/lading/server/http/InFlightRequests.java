package dev.lading.server.http;

import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/** Counts requests between their first byte and their response's last, for graceful shutdown. */
public final class InFlightRequests {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition idle = lock.newCondition();
  private int count;

  void started() {
    lock.lock();
    try {
      count++;
    } finally {
      lock.unlock();
    }
  }

  void finished() {
    lock.lock();
    try {
      count--;
      if (count <= 0) {
        idle.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  public int count() {
    lock.lock();
    try {
      return count;
    } finally {
      lock.unlock();
    }
  }

  /** Waits until no request is in flight; false when {@code timeout} passed first. */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    long remaining = timeout.toNanos();
    lock.lock();
    try {
      while (count > 0) {
        if (remaining <= 0) {
          return false;
        }
        remaining = idle.awaitNanos(remaining);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }
}
