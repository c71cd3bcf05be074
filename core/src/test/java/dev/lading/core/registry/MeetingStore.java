package dev.lading.core.registry;

import dev.lading.core.storage.ForwardingObjectStore;
import dev.lading.core.storage.ObjectInfo;
import dev.lading.core.storage.ObjectStore;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A store that holds each read (or stat) of the keys it is armed with until reads of all of them
 * have started: an operation that reads them one after another waits out the timeout on the first
 * and is caught by {@link #met()}; one that reads them side by side (one round trip on S3) passes
 * at once.
 */
final class MeetingStore extends ForwardingObjectStore {
  private volatile Set<String> keys = Set.of();
  private volatile CountDownLatch allStarted = new CountDownLatch(0);
  private volatile boolean met = true;

  MeetingStore(ObjectStore delegate) {
    super(delegate);
  }

  /** From now on, reads of {@code keys} wait for each other. */
  void arm(Set<String> keys) {
    this.allStarted = new CountDownLatch(keys.size());
    this.keys = Set.copyOf(keys);
    this.met = true;
  }

  /** Whether every armed read found all the others started within its wait. */
  boolean met() {
    return met && allStarted.getCount() == 0;
  }

  private void meet(String key) {
    if (keys.contains(key)) {
      CountDownLatch latch = allStarted;
      latch.countDown();
      try {
        met &= latch.await(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        met = false;
      }
    }
  }

  /** As a store across a network, whose reads the registry makes side by side. */
  @Override
  public boolean callsAreRoundTrips() {
    return true;
  }

  @Override
  public Optional<ObjectInfo> stat(String key) throws IOException {
    meet(key);
    return super.stat(key);
  }

  @Override
  public Optional<byte[]> read(String key) throws IOException {
    meet(key);
    return super.read(key);
  }
}
