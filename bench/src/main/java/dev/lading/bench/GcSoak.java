package dev.lading.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Issue #21, "online GC nobody notices", as a program: two Lading processes on one bucket, both
 * collecting back to back, while pushers push images that share layers (HEAD, mount, monolithic and
 * chunked uploads, tags that move, manifest deletes) and pullers pull images whose tags never move
 * from both instances. Counts manifest pushes refused with MANIFEST_BLOB_UNKNOWN and whether each
 * named blob was really swept, pulls that failed (target 0), GC runs per instance and what they
 * swept; at the end, with GC quiescent after one last run, everything the ledger says must exist is
 * pulled byte for byte from both instances. Exit status 1 when a pull failed or the final check
 * found something missing. Not a test: run it by hand, see bench/README.md.
 */
@Command(
    name = "gc-soak",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description =
        "Two Lading instances on one bucket collecting back to back under pushes and pulls; "
            + "checks that nobody notices.")
public final class GcSoak implements Callable<Integer> {

  @Option(
      names = "--minutes",
      defaultValue = "10",
      description = "Length of the load (default: ${DEFAULT-VALUE}).")
  double minutes;

  @Option(
      names = "--pushers",
      defaultValue = "4",
      description = "Pushing threads, two repositories each.")
  int pushers;

  @Option(
      names = "--pullers",
      defaultValue = "2",
      description = "Threads pulling the stable images.")
  int pullers;

  @Option(
      names = "--late-percent",
      defaultValue = "15",
      description = "Share of image pushes whose manifest comes --late-s after their blobs.")
  int latePercent;

  @Option(
      names = "--late-s",
      defaultValue = "12",
      description = "Mean delay of a late manifest, in seconds.")
  int lateSeconds;

  @Option(names = "--pool-layers", defaultValue = "24", description = "Layers the images share.")
  int poolLayers;

  @Option(
      names = "--stable-repos",
      defaultValue = "3",
      description = "Repositories of stable images (two tags each).")
  int stableRepos;

  @Option(
      names = "--gc-grace-minutes",
      defaultValue = "0",
      description =
          "LADING_GC_GRACE_MINUTES: 0 sweeps a layer pushed just before a run, which is what makes refusals.")
  int graceMinutes;

  @Option(
      names = "--delete-untagged",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "LADING_GC_DELETE_UNTAGGED (default true: an image a moved tag left behind is garbage).")
  boolean deleteUntagged;

  @Mixin
  SoakOptions options = new SoakOptions("lading-gcsoak", 15278, Path.of("/work/gcsoak-data"));

  private volatile boolean loadRunning = true;
  private final SoakThreads threads = new SoakThreads();

  public static void main(String[] args) {
    SoakOptions.quietSdkLogging();
    System.exit(new CommandLine(new GcSoak()).execute(args));
  }

  /** What the run found, for the report and the exit status. */
  private record Outcome(
      long pulls, long failedPulls, SoakStats finalCheck, List<BackToBackGc> gc) {
    boolean verified() {
      return finalCheck != null
          && finalCheck.lostCount() == 0
          && finalCheck.undoneDeleteCount() == 0
          && finalCheck.checkErrors.sum() == 0;
    }
  }

