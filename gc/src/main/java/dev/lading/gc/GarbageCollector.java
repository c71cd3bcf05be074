package dev.lading.gc;

import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.registry.Pause;
import dev.lading.core.storage.ObjectStore;
import dev.lading.gc.GcStats.Kind;
import dev.lading.gc.GcStats.SweptItem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One mark-and-sweep over an {@link ObjectStore}, safe while pushes go on (the protocol and why it
 * is safe are in the package documentation). Holds no state between runs: a run interrupted
 * anywhere is simply run again; it finds the same candidates, and its leftovers (intents, a run
 * object) carry deadlines after which nobody honours them.
 *
 * <p>This class only sequences the steps, each a class with one job: {@link RunLease} (announce the
 * run, one run at a time), {@link RepositoryContents} (list what each repository holds), {@link
 * KnownReferences} (what each manifest references, read once), {@link UploadExpiry} (dead upload
 * sessions and their residue), {@link Mark} (what is kept, what is a {@link Candidate}), {@link
 * Sweep} (intents, re-check, deletes) and {@link StrayData} (data and entries nothing names, old
 * marks).
 */
public final class GarbageCollector {
  private static final Logger LOG = LoggerFactory.getLogger(GarbageCollector.class);

  /** Test seam: the sweeper's pause points. */
  public interface SweepHooks {
    SweepHooks NONE = new SweepHooks() {};

    /** Retention decided which tags of {@code repository} go; none re-read or deleted yet. */
    default void beforeUntag(RepositoryName repository, List<String> tags) {}

    /** Retention re-read {@code tag} of {@code repository} and is about to delete it. */
    default void afterTagRecheck(RepositoryName repository, String tag) {}

    /** The mark is done; no intent written yet. */
    default void afterMark(Set<Digest> candidates) {}

    /** Intents are written for {@code candidates}; marks not yet read. */
    default void afterIntents(Set<Digest> candidates) {}

    /** Marks read; {@code doomed} will be deleted next. */
    default void beforeDelete(Set<Digest> doomed) {}
  }

  /** Store calls in flight at once during mark and sweep (see {@link BoundedCalls}). */
  public static final int DEFAULT_PARALLELISM = 32;

  /** How long a run object counts as active without renewal (see {@link RunLease}). */
  static final Duration RUN_LEASE = RunLease.MAX_LENGTH;

  private final CollectorStore io;
  private final Clock clock;
  private final Pause pause;
  private volatile SweepHooks hooks = SweepHooks.NONE;
  private volatile Progress progress = Progress.NONE;
  private final List<Progress> moreProgress = new CopyOnWriteArrayList<>();

  public GarbageCollector(ObjectStore store, Clock clock) {
    this(store, clock, DEFAULT_PARALLELISM);
  }

  public GarbageCollector(ObjectStore store, Clock clock, int parallelism) {
    this(store, clock, parallelism, Pause.PARK);
  }

