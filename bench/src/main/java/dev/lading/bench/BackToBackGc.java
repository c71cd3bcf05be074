package dev.lading.bench;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps one instance collecting: {@code POST /admin/gc}, wait until that run has finished ({@code
 * GET /admin/gc}: {@code running} false and {@code runs} advanced), count how it ended, and start
 * the next at once. With the other instance doing the same on the same bucket, most runs of one of
 * them stand down (one run at a time per store); a run that completes is counted with the blobs,
 * links and manifests it swept and the bytes it freed. {@code 409 GC_RUNNING} means this instance's
 * own run was still going. Not thread-safe: one thread runs it, the counts are read after it has
 * stopped.
 */
final class BackToBackGc implements Runnable {

  private static final Pattern RUNNING = Pattern.compile("\"running\"\\s*:\\s*(true|false)");
  private static final Pattern RUNS = Pattern.compile("\"runs\"\\s*:\\s*(\\d+)");
  private static final Pattern ERROR =
      Pattern.compile("\"lastError\"\\s*:\\s*(\"(?:[^\"\\\\]|\\\\.)*\"|null)");
  private static final Duration POLL = Duration.ofMillis(300);
  private static final int SAMPLES = 5;

  private final GcInstance instance;
  private final SoakStats stats;
  private final Random random;
  private volatile boolean stopped;

  long started;
  long busy;
  long completed;
  long stoodDown;
  long failed;
  long blobsSwept;
  long bytesFreed;
  long layerLinksSwept;
  long manifestsSwept;
  long protectedByFence;

  BackToBackGc(GcInstance instance, SoakStats stats, long seed) {
    this.instance = instance;
    this.stats = stats;
    this.random = new Random(seed);
  }

  /** Lets the run in flight finish, then starts no other. */
  void stop() {
    stopped = true;
  }

  @Override
  public void run() {
    try {
      while (!stopped) {
        String ended = runOnce(Duration.ofMinutes(10));
        if (ended.equals("stood down")) {
          // The other instance holds the run lease for the whole of its run: asking again at
          // once would only add run objects to the bucket. Half a second to two, at random.
          Thread.sleep(500 + random.nextInt(1500));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (SoakClient.ServerGone e) {
      throw new IllegalStateException(
          "instance " + instance.name() + " stopped answering /admin/gc", e);
    }
  }

  /**
   * A run until it completes or {@code timeout} passes (stand-downs are retried every 2 s): with
   * the loops stopped, this is the last sweep before the final check. Its summary.
   */
  String runToCompletion(Duration timeout) throws InterruptedException, SoakClient.ServerGone {
    long deadline = System.nanoTime() + timeout.toNanos();
    String ended;
    do {
      ended = runOnce(timeout);
      if (ended.equals("completed")) {
        return "completed";
      }
      Thread.sleep(2000);
    } while (System.nanoTime() < deadline);
    return ended;
  }

  /** Starts a run (or waits for this instance's own) and counts how it ended. */
  private String runOnce(Duration timeout) throws InterruptedException, SoakClient.ServerGone {
    String before = status();
    long runsBefore = number(RUNS, before);
    HttpConnection.Response r = instance.client().send("POST", "/admin/gc", Map.of());
    if (r.status() == 202) {
      started++;
    } else if (r.status() == 409) {
      busy++;
    } else {
      stats.anomaly("POST /admin/gc on " + instance.name() + " answered " + r);
      Thread.sleep(1000);
      return "refused";
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Thread.sleep(POLL.toMillis());
      String now = status();
      Matcher running = RUNNING.matcher(now);
      if (running.find() && running.group(1).equals("false") && number(RUNS, now) > runsBefore) {
        return count(now);
      }
    }
    stats.anomaly("a GC run on " + instance.name() + " did not finish within " + timeout);
    return "unfinished";
  }

  private String count(String status) {
    Matcher error = ERROR.matcher(status);
    String lastError = error.find() ? error.group(1) : "null";
    if (lastError.equals("null")) {
      completed++;
      // "last" holds the stats of the last run that completed: this one.
      blobsSwept += number(field("blobsSwept"), status);
      bytesFreed += number(field("bytesFreed"), status);
      layerLinksSwept += number(field("layerLinksSwept"), status);
      manifestsSwept += number(field("manifestsSwept"), status);
      protectedByFence += number(field("protectedByFence"), status);
      return "completed";
    }
    if (lastError.contains("stood down")) {
      stoodDown++;
      return "stood down";
    }
    failed++;
    if (failed <= SAMPLES) {
      stats.log("GC run on " + instance.name() + " failed: " + lastError);
    }
    return "failed";
  }

  private String status() throws SoakClient.ServerGone {
    return instance.client().send("GET", "/admin/gc", Map.of()).bodyText();
  }

  private static Pattern field(String name) {
    return Pattern.compile("\"" + name + "\"\\s*:\\s*(\\d+)");
  }

  private static long number(Pattern p, String json) {
    Matcher m = p.matcher(json);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  String describe() {
    return String.format(
        Locale.ROOT,
        "%s: runs completed %d, stood down %d, failed %d (POST 202 %d, 409 "
            + "GC_RUNNING %d); swept %d blobs (%.1f MiB), %d layer links, %d manifests; %d kept by the fence",
        instance.name(),
        completed,
        stoodDown,
        failed,
        started,
        busy,
        blobsSwept,
        bytesFreed / 1048576.0,
        layerLinksSwept,
        manifestsSwept,
        protectedByFence);
  }
}