  @Override
  public Integer call() throws Exception {
    long runSeed = options.seedOrRandom();
    Path runDir = options.runDirectory("gcsoak", runSeed);
    SoakStats stats = new SoakStats();
    stats.log(
        String.format(
            Locale.ROOT,
            "gc soak: %.1f min, seed %d (--seed %d repeats the choices), %d pushers, "
                + "%d pullers, data %s",
            minutes,
            runSeed,
            runSeed,
            pushers,
            pullers,
            runDir));
    SoakStore store = options.s3Store(runDir, "gcsoak", runSeed);
    long started = System.nanoTime();
    Outcome outcome = null;
    boolean keepData = true;
    try {
      List<SoakServer> servers = new ArrayList<>();
      try {
        List<GcInstance> instances = new ArrayList<>();
        for (String name : List.of("A", "B")) {
          SoakServer server =
              options.server(runDir.resolve("server-" + name), store, graceMinutes, deleteUntagged);
          servers.add(server);
          server.start();
          instances.add(GcInstance.of(name, server, stats));
          stats.log("instance " + name + ": pid " + server.pid() + " on port " + server.port());
        }
        stats.log(
            "store: "
                + store.describe()
                + "; -Xmx"
                + options.heap
                + ", gc grace "
                + graceMinutes
                + " min, fence delay "
                + options.fenceDelaySeconds
                + " s, delete_untagged "
                + deleteUntagged);
        outcome = soak(instances, runSeed, stats);
      } finally {
        for (SoakServer s : servers) {
          s.close();
        }
      }
    } finally {
      // A failed run's bucket prefix and server logs are the evidence: keep them.
      keepData =
          options.keep
              || outcome == null
              || threads.broken()
              || outcome.failedPulls() > 0
              || !outcome.verified();
      store.close(keepData);
      if (!keepData) {
        DirectoryTrees.delete(runDir);
      }
    }
    return report(
        outcome,
        stats,
        store,
        runSeed,
        (System.nanoTime() - started) / 60e9,
        keepData ? runDir : null);
  }

  private Outcome soak(List<GcInstance> instances, long runSeed, SoakStats stats) throws Exception {
    Ledger ledger = new Ledger(Duration.ofMinutes(graceMinutes), deleteUntagged);
    LayerPool pool = new LayerPool(runSeed + 1, poolLayers);
    StableImages stable =
        StableImages.push(stableRepos, pool, ledger, instances, stats, runSeed + 2);
    stats.log(
        stable.images().size()
            + " stable images pushed over "
            + pool.size()
            + " shared layers; load and GC start");

    List<String> pusherRepos = new ArrayList<>();
    for (int p = 0; p < pushers; p++) {
      for (int r = 0; r < GcPusher.repositories(); r++) {
        pusherRepos.add(GcPusher.repoName(p, r));
      }
    }
    LongAdder pulls = new LongAdder();
    LongAdder failedPulls = new LongAdder();
    List<Thread> load = new ArrayList<>();
    for (int p = 0; p < pushers; p++) {
      load.add(
          threads.start(
              "gcsoak-pusher-" + p,
              new GcPusher(
                  p,
                  instances,
                  ledger,
                  pusherRepos,
                  pool,
                  stable,
                  stats,
                  runSeed * 1_000_003L + p,
                  new GcPusher.Pace(options.thinkMillis, latePercent, lateSeconds),
                  this::loadGoesOn)));
    }
    for (int p = 0; p < pullers; p++) {
      load.add(
          threads.start(
              "gcsoak-puller-" + p,
              new GcPuller(
                  p,
                  instances,
                  stable,
                  stats,
                  runSeed * 7_000_003L + p,
                  options.thinkMillis,
                  this::loadGoesOn,
                  pulls,
                  failedPulls)));
    }
    List<BackToBackGc> gcs = new ArrayList<>();
    List<Thread> gcThreads = new ArrayList<>();
    for (GcInstance instance : instances) {
      BackToBackGc gc = new BackToBackGc(instance, stats, runSeed + 3 + gcs.size());
      gcs.add(gc);
      gcThreads.add(threads.start("gcsoak-gc-" + instance.name(), gc));
    }

    long deadline = System.nanoTime() + (long) (minutes * 60e9);
    long nextProgress = System.nanoTime() + 60_000_000_000L;
    while (System.nanoTime() < deadline && !threads.broken()) {
      Thread.sleep(500);
      if (System.nanoTime() >= nextProgress) {
        nextProgress += 60_000_000_000L;
        stats.log(
            String.format(
                Locale.ROOT,
                "progress: %d manifests pushed, %d refused, %d pulls (%d failed)",
                stats.operations("push.manifest.by-tag")
                    + stats.operations("push.manifest.by-digest"),
                stats.operations("manifest.refused"),
                pulls.sum(),
                failedPulls.sum()));
      }
    }
    loadRunning = false;
    for (Thread t : load) {
      t.join(Duration.ofMinutes(3));
    }
    gcs.forEach(BackToBackGc::stop);
    for (Thread t : gcThreads) {
      t.join(Duration.ofMinutes(5));
    }
    stats.log("load stopped, GC loops finished their runs");

    SoakStats finalCheck = null;
    if (!threads.broken()) {
      // One last run with nothing pushing, to its end, so the check reads what a sweep left.
      String last = gcs.get(0).runToCompletion(Duration.ofMinutes(5));
      stats.log(
          "last GC run on "
              + instances.get(0).name()
              + ": "
              + last
              + "; GC quiescent, final check");
      finalCheck = new SoakStats(stats);
      for (GcInstance instance : instances) {
        new Verifier(
                ledger, new ContentChecks(instance.client(), finalCheck), finalCheck, runSeed + 9)
            .verifyAll("final check on " + instance.name());
      }
    }
    return new Outcome(pulls.sum(), failedPulls.sum(), finalCheck, gcs);
  }

