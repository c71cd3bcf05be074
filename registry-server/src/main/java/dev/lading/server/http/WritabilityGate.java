package dev.lading.server.http;

import io.netty.channel.Channel;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Lets a virtual thread writing a response wait until the channel's outbound buffer drained below
 * its low water mark, so a slow client bounds the memory a download holds. The event loop signals
 * it from {@code channelWritabilityChanged} and {@code channelInactive}.
 */
final class WritabilityGate {
  private final Channel channel;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();

  WritabilityGate(Channel channel) {
    this.channel = channel;
  }

  /** Called on the event loop whenever writability or liveness changed. */
  void signal() {
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Blocks until the channel is writable; throws when it closed meanwhile. */
  void awaitWritable() throws IOException {
    lock.lock();
    try {
      // Checked under the lock that signal() takes, so a change between check and await is not
      // lost.
      while (!channel.isWritable() && channel.isActive()) {
        changed.await();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for the client to read");
    } finally {
      lock.unlock();
    }
    if (!channel.isActive()) {
      throw new IOException("connection closed by the client");
    }
  }
}
