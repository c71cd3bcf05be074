package dev.lading.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Issue #14, "crash at any step and lose nothing", as a program: for {@code --minutes}, workers
 * push (monolithic, sessions, chunked), tag, pull, delete and GC runs against a real Lading process
 * while a crash loop SIGKILLs and restarts it every 5-40 s. A ledger keeps what the server
 * acknowledged (201/202); at checkpoints and at the end (after one last kill), with GC run to its
 * end, every acknowledged write that must survive is pulled and compared. Prints operations,
 * crashes, writes checked, losses, stuck upload sessions and 5xx outside restart windows. Exit
 * status: 0 clean, 1 something lost (or a delete undone, or a check that could not be made, or the
 * run broke off), 2 nothing lost but stuck sessions. Not a test: run it by hand or in a nightly
 * job, see bench/README.md.
 */
@Command(
    name = "crash-soak",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description =
        "Pushes, pulls, deletes and GC against Lading while killing it with SIGKILL; "
            + "checks that nothing acknowledged is lost.")
public final class CrashSoak implements Callable<Integer> {

  enum StoreType {
    fs,
    s3
  }

  @Option(
      names = "--minutes",
      defaultValue = "20",
      description = "Length of the load, not counting the checkpoints, which pause it.")
  double minutes;

  @Option(
      names = "--store",
      defaultValue = "fs",
      description = "fs or s3 (default: ${DEFAULT-VALUE}).")
  StoreType store;

  @Option(
      names = "--workers",
      defaultValue = "4",
      description = "Client threads, two repositories each.")
  int workers;

  @Option(
      names = "--kill-min-s",
      defaultValue = "5",
      description = "Seconds between kills: uniform from min to max.")
  int killMinSeconds;

  @Option(names = "--kill-max-s", defaultValue = "40")
  int killMaxSeconds;

  @Option(
      names = "--aimed-kills-percent",
      defaultValue = "30",
      description =
          "Share of kills that wait for a closing PUT of an upload and land 0-40 ms after it was sent.")
  int aimedPercent;

  @Option(
      names = "--gc-every-s",
      defaultValue = "30",
      description = "Mean time between POST /admin/gc.")
  int gcEverySeconds;

  @Option(
      names = "--checkpoint-every-min",
      defaultValue = "5",
      description =
          "Pause, run GC to its end and verify everything this often (0: only at the end).")
  double checkpointMinutes;

  @Option(
      names = "--gc-grace-minutes",
      defaultValue = "1",
      description = "LADING_GC_GRACE_MINUTES.")
  int graceMinutes;

  @Option(
      names = "--delete-untagged",
      description =
          "LADING_GC_DELETE_UNTAGGED=true; only tag-reachable or young manifests are then checked.")
  boolean deleteUntagged;

  @Option(names = "--big-mib", defaultValue = "64", description = "Size of the few big blobs.")
  int bigMib;

  @Option(
      names = "--big-percent",
      defaultValue = "2",
      description = "Share of layers that are big.")
  int bigPercent;

  @Mixin SoakOptions options = new SoakOptions("lading-soak", 15277, Path.of("/work/soak-data"));

  private volatile boolean loadRunning = true;
  private boolean failed = true;
  private boolean keepData;
  private final SoakThreads threads = new SoakThreads();