  /**
   * With {@code pause} as the wait for the fence delay and between lease renewals: a test passes
   * one that advances its clock, so no test sleeps through a fence delay.
   */
  public GarbageCollector(ObjectStore store, Clock clock, int parallelism, Pause pause) {
    this.pause = Objects.requireNonNull(pause, "pause");
    this.io = new CollectorStore(Objects.requireNonNull(store, "store"), parallelism);
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Where a run reports its phases as it goes (metrics, logs of a long run). */
  @FunctionalInterface
  public interface Progress {
    Progress NONE = (phase, count) -> {};

    /** {@code phase} reached; {@code count} is what it found (repositories, candidates, ...). */
    void at(Phase phase, long count);

    /**
     * Retention's running totals, reported when it starts (zeros, also with no policies, so every
     * run goes through the same phases) and after each repository a policy governs: the tags it
     * examined and those it removed (in a dry run: would remove). This is the {@link
     * Phase#RETENTION} report; a listener that follows only phases hears it as {@code at(RETENTION,
     * tagsRemoved)}.
     */
    default void retention(long tagsExamined, long tagsRemoved) {
      at(Phase.RETENTION, tagsRemoved);
    }
  }

  /** The phases of a run, in order. */
  public enum Phase {
    ANNOUNCED,
    LISTED,
    /** Retention policies applied (tags removed); see {@link Progress#retention}. */
    RETENTION,
    MARKED,
    INTENTS_WRITTEN,
    SWEPT,
    DONE
  }

  public void setProgress(Progress value) {
    progress = Objects.requireNonNull(value);
  }

  /**
   * Adds a listener beside the one {@link #setProgress} sets (metrics own that one; the admin
   * endpoint and the command line follow a run too).
   */
  public void addProgress(Progress value) {
    moreProgress.add(Objects.requireNonNull(value));
  }

  private void report(Phase phase, long count) {
    progress.at(phase, count);
    for (Progress p : moreProgress) {
      p.at(phase, count);
    }
  }

  private void reportRetention(long tagsExamined, long tagsRemoved) {
    progress.retention(tagsExamined, tagsRemoved);
    for (Progress p : moreProgress) {
      p.retention(tagsExamined, tagsRemoved);
    }
  }

  public void setHooks(SweepHooks value) {
    hooks = Objects.requireNonNull(value);
  }

  /**
   * A run found another instance's run active and stood down without marking or deleting anything.
   * Not a failure: the other run does the work; the next scheduled run tries again.
   */
  public static final class AnotherRunActive extends RuntimeException {
    private static final long serialVersionUID = 1L;

    AnotherRunActive(String other) {
      super("another gc run is active (" + other + "); this one stood down");
    }
  }

  /**
   * Runs once with {@code options}; returns what it did (or would do, dry).
   *
   * @throws AnotherRunActive when a run of another instance (or thread) is active
   */
  public GcStats run(GcOptions options) {
    try {
      return runOnce(options);
    } catch (IOException e) {
      throw new UncheckedIOException("gc failed: " + e.getMessage(), e);
    }
  }

  private GcStats runOnce(GcOptions options) throws IOException {
    long started = System.nanoTime();
    String runId = UUID.randomUUID().toString();
    if (options.dryRun()) {
      // A dry run announces nothing and deletes nothing.
      return markAndSweep(
          options, runId, clock.instant(), clock.instant().minus(options.grace()), null, started);
    }
    Duration leaseLength =
        RUN_LEASE.compareTo(options.intentTtl().plus(options.grace())) < 0
            ? RUN_LEASE
            : options.intentTtl().plus(options.grace());
    try (RunLease lease = new RunLease(io, clock, pause, runId, leaseLength)) {
      Optional<String> other = lease.otherActiveRun();
      if (other.isPresent()) {
        throw new AnotherRunActive(other.get());
      }
      // The store's clock, the one that stamps the pushers' marks and links.
      Instant runStart = lease.announced();
      LOG.info(
          "gc run {} announced; waiting {} for pushers to learn of it",
          runId,
          options.fenceDelay());
      awaitFence(options.fenceDelay());
      Sweep.clearExpiredIntents(io, clock);
      report(Phase.ANNOUNCED, 0);
      return markAndSweep(
          options, runId, runStart, runStart.minus(options.grace()), lease, started);
    }
  }

  private GcStats markAndSweep(
      GcOptions options,
      String runId,
      Instant runStart,
      Instant cutoff,
      RunLease lease,
      long started)
      throws IOException {
    List<SweptItem> items = new ArrayList<>();
    Map<RepositoryName, RepositoryContents> repos = RepositoryContents.list(io);
    LOG.info("gc mark: {} repositories", repos.size());
    report(Phase.LISTED, repos.size());
    KnownReferences refs = KnownReferences.prefetch(io, repos.values());
    // Retention first: the tags it removes are no roots for the mark, and the untagged manifests
    // it expires are left for the sweep (see Retention and RetentionPlan).
    Retention.Result retention =
        Retention.run(io, options, runStart, cutoff, repos, refs, hooks, this::reportRetention);
    UploadExpiry.Result uploads =
        UploadExpiry.run(io, clock, options, cutoff, repos.values(), items);
    Mark.Result mark =
        Mark.run(io, options, cutoff, repos.values(), refs, retention, uploads.liveWrites());
    long markMillis = (System.nanoTime() - started) / 1_000_000;
    LOG.info(
        "gc mark done in {} ms: {} candidates, {} manifests kept",
        markMillis,
        mark.candidates.size(),
        mark.manifestsKept);
    report(Phase.MARKED, mark.candidates.size());

    long sweepStart = System.nanoTime();
    Sweep.Result sweep =
        Sweep.run(
            io,
            clock,
            options,
            cutoff,
            refs,
            repos,
            runId,
            mark.candidates,
            lease,
            hooks,
            this::report,
            items);
    report(Phase.SWEPT, sweep.doomed());
    StrayData.run(io, options, runStart, cutoff, mark, lease, items);
    long sweepMillis = (System.nanoTime() - sweepStart) / 1_000_000;
    List<RetentionAction> retained = retentionDone(retention.actions(), refs, items);
    if (!options.dryRun()) {
      retained.stream()
          .filter(a -> a.kind() == RetentionAction.Kind.DELETE_MANIFEST)
          .forEach(Retention::audit);
    }
    GcStats stats =
        stats(
            options.dryRun(),
            repos.size(),
            mark.manifestsKept,
            uploads.expired(),
            sweep.saved(),
            markMillis,
            sweepMillis,
            items,
            retained);
    LOG.info("gc run {}: {}", runId, stats.summary());
    report(Phase.DONE, items.size());
    return stats;
  }

  private void awaitFence(Duration delay) {
    if (!delay.isPositive()) {
      return;
    }
    try {
      pause.pause(delay);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("gc interrupted while announcing its run", e);
    }
  }

  private static GcStats stats(
      boolean dryRun,
      int repositories,
      int manifestsKept,
      int uploadsExpired,
      int protectedCount,
      long markMillis,
      long sweepMillis,
      List<SweptItem> items,
      List<RetentionAction> retention) {
    int manifests = 0;
    int referrers = 0;
    int layers = 0;
    int blobs = 0;
    int stray = 0;
    int abandoned = 0;
    long bytes = 0;
    for (SweptItem item : items) {
      switch (item.kind()) {
        case MANIFEST -> manifests++;
        case REFERRER_ENTRY -> referrers++;
        case LAYER_LINK -> layers++;
        case BLOB -> blobs++;
        case STRAY_DATA -> stray++;
        case UPLOAD -> {}
        case ABANDONED_WRITE -> abandoned++;
      }
      bytes += item.kind() == Kind.UPLOAD ? 0 : item.bytes();
    }
    return new GcStats(
        dryRun,
        repositories,
        manifestsKept,
        manifests,
        referrers,
        layers,
        blobs,
        bytes,
        stray,
        uploadsExpired,
        abandoned,
        protectedCount,
        markMillis,
        sweepMillis,
        items,
        retention);
  }

  /**
   * Retention's actions as the sweep carried them out: an expired manifest the sweep did not remove
   * (a pusher marked it while the run went on) is dropped, and each removed one is given the bytes
   * of the blobs swept with it (its own and those of its config and layers that went; a blob two
   * removed manifests shared counts once, with the first).
   */
  private static List<RetentionAction> retentionDone(
      List<RetentionAction> actions, KnownReferences refs, List<SweptItem> items) {
    if (actions.isEmpty()) {
      return actions;
    }
    Set<String> sweptManifests = new HashSet<>();
    Map<String, Long> sweptBlobs = new HashMap<>();
    for (SweptItem item : items) {
      if (item.kind() == Kind.MANIFEST) {
        sweptManifests.add(item.what());
      } else if (item.kind() == Kind.BLOB) {
        sweptBlobs.put(item.what(), item.bytes());
      }
    }
    List<RetentionAction> out = new ArrayList<>();
    for (RetentionAction a : actions) {
      if (a.kind() == RetentionAction.Kind.UNTAG) {
        out.add(a);
        continue;
      }
      if (!sweptManifests.contains(a.repository() + "@" + a.digest())) {
        continue;
      }
      long bytes = 0;
      List<Digest> freed = new ArrayList<>();
      freed.add(a.digest());
      freed.addAll(refs.readSoFar(a.digest()).blobs());
      for (Digest d : freed) {
        Long b = sweptBlobs.remove(d.toString());
        bytes += b == null ? 0 : b;
      }
      out.add(a.withBytes(bytes));
    }
    return out;
  }
}
