package dev.lading.bench;

import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Starts an online GC run ({@code POST /admin/gc}) every {@code every} seconds, give or take half,
 * while the workers push and the crash loop kills, so runs are cut off at any phase; and at
 * checkpoints, runs one to its end ({@link #runToEnd}) so the verifier sees what GC left.
 */
final class GcLoop implements Runnable {

  private static final Pattern RUNNING = Pattern.compile("\"running\"\\s*:\\s*(true|false)");
  private static final Pattern SUMMARY = Pattern.compile("\"summary\"\\s*:\\s*\"([^\"]*)\"");
  private static final Pattern FINISHED =
      Pattern.compile("\"lastFinished\"\\s*:\\s*(\"[^\"]*\"|null)");
  private static final Pattern ERROR = Pattern.compile("\"lastError\"\\s*:\\s*(\"[^\"]*\"|null)");

  private static final Duration STAND_DOWN_RETRY = Duration.ofSeconds(10);

  private final SoakClient client;
  private final SoakStats stats;
  private final PauseGate gate;
  private final Random random;
  private final int everySeconds;
  private final CountDownLatch stop = new CountDownLatch(1);
  private String lastFinished;

  GcLoop(SoakClient client, SoakStats stats, PauseGate gate, long seed, int everySeconds) {
    this.client = client;
    this.stats = stats;
    this.gate = gate;
    this.random = new Random(seed);
    this.everySeconds = everySeconds;
  }

  void stop() {
    stop.countDown();
  }

  @Override
  public void run() {
    try {
      while (!stop.await(
          (long) (everySeconds * (0.5 + random.nextDouble()) * 1000), TimeUnit.MILLISECONDS)) {
        gate.step(this::trigger);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void trigger() {
    try {
      countFinishedRun(client.send("GET", "/admin/gc", Map.of()).bodyText());
      HttpConnection.Response r = client.send("POST", "/admin/gc", Map.of());
      stats.count(
          r.status() == 202
              ? "gc.started"
              : r.status() == 409 ? "gc.busy" : "gc.refused." + r.status());
    } catch (SoakClient.ServerGone e) {
      stats.count("gc.interrupted");
    }
  }

  /**
   * Counts how the last run ended, once per run: did GC get to sweep, or did it stand down for the
   * lease of a run a kill cut off? (A kill also forgets the status of the run it cut off.)
   */
  private void countFinishedRun(String status) {
    Matcher finished = FINISHED.matcher(status);
    if (!finished.find()
        || finished.group(1).equals("null")
        || finished.group(1).equals(lastFinished)) {
      return;
    }
    lastFinished = finished.group(1);
    Matcher error = ERROR.matcher(status);
    String lastError = error.find() ? error.group(1) : "null";
    stats.count(
        lastError.equals("null")
            ? "gc.run.completed"
            : lastError.contains("stood down") ? "gc.run.stood-down" : "gc.run.failed");
  }

  /**
   * Starts a run (or joins the one going) and waits until this server runs none; returns the last
   * run's summary. The server must be up and nothing else may restart it meanwhile.
   */
  String runToEnd(Duration timeout) throws InterruptedException, SoakClient.ServerGone {
    long deadline = System.nanoTime() + timeout.toNanos();
    int stoodDown = 0;
    while (true) {
      HttpConnection.Response started = client.send("POST", "/admin/gc", Map.of());
      stats.count(started.status() == 202 ? "gc.started" : "gc.busy");
      String status = awaitIdle(deadline);
      if (status == null) {
        return "still running after " + timeout;
      }
      String report =
          field(SUMMARY, status, "summary") + "; last error: " + field(ERROR, status, "lastError");
      // A run of a killed instance holds the store's run lease until it lapses (up to two
      // minutes); the new run stands down meanwhile. Try again: the check wants a whole run.
      if (!status.contains("stood down")
          || System.nanoTime() > deadline - STAND_DOWN_RETRY.toNanos()) {
        return (stoodDown > 0
                ? "after " + stoodDown + " runs stood down for a killed run's lease: "
                : "")
            + report;
      }
      stoodDown++;
      Thread.sleep(STAND_DOWN_RETRY.toMillis());
    }
  }

  /** The status once this server runs no collection, or null past the deadline. */
  private String awaitIdle(long deadline) throws InterruptedException, SoakClient.ServerGone {
    while (System.nanoTime() < deadline) {
      Thread.sleep(500);
      String status = client.send("GET", "/admin/gc", Map.of()).bodyText();
      Matcher running = RUNNING.matcher(status);
      if (running.find() && running.group(1).equals("false")) {
        return status;
      }
    }
    return null;
  }

  private static String field(Pattern p, String json, String name) {
    Matcher m = p.matcher(json);
    return m.find() ? m.group(1) : "(no " + name + ")";
  }
}
