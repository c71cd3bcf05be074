package dev.lading.core.concurrent;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiFunction;

/**
 * Independent blocking calls (store round trips) side by side on virtual threads, for a request
 * that needs several: a manifest's references are checked at once instead of one round trip after
 * another. Results come back in the calls' order; every call has ended before this returns or
 * throws (none is left running behind the caller), and the first failure in that order is rethrown
 * as it was thrown.
 */
public final class Concurrently {
  private Concurrently() {}

  /**
   * {@code first} and {@code second} side by side, or one after the other on the caller's thread
   * when not {@code sideBySide} (see {@link #call(List, boolean)}), their results combined by
   * {@code both}.
   */
  public static <A, B, R> R both(
      Callable<A> first,
      Callable<B> second,
      BiFunction<? super A, ? super B, R> both,
      boolean sideBySide) {
    List<Object> results = call(List.<Callable<Object>>of(first::call, second::call), sideBySide);
    @SuppressWarnings("unchecked") // the calls' own results, in their order
    A a = (A) results.get(0);
    @SuppressWarnings("unchecked")
    B b = (B) results.get(1);
    return both.apply(a, b);
  }

  public static <T> List<T> call(List<? extends Callable<T>> calls) {
    return call(calls, true);
  }

  /**
   * As {@link #call(List)}, or the calls one after another on the caller's thread when not {@code
   * sideBySide}: for calls that take less than the threads would (a local store's reads, see {@code
   * ObjectStore#callsAreRoundTrips}). The results and the failure rethrown are the same.
   */
  public static <T> List<T> call(List<? extends Callable<T>> calls, boolean sideBySide) {
    if (calls.size() <= 1 || !sideBySide) {
      List<T> out = new ArrayList<>(calls.size());
      for (Callable<T> call : calls) {
        out.add(run(call));
      }
      return out;
    }
    // The first call runs on the caller's thread, the rest on virtual threads: one hand-off
    // fewer, and the caller has nothing else to do while it waits.
    List<Future<T>> futures = new ArrayList<>(calls.size());
    T first;
    RuntimeException firstFailure = null;
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (Callable<T> call : calls.subList(1, calls.size())) {
        futures.add(threads.submit(call));
      }
      try {
        first = run(calls.get(0));
      } catch (RuntimeException e) {
        first = null;
        firstFailure = e;
      }
    } // close() waits for every call
    if (firstFailure != null) {
      throw firstFailure;
    }
    List<T> out = new ArrayList<>(calls.size());
    out.add(first);
    for (Future<T> future : futures) {
      try {
        out.add(future.resultNow());
      } catch (IllegalStateException failed) {
        throw rethrow(future);
      }
    }
    return out;
  }

  private static <T> T run(Callable<T> call) {
    try {
      return call.call();
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static RuntimeException rethrow(Future<?> failed) {
    Throwable cause;
    try {
      failed.get();
      return new IllegalStateException("a call failed without an exception");
    } catch (ExecutionException e) {
      cause = e.getCause();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new IllegalStateException(e);
    }
    if (cause instanceof RuntimeException r) {
      return r;
    }
    if (cause instanceof Error e) {
      throw e;
    }
    return new IllegalStateException(cause);
  }
}
