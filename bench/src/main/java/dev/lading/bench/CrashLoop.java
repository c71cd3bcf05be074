package dev.lading.bench;

import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Kills the server with SIGKILL every {@code min..max} seconds (uniform, from its own seeded
 * random, so a seed repeats the same schedule) and starts it again; between kills it checks
 * once a second that the server did not die by itself, which is a finding of its own.
 */
final class CrashLoop implements Runnable {

  private final SoakServer server;
  private final SoakStats stats;
  private final PauseGate gate;
  private final Random random;
  private final int minSeconds;
  private final int maxSeconds;
  private final CountDownLatch stop = new CountDownLatch(1);
  private double longestRestart;

  CrashLoop(SoakServer server, SoakStats stats, PauseGate gate, long seed, int minSeconds, int maxSeconds) {
    this.server = server;
    this.stats = stats;
    this.gate = gate;
    this.random = new Random(seed);
    this.minSeconds = minSeconds;
    this.maxSeconds = maxSeconds;
  }

  void stop() {
    stop.countDown();
  }

  synchronized double longestRestartSeconds() {
    return longestRestart;
  }

  @Override
  public void run() {
    try {
      while (true) {
        long waitMillis = 1000L * minSeconds + (long) (random.nextDouble() * 1000 * (maxSeconds - minSeconds));
        long until = System.nanoTime() + waitMillis * 1_000_000;
        while (System.nanoTime() < until) {
          if (stop.await(Math.min(1000, (until - System.nanoTime()) / 1_000_000 + 1), TimeUnit.MILLISECONDS)) {
            return;
          }
          gate.step(this::restartIfDied);
        }
        gate.step(this::crash);
      }
    } catch (Exception e) {
      stats.log("crash loop stopped: " + e);
      throw new IllegalStateException(e);
    }
  }

  private void crash() throws Exception {
    long pid = server.pid();
    double down = server.killAndRestart();
    stats.crashes.increment();
    synchronized (this) {
      longestRestart = Math.max(longestRestart, down);
    }
    stats.log(String.format(Locale.ROOT, "crash %d: killed pid %d, back as pid %d after %.1f s",
        stats.crashes.sum(), pid, server.pid(), down));
  }

  private void restartIfDied() throws Exception {
    long pid = server.pid();
    int status = server.restartIfDead();
    if (status >= 0) {
      stats.unexpectedExits.increment();
      stats.log("the server (pid " + pid + ") exited by itself with status " + status
          + "; restarted as pid " + server.pid());
    }
  }
}
