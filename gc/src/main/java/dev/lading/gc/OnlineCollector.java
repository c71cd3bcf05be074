package dev.lading.gc;

import dev.lading.core.policy.ImmutableTags;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GC inside a running server: on a schedule and on demand, one run at a time in this process (runs
 * from other instances are harmless, see the package documentation), with the last result kept for
 * the admin endpoint and reported to listeners (metrics).
 */
public final class OnlineCollector implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OnlineCollector.class);

  /** What the status endpoint shows. */
  public record Status(
      boolean running,
      long runs,
      Optional<Instant> lastStarted,
      Optional<Instant> lastFinished,
      Optional<GcStats> last,
      Optional<String> lastError) {}

  /**
   * The run going on now: when it started, whether it is dry, the last phase it reached (empty
   * while it waits out the fence delay after announcing itself) and what each phase reached so far
   * found (repositories listed, tags retention removed, candidates marked, intents written, ...),
   * and the tags retention examined so far.
   */
  public record RunProgress(
      Instant started,
      boolean dryRun,
      Optional<GarbageCollector.Phase> phase,
      Map<GarbageCollector.Phase, Long> counts,
      long tagsExamined) {
    public RunProgress {
      counts = Map.copyOf(counts);
    }

    static RunProgress starting(Instant started, boolean dryRun) {
      return new RunProgress(started, dryRun, Optional.empty(), Map.of(), 0);
    }

    RunProgress reached(GarbageCollector.Phase next, long count, long examined) {
      Map<GarbageCollector.Phase, Long> more = new EnumMap<>(GarbageCollector.Phase.class);
      more.putAll(counts);
      more.put(next, count);
      return new RunProgress(started, dryRun, Optional.of(next), more, examined);
    }
  }

  /** Told about every run's end, on the collector's thread. */
  public interface Listener {
    void finished(GcStats stats, Duration took);

    void failed(Throwable failure);
  }

  private final GarbageCollector collector;
  private volatile GcOptions options;
  private final Clock clock;
  private final AtomicBoolean running = new AtomicBoolean();
  private final ScheduledExecutorService scheduler;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private volatile long runs;
  private volatile Instant lastStarted;
  private volatile Instant lastFinished;
  private volatile GcStats last;
  private volatile String lastError;
  private volatile RunProgress current;

  public OnlineCollector(GarbageCollector collector, GcOptions options, Clock clock) {
    this.collector = Objects.requireNonNull(collector);
    this.options = Objects.requireNonNull(options);
    this.clock = Objects.requireNonNull(clock);
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("lading-gc").daemon(true).factory());
    // Progress of this process's run; runs of other callers of the same collector are ignored.
    collector.addProgress(
        new GarbageCollector.Progress() {
          @Override
          public void at(GarbageCollector.Phase phase, long count) {
            RunProgress now = current;
            if (now != null && running.get()) {
              current = now.reached(phase, count, now.tagsExamined());
            }
          }

          @Override
          public void retention(long tagsExamined, long tagsRemoved) {
            RunProgress now = current;
            if (now != null && running.get()) {
              current = now.reached(GarbageCollector.Phase.RETENTION, tagsRemoved, tagsExamined);
            }
          }
        });
  }

  /**
   * The run in progress in this process, if any, with the phase it reached ({@code GET /admin/gc}).
   */
  public Optional<RunProgress> current() {
    return Optional.ofNullable(current);
  }

  /** The collector this one runs (for progress hooks). */
  public GarbageCollector collector() {
    return collector;
  }

  /**
   * Puts reloaded retention policies, and the immutable tag rules retention must respect, in force
   * for the runs that start from now on (the server's configuration reloaded them); a run in
   * progress keeps the ones it started with, so one run never mixes two sets of policies. One
   * write: a run starting meanwhile takes both old or both new, never a tag rule set that does not
   * go with its policies.
   */
  public void policies(List<RetentionPolicy> retention, ImmutableTags immutableTags) {
    options = options.withRetention(retention).withImmutableTags(immutableTags);
  }

  /** The options scheduled and triggered runs use. */
  public GcOptions options() {
    return options;
  }

  public void addListener(Listener listener) {
    listeners.add(Objects.requireNonNull(listener));
  }

  /** Runs every {@code interval} (first run after one interval). */
  public void schedule(Duration interval) {
    if (!interval.isPositive()) {
      throw new IllegalArgumentException("interval must be positive");
    }
    scheduler.scheduleWithFixedDelay(
        () -> {
          if (running.compareAndSet(false, true)) {
            runHoldingFlag(options);
          }
        },
        interval.toMillis(),
        interval.toMillis(),
        TimeUnit.MILLISECONDS);
    LOG.info("online gc every {}", interval);
  }

  /** Starts a run with the configured options in the background; false when one is running. */
  public boolean trigger() {
    return trigger(options.dryRun());
  }

  /**
   * Starts a run in the background, dry or not, unless one is running in this process; the check
   * and the claim are one atomic step, so two callers never both hear "started".
   */
  public boolean trigger(boolean dryRun) {
    if (!running.compareAndSet(false, true)) {
      return false;
    }
    GcOptions chosen = options.withDryRun(dryRun);
    // Shown from the moment the trigger is answered, before the run's thread gets going.
    current = RunProgress.starting(clock.instant(), dryRun);
    try {
      scheduler.execute(() -> runHoldingFlag(chosen));
    } catch (RuntimeException e) {
      current = null;
      running.set(false);
      throw e;
    }
    return true;
  }

  public Status status() {
    return new Status(
        running.get(),
        runs,
        Optional.ofNullable(lastStarted),
        Optional.ofNullable(lastFinished),
        Optional.ofNullable(last),
        Optional.ofNullable(lastError));
  }

  private void runHoldingFlag(GcOptions chosen) {
    long started = System.nanoTime();
    lastStarted = clock.instant();
    current = RunProgress.starting(lastStarted, chosen.dryRun());
    try {
      GcStats stats = collector.run(chosen);
      last = stats;
      lastError = null;
      Duration took = Duration.ofNanos(System.nanoTime() - started);
      for (Listener l : listeners) {
        l.finished(stats, took);
      }
    } catch (GarbageCollector.AnotherRunActive e) {
      lastError = e.getMessage();
      LOG.info("{}", e.getMessage());
    } catch (RuntimeException e) {
      lastError = e.toString();
      LOG.warn("gc run failed; the next run starts over", e);
      for (Listener l : listeners) {
        l.failed(e);
      }
    } finally {
      runs++;
      lastFinished = clock.instant();
      current = null;
      running.set(false);
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
