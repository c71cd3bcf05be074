package dev.lading.bench;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Many keep-alive connections sending one small request in a closed loop for a fixed time, each on
 * a virtual thread. A warm-up phase lets the server's JIT settle; only requests started after it
 * count. Every answer's status is checked; a wrong one fails the run rather than inflate the
 * request rate.
 */
final class LoadHammer {

  /** The request each connection repeats, and the status it must get. */
  record Request(String method, String target, Map<String, String> headers, int expectedStatus) {}

  record Summary(
      long requests, double seconds, double p50Millis, double p99Millis, double maxMillis) {
    double requestsPerSecond() {
      return requests / seconds;
    }
  }

  private LoadHammer() {}

  static Summary run(
      RegistryClient client, Request request, int connections, Duration warmup, Duration duration)
      throws IOException, InterruptedException {
    CountDownLatch connected = new CountDownLatch(connections);
    CountDownLatch go = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long[] window = new long[2];
    List<Future<long[]>> workers = new ArrayList<>();
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < connections; i++) {
        workers.add(
            threads.submit(
                () -> {
                  HttpConnection connection = null;
                  try {
                    connection = client.connect();
                    connected.countDown();
                    go.await();
                    return loop(client, connection, request, window[0], window[1]);
                  } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                    connected.countDown();
                    return new long[0];
                  } finally {
                    if (connection != null) {
                      connection.close();
                    }
                  }
                }));
      }
      connected.await();
      long start = System.nanoTime();
      window[0] = start + warmup.toNanos();
      window[1] = window[0] + duration.toNanos();
      go.countDown();
    }
    if (failure.get() != null) {
      throw new IOException(
          request.method() + " " + request.target() + ": " + failure.get(), failure.get());
    }
    long total = 0;
    List<long[]> parts = new ArrayList<>();
    for (Future<long[]> worker : workers) {
      try {
        long[] latencies = worker.get();
        parts.add(latencies);
        total += latencies.length;
      } catch (ExecutionException e) {
        throw new IOException(e.getCause());
      }
    }
    long[] merged = new long[(int) total];
    int at = 0;
    for (long[] part : parts) {
      System.arraycopy(part, 0, merged, at, part.length);
      at += part.length;
    }
    Arrays.sort(merged);
    if (merged.length == 0) {
      throw new IOException("no request completed in the measured window");
    }
    return new Summary(
        merged.length,
        duration.toNanos() / 1e9,
        Measurement.percentile(merged, 0.50) / 1e6,
        Measurement.percentile(merged, 0.99) / 1e6,
        merged[merged.length - 1] / 1e6);
  }

  /** Window fields are written before {@code go} opens, so the workers see them. */
  private static long[] loop(
      RegistryClient client,
      HttpConnection first,
      Request request,
      long measureFrom,
      long measureUntil)
      throws IOException {
    HttpConnection connection = first;
    long[] latencies = new long[1 << 16];
    int count = 0;
    try {
      while (true) {
        long begin = System.nanoTime();
        if (begin >= measureUntil) {
          break;
        }
        if (!connection.isOpen()) {
          connection = client.connect();
        }
        HttpConnection.Response response =
            connection.exchange(request.method(), request.target(), request.headers(), false);
        long end = System.nanoTime();
        if (response.status() != request.expectedStatus()) {
          throw new IOException(
              "expected " + request.expectedStatus() + ", got " + response.status());
        }
        if (begin >= measureFrom && end <= measureUntil) {
          if (count == latencies.length) {
            latencies = Arrays.copyOf(latencies, count * 2);
          }
          latencies[count++] = end - begin;
        }
      }
    } finally {
      if (connection != first) {
        connection.close();
      }
    }
    return Arrays.copyOf(latencies, count);
  }
}
