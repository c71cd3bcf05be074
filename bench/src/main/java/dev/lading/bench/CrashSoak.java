package dev.lading.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Issue #14, "crash at any step and lose nothing", as a program: for {@code --minutes}, workers
 * push (monolithic, sessions, chunked), tag, pull, delete and GC runs against a real Lading
 * process while a crash loop SIGKILLs and restarts it every 5-40 s. A ledger keeps what the
 * server acknowledged (201/202); at checkpoints and at the end (after one last kill), with GC
 * run to its end, every acknowledged write that must survive is pulled and compared. Prints
 * operations, crashes, writes checked, losses, stuck upload sessions and 5xx outside restart
 * windows. Exit status: 0 clean, 1 something lost (or a delete undone, or a check that could
 * not be made, or the run broke off), 2 nothing lost but stuck sessions. Not a test: run it by
 * hand or in a nightly job, see bench/README.md.
 */
@Command(name = "crash-soak", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Pushes, pulls, deletes and GC against Lading while killing it with SIGKILL; "
        + "checks that nothing acknowledged is lost.")
public final class CrashSoak implements Callable<Integer> {

  enum StoreType { fs, s3 }

  @Option(names = "--minutes", defaultValue = "20",
      description = "Length of the load, not counting the checkpoints, which pause it.")
  double minutes;

  @Option(names = "--store", defaultValue = "fs", description = "fs or s3 (default: ${DEFAULT-VALUE}).")
  StoreType store;

  @Option(names = "--seed", description = "Seeds the workers' choices and the kill schedule (default: random, printed).")
  Long seed;

  @Option(names = "--workers", defaultValue = "4", description = "Client threads, two repositories each.")
  int workers;

  @Option(names = "--think-ms", defaultValue = "100", description = "Mean pause between a worker's operations.")
  long thinkMillis;

  @Option(names = "--kill-min-s", defaultValue = "5", description = "Seconds between kills: uniform from min to max.")
  int killMinSeconds;

  @Option(names = "--kill-max-s", defaultValue = "40")
  int killMaxSeconds;

  @Option(names = "--aimed-kills-percent", defaultValue = "30",
      description = "Share of kills that wait for a closing PUT of an upload and land 0-40 ms after it was sent.")
  int aimedPercent;

  @Option(names = "--gc-every-s", defaultValue = "30", description = "Mean time between POST /admin/gc.")
  int gcEverySeconds;

  @Option(names = "--checkpoint-every-min", defaultValue = "5",
      description = "Pause, run GC to its end and verify everything this often (0: only at the end).")
  double checkpointMinutes;

  @Option(names = "--gc-grace-minutes", defaultValue = "1", description = "LADING_GC_GRACE_MINUTES.")
  int graceMinutes;

  @Option(names = "--gc-fence-delay-s", defaultValue = "6", description = "LADING_GC_FENCE_DELAY_SECONDS (at least 6).")
  int fenceDelaySeconds;

  @Option(names = "--delete-untagged", description = "LADING_GC_DELETE_UNTAGGED=true; only tag-reachable or young manifests are then checked.")
  boolean deleteUntagged;

  @Option(names = "--heap", defaultValue = "256m", description = "The server's -Xmx.")
  String heap;

  @Option(names = "--big-mib", defaultValue = "64", description = "Size of the few big blobs.")
  int bigMib;

  @Option(names = "--big-percent", defaultValue = "2", description = "Share of layers that are big.")
  int bigPercent;

  @Option(names = "--data-dir", defaultValue = "/work/soak-data",
      description = "A run directory is made under it (store, server log, S3Proxy) and deleted at the end.")
  Path dataDir;

  @Option(names = "--keep", description = "Keep the run directory (and the bucket prefix) at the end; a run"
      + " that lost something keeps it anyway.")
  boolean keep;

  @Option(names = "--lading-jar", defaultValue = "registry-server/target/lading.jar")
  Path jar;

  @Option(names = "--s3-endpoint", description = "An S3 endpoint already running (e.g. a Ceph RGW); without it --store s3 starts an S3Proxy.")
  URI s3Endpoint;

  @Option(names = "--s3-bucket", defaultValue = "lading-soak", description = "Created when missing.")
  String s3Bucket;

