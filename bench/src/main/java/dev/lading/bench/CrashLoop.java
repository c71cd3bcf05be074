package dev.lading.bench;

import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Kills the server with SIGKILL every {@code min..max} seconds (uniform, from its own seeded
 * random, so a seed repeats the same schedule) and starts it again; between kills it checks once a
 * second that the server did not die by itself, which is a finding of its own.
 */
final class CrashLoop implements Runnable {

  /** How long an aimed kill waits for a closing PUT before it kills anyway. */
  private static final long AIM_WAIT_MILLIS = 5_000;

  /**
   * An aimed kill lands 0 to this many ms after the PUT was sent: before, in or after its commit.
   */
  private static final int AIM_SPREAD_MILLIS = 40;

  private final SoakServer server;
  private final SoakStats stats;
  private final PauseGate gate;
  private final KillAim aim;
  private final Random random;
  private final int minSeconds;
  private final int maxSeconds;
  private final int aimedPercent;
  private final CountDownLatch stop = new CountDownLatch(1);
  private double longestRestart;

  CrashLoop(
      SoakServer server,
      SoakStats stats,
      PauseGate gate,
      KillAim aim,
      long seed,
      int minSeconds,
      int maxSeconds,
      int aimedPercent) {
    this.server = server;
    this.stats = stats;
    this.gate = gate;
    this.aim = aim;
    this.random = new Random(seed);
    this.minSeconds = minSeconds;
    this.maxSeconds = maxSeconds;
    this.aimedPercent = aimedPercent;
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
        long waitMillis =
            1000L * minSeconds + (long) (random.nextDouble() * 1000 * (maxSeconds - minSeconds));
        long until = System.nanoTime() + waitMillis * 1_000_000;
        while (System.nanoTime() < until) {
          if (stop.await(
              Math.min(1000, (until - System.nanoTime()) / 1_000_000 + 1), TimeUnit.MILLISECONDS)) {
            return;
          }
          gate.step(this::restartIfDied);
        }
        boolean aimed = random.nextInt(100) < aimedPercent;
        int spread = random.nextInt(AIM_SPREAD_MILLIS);
        gate.step(() -> crash(aimed, spread));
      }
    } catch (Exception e) {
      stats.log("crash loop stopped: " + e);
      throw new IllegalStateException(e);
    }
  }

  private void crash(boolean aimed, int spreadMillis) throws Exception {
    boolean hit = aimed && aim.awaitClosingPut(AIM_WAIT_MILLIS);
    if (hit) {
      Thread.sleep(spreadMillis);
    }
    long pid = server.pid();
    double down = server.killAndRestart();
    stats.crashes.increment();
    if (hit) {
      stats.count("crash.aimed-at-closing-put");
    }
    synchronized (this) {
      longestRestart = Math.max(longestRestart, down);
    }
    stats.log(
        String.format(
            Locale.ROOT,
            "crash %d%s: killed pid %d, back as pid %d after %.1f s",
            stats.crashes.sum(),
            hit ? " (" + spreadMillis + " ms after a closing PUT was sent)" : "",
            pid,
            server.pid(),
            down));
  }

  private void restartIfDied() throws Exception {
    long pid = server.pid();
    int status = server.restartIfDead();
    if (status >= 0) {
      stats.unexpectedExits.increment();
      stats.log(
          "the server (pid "
              + pid
              + ") exited by itself with status "
              + status
              + "; restarted as pid "
              + server.pid());
    }
  }
}
