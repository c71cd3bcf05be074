package dev.lading.core.registry;

import dev.lading.core.storage.ObjectInfo;
import dev.lading.core.storage.ObjectStore;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A store that holds each read, stat or write of the keys it is armed with until calls on all of
 * them have started: an operation that makes them one after another waits out the timeout on the
 * first and is caught by {@link #met()}; one that makes them side by side (one round trip on S3)
 * passes at once. It looks remote ({@link RoundTripStore}): its batches go a step at a time, each
 * write through the calls below.
 */
final class MeetingStore extends RoundTripStore {
  private volatile Set<String> keys = Set.of();
  private volatile CountDownLatch allStarted = new CountDownLatch(0);
  private volatile boolean met = true;
  private volatile boolean writesOnly;

  MeetingStore(ObjectStore delegate) {
    super(delegate);
  }

  /** From now on, calls on {@code keys} wait for each other. */
  void arm(Set<String> keys) {
    arm(keys, false);
  }

  /** As {@link #arm(Set)}, for writes only: reads and stats of the keys go through at once. */
  void armWrites(Set<String> keys) {
    arm(keys, true);
  }

  private void arm(Set<String> keys, boolean writesOnly) {
    this.allStarted = new CountDownLatch(keys.size());
    this.keys = Set.copyOf(keys);
    this.writesOnly = writesOnly;
    this.met = true;
  }

  /** Whether every armed read found all the others started within its wait. */
  boolean met() {
    return met && allStarted.getCount() == 0;
  }

  private void meetReading(String key) {
    if (!writesOnly) {
      meet(key);
    }
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

  @Override
  public Optional<ObjectInfo> stat(String key) throws IOException {
    meetReading(key);
    return super.stat(key);
  }

  @Override
  public Optional<byte[]> read(String key) throws IOException {
    meetReading(key);
    return super.read(key);
  }

  @Override
  public void write(String key, byte[] content) throws IOException {
    meet(key);
    super.write(key, content);
  }

  @Override
  public boolean writeIfAbsent(String key, byte[] content) throws IOException {
    meet(key);
    return super.writeIfAbsent(key, content);
  }

  @Override
  public void writeRevertible(String key, byte[] content) throws IOException {
    meet(key);
    super.writeRevertible(key, content);
  }
}