  public static void main(String[] args) {
    SoakOptions.quietSdkLogging();
    System.exit(new CommandLine(new CrashSoak()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    long runSeed = options.seedOrRandom();
    Path runDir = options.runDirectory(store.name(), runSeed);
    SoakStats stats = new SoakStats();
    stats.log(
        String.format(
            Locale.ROOT,
            "crash soak: %.1f min, store %s, seed %d (--seed %d repeats the "
                + "choices and the kill schedule), %d workers, data %s",
            minutes,
            store,
            runSeed,
            runSeed,
            workers,
            runDir));
    SoakStore soakStore =
        store == StoreType.fs
            ? SoakStore.filesystem(runDir.resolve("store"))
            : options.s3Store(runDir, "soak", runSeed);
    long started = System.nanoTime();
    int exit;
    try {
      SoakServer server =
          options.server(runDir.resolve("server"), soakStore, graceMinutes, deleteUntagged);
      try {
        server.start();
        stats.log(
            "store: "
                + soakStore.describe()
                + "; server pid "
                + server.pid()
                + " on port "
                + server.port()
                + ", -Xmx"
                + options.heap
                + ", gc grace "
                + graceMinutes
                + " min, fence delay "
                + options.fenceDelaySeconds
                + " s, delete_untagged "
                + deleteUntagged);
        exit = soak(server, runSeed, stats);
        failed = exit == 1;
      } finally {
        server.close();
      }
    } finally {
      // What a failed run leaves is the evidence: keep it (the store, the server log).
      keepData = options.keep || failed;
      soakStore.close(keepData);
      if (!keepData) {
        DirectoryTrees.delete(runDir);
      }
    }
    System.out.println();
    System.out.printf(
        Locale.ROOT,
        "== crash soak done: %.1f min (load %.1f min), store %s, seed %d ==%n",
        (System.nanoTime() - started) / 60e9,
        minutes,
        store,
        runSeed);
    stats.print(System.out);
    if (threads.broken()) {
      System.out.println("run broke off: " + threads.why());
    }
    System.out.println(
        "result: "
            + (exit == 0 ? "PASS" : exit == 2 ? "FAIL (stuck sessions)" : "FAIL (lost)")
            + (keepData ? "; data kept in " + runDir : ""));
    return exit;
  }

  private int soak(SoakServer server, long runSeed, SoakStats stats) throws Exception {
    Ledger ledger = new Ledger(Duration.ofMinutes(graceMinutes), deleteUntagged);
    SoakClient client = new SoakClient(server, stats);
    PauseGate gate = new PauseGate();
    KillAim aim = new KillAim();
    Verifier verifier = new Verifier(ledger, new ContentChecks(client, stats), stats, runSeed + 3);
    CrashLoop crashLoop =
        new CrashLoop(
            server, stats, gate, aim, runSeed + 1, killMinSeconds, killMaxSeconds, aimedPercent);
    GcLoop gcLoop = new GcLoop(client, stats, gate, runSeed + 2, gcEverySeconds);
    SoakWorker.Sizes sizes = new SoakWorker.Sizes(bigPercent, (long) bigMib << 20);

    List<Thread> workerThreads = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      SoakWorker worker =
          new SoakWorker(
              w,
              ledger,
              client,
              stats,
              gate,
              aim,
              runSeed * 1_000_003L + w,
              sizes,
              options.thinkMillis,
              () -> loadRunning && !threads.broken());
      workerThreads.add(threads.start("soak-worker-" + w, worker));
    }
    Thread crashes = threads.start("soak-crash-loop", crashLoop);
    Thread gc = threads.start("soak-gc-loop", gcLoop);

    long deadline = System.nanoTime() + (long) (minutes * 60e9);
    long checkpointNanos =
        checkpointMinutes > 0 ? (long) (checkpointMinutes * 60e9) : Long.MAX_VALUE;
    long nextCheckpoint = System.nanoTime() + checkpointNanos;
    int checkpoint = 0;
    while (System.nanoTime() < deadline && !threads.broken()) {
      Thread.sleep(
          Math.max(
              1,
              Math.min(
                  1000, (Math.min(deadline, nextCheckpoint) - System.nanoTime()) / 1_000_000)));
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
    for (Thread t : workerThreads) {
      t.join(Duration.ofMinutes(5));
    }
    crashes.join(Duration.ofMinutes(2));
    gc.join(Duration.ofMinutes(1));
    if (!threads.broken()) {
      // One last kill with nothing in flight: everything acknowledged so far must survive it.
      long pid = server.pid();
      double down = server.killAndRestart();
      stats.crashes.increment();
      stats.log(
          String.format(Locale.ROOT, "final crash: killed pid %d, back after %.1f s", pid, down));
      checkpoint(gate, server, gcLoop, verifier, stats, "final check");
    }
    stats.log(
        String.format(Locale.ROOT, "longest restart: %.1f s", crashLoop.longestRestartSeconds()));
    if (threads.broken()
        || stats.lostCount() > 0
        || stats.undoneDeleteCount() > 0
        || stats.checkErrors.sum() > 0) {
      return 1;
    }
    return stats.stuckCount() > 0 ? 2 : 0;
  }

  /**
   * Pauses everything, lets GC run to its end, then verifies the whole ledger. A failure here (the
   * server gone for minutes) breaks the run off, but the report is still printed.
   */
  private void checkpoint(
      PauseGate gate,
      SoakServer server,
      GcLoop gcLoop,
      Verifier verifier,
      SoakStats stats,
      String label)
      throws InterruptedException {
    try {
      gate.paused(
          () -> {
            if (!server.awaitUp(Duration.ofMinutes(2))) {
              throw new IllegalStateException("the server does not answer at " + label);
            }
            stats.log(label + ": workers paused; GC " + gcLoop.runToEnd(Duration.ofMinutes(5)));
            verifier.verifyAll(label);
          });
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      threads.breakOff(label, e);
    }
  }
}
