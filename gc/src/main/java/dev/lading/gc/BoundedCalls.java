package dev.lading.gc;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * Many independent store calls at once, on virtual threads, at most {@code parallelism} in flight.
 * A run over 100,000 blob records is a round trip per record on S3; one after another that is
 * minutes, with a few dozen in flight it is seconds, and the bound keeps the store's connection
 * pool (and a filesystem's open files) from being flooded.
 */
final class BoundedCalls {

  /** One store call for one input. */
  @FunctionalInterface
  interface Call<T, R> {
    R apply(T input) throws IOException;
  }

  private final int parallelism;

  BoundedCalls(int parallelism) {
    if (parallelism < 1) {
      throw new IllegalArgumentException("parallelism must be positive");
    }
    this.parallelism = parallelism;
  }

  /**
   * {@code call} applied to every input, results in the inputs' order; the first failure is thrown
   * once every call has ended (none is left running behind the caller's back).
   */
  <T, R> List<R> map(Collection<T> inputs, Call<T, R> call) throws IOException {
    if (inputs.size() <= 1 || parallelism == 1) {
      List<R> out = new ArrayList<>(inputs.size());
      for (T input : inputs) {
        out.add(call.apply(input));
      }
      return out;
    }
    Semaphore permits = new Semaphore(parallelism);
    List<Future<R>> futures = new ArrayList<>(inputs.size());
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (T input : inputs) {
        permits.acquire();
        futures.add(
            threads.submit(
                () -> {
                  try {
                    return call.apply(input);
                  } finally {
                    permits.release();
                  }
                }));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      futures.forEach(f -> f.cancel(true));
      throw new InterruptedIOException("gc interrupted");
    }
    List<R> out = new ArrayList<>(futures.size());
    for (Future<R> f : futures) {
      try {
        out.add(f.get());
      } catch (ExecutionException e) {
        if (e.getCause() instanceof IOException io) {
          throw io;
        }
        if (e.getCause() instanceof RuntimeException r) {
          throw r;
        }
        throw new IOException(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("gc interrupted");
      }
    }
    return out;
  }
}