  @Option(names = "--s3-region", defaultValue = "us-east-1")
  String s3Region;

  @Option(names = "--s3-access-key", defaultValue = "local-access-key")
  String s3AccessKey;

  @Option(names = "--s3-secret-key", defaultValue = "local-secret-key")
  String s3SecretKey;

  @Option(names = "--s3-part-mib", defaultValue = "8", description = "LADING_STORAGE_S3_PART_SIZE_MIB.")
  int s3PartMib;

  @Option(names = "--s3proxy-port", defaultValue = "15277")
  int s3proxyPort;

  @Option(names = "--tools", defaultValue = "/work/shared/tools", description = "Where s3proxy-up.sh and s3proxy-down.sh are.")
  Path tools;

  private volatile boolean loadRunning = true;
  private boolean failed = true;
  private boolean keepData;
  private final AtomicReference<String> broken = new AtomicReference<>();

  public static void main(String[] args) {
    // The AWS SDK (bucket set-up for --store s3) logs through SLF4J, which has no provider in
    // the bench jar and would say so in three lines of warnings.
    if (System.getProperty("slf4j.internal.verbosity") == null) {
      System.setProperty("slf4j.internal.verbosity", "ERROR");
    }
    System.exit(new CommandLine(new CrashSoak()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    long runSeed = seed != null ? seed : new SecureRandom().nextLong();
    Path runDir = Files.createDirectories(dataDir.resolve(
        store + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-" + runSeed));
    SoakStats stats = new SoakStats();
    stats.log(String.format(Locale.ROOT, "crash soak: %.1f min, store %s, seed %d (--seed %d repeats the "
        + "choices and the kill schedule), %d workers, data %s", minutes, store, runSeed, runSeed, workers, runDir));
    SoakStore soakStore = store == StoreType.fs
        ? SoakStore.filesystem(runDir.resolve("store"))
        : SoakStore.s3(new SoakStore.S3Target(s3Endpoint, s3Bucket, s3Region, s3AccessKey, s3SecretKey),
            s3PartMib, runDir, s3proxyPort, tools, "soak-" + Long.toUnsignedString(runSeed, 36) + "-"
                + System.currentTimeMillis() + "/");
    long started = System.nanoTime();
    int exit;
    try {
      SoakServer server = new SoakServer(jar, List.of("-Xmx" + heap), runDir.resolve("server"), serverEnv(soakStore));
      try {
        server.start();
        stats.log("store: " + soakStore.describe() + "; server pid " + server.pid() + " on port " + server.port()
            + ", -Xmx" + heap + ", gc grace " + graceMinutes + " min, fence delay " + fenceDelaySeconds
            + " s, delete_untagged " + deleteUntagged);
        exit = soak(server, runSeed, stats);
        failed = exit == 1;
      } finally {
        server.close();
      }
    } finally {
      // What a failed run leaves is the evidence: keep it (the store, the server log).
      keepData = keep || failed;
      soakStore.close(keepData);
      if (!keepData) {
        deleteTree(runDir);
      }
    }
    System.out.println();
    System.out.printf(Locale.ROOT, "== crash soak done: %.1f min (load %.1f min), store %s, seed %d ==%n",
        (System.nanoTime() - started) / 60e9, minutes, store, runSeed);
    stats.print(System.out);
    if (broken.get() != null) {
      System.out.println("run broke off: " + broken.get());
    }
    System.out.println("result: " + (exit == 0 ? "PASS" : exit == 2 ? "FAIL (stuck sessions)" : "FAIL (lost)")
        + (keepData ? "; data kept in " + runDir : ""));
    return exit;
  }

  private Map<String, String> serverEnv(SoakStore soakStore) {
    Map<String, String> env = new LinkedHashMap<>(soakStore.env());
    env.put("LADING_HTTP_HOST", "127.0.0.1");
    env.put("LADING_GC_INTERVAL_MINUTES", "0");
    env.put("LADING_GC_GRACE_MINUTES", Integer.toString(graceMinutes));
    env.put("LADING_GC_FENCE_DELAY_SECONDS", Integer.toString(fenceDelaySeconds));
    env.put("LADING_GC_DELETE_UNTAGGED", Boolean.toString(deleteUntagged));
    return env;
  }

  private int soak(SoakServer server, long runSeed, SoakStats stats) throws Exception {
    Ledger ledger = new Ledger(Duration.ofMinutes(graceMinutes), deleteUntagged);
    SoakClient client = new SoakClient(server, stats);
    PauseGate gate = new PauseGate();
    KillAim aim = new KillAim();
    Verifier verifier = new Verifier(ledger, new ContentChecks(client, stats), stats, runSeed + 3);
    CrashLoop crashLoop =
        new CrashLoop(server, stats, gate, aim, runSeed + 1, killMinSeconds, killMaxSeconds, aimedPercent);
    GcLoop gcLoop = new GcLoop(client, stats, gate, runSeed + 2, gcEverySeconds);
    SoakWorker.Sizes sizes = new SoakWorker.Sizes(bigPercent, (long) bigMib << 20);

    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      SoakWorker worker = new SoakWorker(w, ledger, client, stats, gate, aim, runSeed * 1_000_003L + w,
          sizes, thinkMillis, () -> loadRunning && broken.get() == null);
      threads.add(thread("soak-worker-" + w, worker));
    }
    Thread crashes = thread("soak-crash-loop", crashLoop);
    Thread gc = thread("soak-gc-loop", gcLoop);

    long deadline = System.nanoTime() + (long) (minutes * 60e9);
    long checkpointNanos = checkpointMinutes > 0 ? (long) (checkpointMinutes * 60e9) : Long.MAX_VALUE;
    long nextCheckpoint = System.nanoTime() + checkpointNanos;
    int checkpoint = 0;
    while (System.nanoTime() < deadline && broken.get() == null) {
      Thread.sleep(Math.max(1, Math.min(1000, (Math.min(deadline, nextCheckpoint) - System.nanoTime()) / 1_000_000)));
      if (System.nanoTime() >= nextCheckpoint && System.nanoTime() < deadline - 30e9) {
        long paused = System.nanoTime();
        checkpoint(gate, server, gcLoop, verifier, stats, "checkpoint " + ++checkpoint);
        // The load lasts --minutes; the time it stood still for a checkpoint does not count.
        deadline += System.nanoTime() - paused;
        nextCheckpoint = System.nanoTime() + checkpointNanos;
      }
    }
    loadRunning = false;
    crashLoop.stop();
    gcLoop.stop();
    for (Thread t : threads) {
      t.join(Duration.ofMinutes(5));
    }
    crashes.join(Duration.ofMinutes(2));
    gc.join(Duration.ofMinutes(1));
    if (broken.get() == null) {
      // One last kill with nothing in flight: everything acknowledged so far must survive it.
      long pid = server.pid();
      double down = server.killAndRestart();
      stats.crashes.increment();
      stats.log(String.format(Locale.ROOT, "final crash: killed pid %d, back after %.1f s", pid, down));
      checkpoint(gate, server, gcLoop, verifier, stats, "final check");
    }
    stats.log(String.format(Locale.ROOT, "longest restart: %.1f s", crashLoop.longestRestartSeconds()));
    if (broken.get() != null || stats.lostCount() > 0 || stats.undoneDeleteCount() > 0
        || stats.checkErrors.sum() > 0) {
      return 1;
    }
    return stats.stuckCount() > 0 ? 2 : 0;
  }

  /**
   * Pauses everything, lets GC run to its end, then verifies the whole ledger. A failure here
   * (the server gone for minutes) breaks the run off, but the report is still printed.
   */
  private void checkpoint(PauseGate gate, SoakServer server, GcLoop gcLoop, Verifier verifier, SoakStats stats,
      String label) throws InterruptedException {
    try {
      gate.paused(() -> {
        if (!server.awaitUp(Duration.ofMinutes(2))) {
          throw new IllegalStateException("the server does not answer at " + label);
        }
        stats.log(label + ": workers paused; GC " + gcLoop.runToEnd(Duration.ofMinutes(5)));
        verifier.verifyAll(label);
      });
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      broken.compareAndSet(null, label + ": " + e);
      e.printStackTrace();
    }
  }

  private Thread thread(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setUncaughtExceptionHandler((thread, e) -> {
      broken.compareAndSet(null, thread.getName() + ": " + e);
      e.printStackTrace();
    });
    t.start();
    return t;
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
