package dev.lading.storage.s3;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.ref.Cleaner;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The bytes of part buffers all multipart writes of one store may hold at once. A write reserves a
 * whole part before it buffers its first byte and gives it back when it suspends, completes or
 * aborts. When the budget is spent, {@link #reserve} waits: the request thread stops reading its
 * body, the server stops reading the socket, and TCP pushes back on the client. Memory therefore
 * never grows with the number of concurrent uploads, and no upload is ever killed for it.
 *
 * <p>Why whole parts, not bytes as they arrive: if writers took memory a slab at a time, N of them
 * could each hold most of a part and all wait for more, none able to fill and upload its part to
 * free memory: a deadlock. A writer that holds a whole part can always finish it.
 *
 * <p>Counted in KiB so a budget up to 2 TiB fits a {@link Semaphore}'s int permits; fair, so a
 * waiting writer is not overtaken forever. A reservation dropped without being released (a write
 * abandoned mid-request) is given back when it is garbage collected, as a safety net only.
 */
final class MemoryBudget {
  private static final Cleaner CLEANER = Cleaner.create();

  private final Semaphore kibibytes;
  private final long capacity;

  MemoryBudget(long bytes) {
    if (bytes < 1024) {
      throw new IllegalArgumentException("memory budget below 1 KiB");
    }
    this.capacity = bytes / 1024 * 1024;
    this.kibibytes = new Semaphore(Math.toIntExact(bytes / 1024), true);
  }

  /** Bytes the budget holds in all. */
  long capacity() {
    return capacity;
  }

  /** Bytes not reserved right now. */
  long available() {
    return kibibytes.availablePermits() * 1024L;
  }

  /** Whether some write is waiting for memory right now. */
  boolean hasWaiters() {
    return kibibytes.hasQueuedThreads();
  }

  /** Waits until {@code bytes} (rounded up to KiB) are free and takes them. */
  Reservation reserve(long bytes) throws IOException {
    int permits = permits(bytes);
    try {
      kibibytes.acquire(permits);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for upload memory");
    }
    return new Reservation(this, permits);
  }

  /** Takes {@code bytes} only when they are free now; empty otherwise. */
  Optional<Reservation> tryReserve(long bytes) {
    int permits = permits(bytes);
    return kibibytes.tryAcquire(permits)
        ? Optional.of(new Reservation(this, permits))
        : Optional.empty();
  }

  private int permits(long bytes) {
    if (bytes <= 0 || bytes > capacity) {
      throw new IllegalArgumentException(
          "cannot reserve " + bytes + " bytes of a " + capacity + "-byte budget");
    }
    return Math.toIntExact((bytes + 1023) / 1024);
  }

  /** Memory taken from the budget; {@link #close()} gives it back, once. */
  static final class Reservation implements AutoCloseable {
    private final long bytes;
    private final Release release;
    private final Cleaner.Cleanable cleanable;

    private Reservation(MemoryBudget budget, int permits) {
      this.bytes = permits * 1024L;
      this.release = new Release(budget.kibibytes, permits);
      this.cleanable = CLEANER.register(this, release);
    }

    long bytes() {
      return bytes;
    }

    @Override
    public void close() {
      cleanable.clean();
    }
  }

  /** Holds no reference to the reservation, so the cleaner can run once it is unreachable. */
  private record Release(Semaphore semaphore, int permits, AtomicBoolean done) implements Runnable {
    Release(Semaphore semaphore, int permits) {
      this(semaphore, permits, new AtomicBoolean());
    }

    @Override
    public void run() {
      if (done.compareAndSet(false, true)) {
        semaphore.release(permits);
      }
    }
  }
}