  private boolean loadGoesOn() {
    return loadRunning && !threads.broken();
  }

  private int report(
      Outcome o, SoakStats stats, SoakStore store, long runSeed, double tookMinutes, Path kept) {
    System.out.println();
    System.out.printf(
        Locale.ROOT,
        "== gc soak done: %.1f min (load %.1f min), seed %d ==%n",
        tookMinutes,
        minutes,
        runSeed);
    System.out.println("store: " + store.describe());
    System.out.printf(
        Locale.ROOT,
        "gc: grace %d min, fence delay %d s, delete_untagged %s%n",
        graceMinutes,
        options.fenceDelaySeconds,
        deleteUntagged);
    stats.printOperations(System.out);
    long refused = stats.operations("manifest.refused");
    System.out.printf(
        Locale.ROOT,
        "manifest pushes acknowledged:        %,d (%,d blob uploads, %,d mounts)%n",
        stats.operations("push.manifest.by-tag") + stats.operations("push.manifest.by-digest"),
        stats.operations("push.blob.monolithic")
            + stats.operations("push.blob.session_put")
            + stats.operations("push.blob.chunked")
            + stats.operations("push.blob.into-mount-session"),
        stats.operations("blob.mounted.from-stable")
            + stats.operations("blob.mounted.from-pusher"));
    System.out.printf(
        Locale.ROOT,
        "manifest pushes refused:             %,d (blob really swept %,d, still there %,d, "
            + "unjudged %,d)%n",
        refused,
        stats.operations("manifest.refused.blob-swept"),
        stats.operations("manifest.refused.blob-still-there"),
        stats.operations("manifest.refused.unjudged"));
    if (o != null) {
      System.out.printf(
          Locale.ROOT,
          "pulls of stable images:              %,d, failed %,d%n",
          o.pulls(),
          o.failedPulls());
      long blobs = 0;
      long bytes = 0;
      for (BackToBackGc gc : o.gc()) {
        System.out.println("gc " + gc.describe());
        blobs += gc.blobsSwept;
        bytes += gc.bytesFreed;
      }
      System.out.printf(
          Locale.ROOT, "gc total: %,d blobs swept, %.1f MiB reclaimed%n", blobs, bytes / 1048576.0);
    }
    System.out.printf(
        Locale.ROOT, "writes left ambiguous (5xx, cut off): %,d%n", stats.ambiguous.sum());
    stats.printLosses(System.out);
    stats.printAnswers(System.out);
    boolean verified = o != null && o.verified();
    if (o != null && o.finalCheck() != null) {
      System.out.printf(
          Locale.ROOT,
          "final check (GC quiescent, both instances): %,d tags, manifests, blobs and "
              + "deletes checked%n",
          o.finalCheck().checked.sum());
      o.finalCheck().printLosses(System.out);
      o.finalCheck().printAnswers(System.out);
    }
    if (threads.broken()) {
      System.out.println("run broke off: " + threads.why());
    }
    boolean pass = o != null && !threads.broken() && o.failedPulls() == 0 && verified;
    System.out.println(
        "final verification: "
            + (verified ? "every tagged image pulls byte for byte from both instances" : "FAILED")
            + "; result: "
            + (pass ? "PASS" : "FAIL")
            + (kept != null ? "; data kept in " + kept : ""));
    return pass ? 0 : 1;
  }
}
