package dev.lading.core.registry;

import static dev.lading.core.registry.StorageCalls.io;
import static dev.lading.core.registry.StorageCalls.run;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.GcIntentKey;
import dev.lading.core.layout.StorageLayout.GcMarkKey;
import dev.lading.core.layout.StorageLayout.LinkEpochKey;
import dev.lading.core.layout.StoredValues;
import dev.lading.core.layout.StoredValues.GcIntent;
import dev.lading.core.layout.StoredValues.GcRun;
import dev.lading.core.layout.StoredValues.LinkEpoch;
import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.storage.KeyPage;
import dev.lading.core.storage.ObjectStore;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pushers' half of online GC's fence; the sweeper's half and the argument why the two halves
 * together never lose a blob a push needs are in module {@code gc} ({@code dev.lading.gc}).
 *
 * <p>A fenced operation (upload commit, mount, manifest {@code PUT}, and {@code HEAD} while a run
 * is known) first <em>writes</em> a mark {@code gc/marks/<digest>} for each digest it needs, but
 * only when a GC run is active, then <em>reads</em> the sweeper's deletion intents. The sweeper
 * does the opposite (write intent, read marks), so one of the two always sees the other.
 *
 * <p>Which runs are active is read from {@code gc/runs/} and cached for {@link #runCacheTtl}:
 * writing a mark on every {@code HEAD} and commit would double the hot path's store calls for the
 * weeks when no GC runs. A cached "no run" is safe because (1) the sweeper waits at least the TTL
 * plus a margin after announcing its run before it starts marking, so whatever a pusher finishes
 * within the TTL of its cached read is seen by the mark, and (2) just before its final write a
 * fenced operation whose cached answer has aged past the TTL re-reads it ({@link #stillClear}),
 * and, if a run appeared, writes its marks and checks intents then.
 *
 * <p>All waiting and pausing points call {@link Hooks}, so tests interleave a pusher with a sweeper
 * deterministically.
 */
public final class GcFence {
  private static final Logger LOG = LoggerFactory.getLogger(GcFence.class);

  /** Where a fenced operation may be paused by a test. */
  public enum Point {
    /** Marks are written (or none were needed); intents not yet read. */
    MARKED,
    /** Intents read and existence re-checked; the operation's final write comes next. */
    BEFORE_FINAL_WRITE,
    /** A commit found a deletion intent on its digest and waits for it to clear. */
    WAITING_FOR_INTENT
  }

  /** Test seam: called at each {@link Point} with the digests involved. */
  @FunctionalInterface
  public interface Hooks {
    Hooks NONE = (point, digests) -> {};

    void at(Point point, Collection<Digest> digests);
  }

  /**
   * A fenced operation in progress: the repository it writes to, whether it wrote marks, and when
   * it last knew the runs.
   */
  public static final class Ticket {
    private final RepositoryName repository;
    private final Set<Digest> digests;
    private boolean marked;
    private long knownAtMillis;

    private Ticket(
        RepositoryName repository, Set<Digest> digests, boolean marked, long knownAtMillis) {
      this.repository = repository;
      this.digests = digests;
      this.marked = marked;
      this.knownAtMillis = knownAtMillis;
    }

    public boolean marked() {
      return marked;
    }
  }

  /**
   * What a read of {@code gc/runs/} found; {@code ids} names the active runs, for read marks. When
   * the link epoch is followed, {@code epoch} is the one read at {@code epochReadAtMillis}, never
   * before the runs (a read of the runs reads the epoch after them); otherwise {@link
   * LinkEpoch#NONE}, never used.
   */
  private record Runs(
      boolean active, String ids, long readAtMillis, LinkEpoch epoch, long epochReadAtMillis) {
    Runs withEpoch(LinkEpoch value, long at) {
      return new Runs(active, ids, readAtMillis, value, at);
    }
  }

  /**
   * A moment with no GC run known: the link epoch read at most {@link #linkEpochTtl} ago, and when
   * the runs were read (see {@link LinkCache} for what it allows).
   */
  record Quiet(LinkEpoch epoch, long runsReadAtMillis) {}

  /** How long pushers trust a read of the run list; a run's fence delay must exceed it. */
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(5);

  private static final Duration DEFAULT_POLL = Duration.ofMillis(200);

  private final ObjectStore store;
  private final Clock clock;
  private final Duration runCacheTtl;
  private final Duration intentPoll;
  private final Pause pause;
  private volatile Hooks hooks = Hooks.NONE;
  private volatile Runs runs;
  private volatile boolean followsLinkEpoch;
  private final Duration linkEpochTtl;

  /**
   * Read marks written during the runs now known, by "run ids|digest": many nodes pulling one layer
   * while a run goes on cost the store one mark per instance, not one per request. Only reads use
   * it; a fenced write always writes its own marks.
   */
  private final Cache<String, Boolean> readMarks =
      Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(Duration.ofMinutes(10)).build();

  public GcFence(ObjectStore store, Clock clock, Duration runCacheTtl, Duration intentPoll) {
    this(store, clock, runCacheTtl, intentPoll, Pause.PARK);
  }

  /**
   * With {@code pause} as the wait between reads of an intent (a test advances its clock there).
   */
  public GcFence(
      ObjectStore store, Clock clock, Duration runCacheTtl, Duration intentPoll, Pause pause) {
    this.pause = Objects.requireNonNull(pause, "pause");
    this.store = Objects.requireNonNull(store, "store");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.runCacheTtl = Objects.requireNonNull(runCacheTtl, "runCacheTtl");
    this.intentPoll = Objects.requireNonNull(intentPoll, "intentPoll");
    if (runCacheTtl.isNegative() || intentPoll.isNegative()) {
      throw new IllegalArgumentException("durations must not be negative");
    }
    Duration second = Duration.ofSeconds(1);
    this.linkEpochTtl = runCacheTtl.compareTo(second) < 0 ? runCacheTtl : second;
  }

  /** A 5 s run cache and a commit re-checking a pending intent every 200 ms. */
  public static GcFence of(ObjectStore store, Clock clock) {
    return new GcFence(store, clock, DEFAULT_TTL, DEFAULT_POLL);
  }

  /** How long a read of the active runs is trusted; the sweeper waits longer than this. */
  public Duration runCacheTtl() {
    return runCacheTtl;
  }

  public void setHooks(Hooks value) {
    hooks = Objects.requireNonNull(value);
  }

  /**
   * How long a read of the link epoch is trusted: at most a second, and never longer than the run
   * cache (the argument in {@link LinkCache} needs both). A blob {@code DELETE} waits this long
   * after writing a new epoch, so every instance knows it by the time the client hears back.
   */
  Duration linkEpochTtl() {
    return linkEpochTtl;
  }

  /** How this fence waits (a test's clock-advancing pause, or parking). */
  Pause pause() {
    return pause;
  }

  /** From now on every read of the runs reads the link epoch after them ({@link #quiet}). */
  void followLinkEpoch() {
    followsLinkEpoch = true;
    runs = null;
  }

  /**
   * Now, when no GC run is known and the link epoch is followed: the epoch (re-read when older than
   * {@link #linkEpochTtl}) and when the runs were read. Empty while a run is known.
   */
  Optional<Quiet> quiet() {
    if (!followsLinkEpoch) {
      return Optional.empty();
    }
    Runs known = runs(false);
    if (known.active()) {
      return Optional.empty();
    }
    if (clock.millis() - known.epochReadAtMillis() >= linkEpochTtl.toMillis()) {
      long at = clock.millis();
      LinkEpoch epoch = readLinkEpoch();
      Runs now = runs;
      // Only onto the same read of the runs: a newer one read its own epoch after itself.
      if (now != null && now.readAtMillis() == known.readAtMillis()) {
        runs = now.withEpoch(epoch, at);
      }
      return Optional.of(new Quiet(epoch, known.readAtMillis()));
    }
    return Optional.of(new Quiet(known.epoch(), known.readAtMillis()));
  }

  /** Whether the runs read for {@code quiet} are still younger than the run cache's TTL. */
  boolean stillQuiet(Quiet quiet) {
    return clock.millis() - quiet.runsReadAtMillis() < runCacheTtl.toMillis();
  }

  /**
   * Writes a new link epoch, as every deletion of layer links must ({@link LinkCache}), and returns
   * it. The one writer of {@code gc/link-epoch}: a blob {@code DELETE} through {@link
   * #newLinkEpoch}, a GC sweep directly.
   */
  public static LinkEpoch writeNewLinkEpoch(ObjectStore store) throws IOException {
    LinkEpoch epoch = LinkEpoch.fresh();
    store.write(StorageLayout.keyOf(new LinkEpochKey()), epoch.write());
    return epoch;
  }

  /** Writes a new link epoch ({@link #writeNewLinkEpoch}); the next {@link #quiet} reads it. */
  void newLinkEpoch() {
    io(() -> writeNewLinkEpoch(store));
    Runs known = runs;
    if (known != null) {
      runs = known.withEpoch(known.epoch(), Long.MIN_VALUE / 2);
    }
  }

  private LinkEpoch readLinkEpoch() {
    Optional<byte[]> bytes = io(() -> store.read(StorageLayout.keyOf(new LinkEpochKey())));
    if (bytes.isEmpty()) {
      return LinkEpoch.NONE;
    }
    try {
      return LinkEpoch.read(bytes.get());
    } catch (RuntimeException e) {
      return LinkEpoch.fresh(); // unreadable: an epoch nothing was cached under, so nothing counts
    }
  }

  /** Whether a GC run is active, from the cache (re-read once it is older than the TTL). */
  public boolean runActive() {
    return runs(false).active();
  }

  /**
   * Step one of a fenced operation that will write to {@code repository}: marks {@code digests}
   * when a run is active.
   */
  public Ticket enter(RepositoryName repository, Collection<Digest> digests) {
    Set<Digest> set = new LinkedHashSet<>(digests);
    Runs known = runs(false);
    if (known.active()) {
      writeMarks(set);
    }
    Ticket ticket = new Ticket(repository, set, known.active(), known.readAtMillis());
    hooks.at(Point.MARKED, set);
    return ticket;
  }

  /**
   * A {@code HEAD}, which a client uses to skip an upload into {@code repository}: when a run is
   * active, marks {@code digest} and reports whether no sweeper intends to delete what a push into
   * {@code repository} would rely on (the blob, or its link there).
   */
  public boolean confirmIfRunActive(Digest digest, RepositoryName repository) {
    Runs known = runs(false);
    if (!known.active()) {
      return true;
    }
    markRead(known, digest);
    hooks.at(Point.MARKED, Set.of(digest));
    return !intended(digest, repository);
  }

  /**
   * A pull ({@code GET}): when a run is active, marks {@code digest} as in use so the run keeps it,
   * and never refuses, whatever the intents: reads never fail because of a collection. A mark that
   * cannot be written only loses this run's respect for the read (the blob was linked when the pull
   * began, and a run deletes only what no kept manifest references).
   */
  public void markReadIfRunActive(Digest digest) {
    try {
      Runs known = runs(false);
      if (known.active()) {
        markRead(known, digest);
      }
    } catch (RuntimeException e) {
      LOG.debug("could not mark {} as read during a GC run: {}", digest, e.toString());
    }
  }

  private void markRead(Runs known, Digest digest) {
    String key = known.ids() + "|" + digest;
    if (readMarks.getIfPresent(key) == null) {
      writeMarks(Set.of(digest));
      readMarks.put(key, Boolean.TRUE);
    }
  }

  /**
   * Step two: the digests among {@code digests} for which a sweeper intends to delete what a write
   * into {@code repository} relies on (see {@link GcIntent#concerns}).
   */
  public Set<Digest> intended(Collection<Digest> digests, RepositoryName repository) {
    Set<Digest> out = new HashSet<>();
    if (digests.size() <= 4) {
      for (Digest d : digests) {
        if (intended(d, repository)) {
          out.add(d);
        }
      }
      return out;
    }
    // Many digests: one listing (intents exist only while a sweep runs, so it is short).
    Set<Digest> wanted = new HashSet<>(digests);
    String prefix = StorageLayout.gcIntentsPrefix();
    Optional<String> after = Optional.empty();
    while (true) {
      Optional<String> from = after;
      KeyPage page = io(() -> store.list(prefix, from, 1000));
      for (String key : page.keys()) {
        // Not an intent: S3Proxy's filesystem backend lists a PUT's temporary file, for one.
        Optional<Digest> d = StorageLayout.parse(key, GcIntentKey.class).map(GcIntentKey::digest);
        if (d.isPresent() && wanted.contains(d.get()) && intended(d.get(), repository)) {
          out.add(d.get());
        }
      }
      if (!page.truncated() || page.keys().isEmpty()) {
        return out;
      }
      after = Optional.of(page.keys().get(page.keys().size() - 1));
    }
  }

  /**
   * Whether a live (not past its deadline) deletion intent on {@code digest} concerns a write into
   * {@code repository}.
   */
  public boolean intended(Digest digest, RepositoryName repository) {
    return liveIntent(digest).filter(i -> i.concerns(repository)).isPresent();
  }

  /** Whether any live deletion intent exists for {@code digest}, whatever it concerns. */
  public boolean intended(Digest digest) {
    return liveIntent(digest).isPresent();
  }

  /**
   * The last step before an operation's final write. A ticket that wrote marks is clear (the
   * intents were read after them). A ticket that wrote none relied on a cached "no run": while that
   * answer is younger than the TTL the sweeper has not started marking; once older, the runs are
   * re-read and, when one appeared, the marks are written and intents read now.
   *
   * @return false when a sweeper intends to delete one of the ticket's digests
   */
  public boolean stillClear(Ticket ticket) {
    hooks.at(Point.BEFORE_FINAL_WRITE, ticket.digests);
    if (ticket.marked) {
      return true;
    }
    if (clock.millis() - ticket.knownAtMillis < runCacheTtl.toMillis()) {
      return true;
    }
    Runs known = runs(true);
    ticket.knownAtMillis = known.readAtMillis();
    if (!known.active()) {
      return true;
    }
    writeMarks(ticket.digests);
    ticket.marked = true;
    return intended(ticket.digests, ticket.repository).isEmpty();
  }

  /**
   * Blocks while a sweeper intends to delete {@code digest}: a commit of fresh bytes must come
   * after the sweeper deleted the old record (or gave up), so the sweep never removes the fresh
   * copy. Returns at once when there is no intent or its deadline has passed.
   */
  public void awaitNoIntent(Digest digest, RepositoryName repository) {
    while (intended(digest, repository)) {
      hooks.at(Point.WAITING_FOR_INTENT, Set.of(digest));
      pauseOnce();
    }
  }

  /**
   * Waits, at most {@code atMost}, until no intent on {@code digests} concerns a write into {@code
   * repository}; returns those still concerned then. A sweeper clears the intents of the candidates
   * its re-check saved right after that re-check, and the others once it has deleted them, so a
   * manifest push that waits here is refused only for blobs really deleted (its own re-check of
   * existence then tells), not for those a run merely considered.
   */
  public Set<Digest> awaitNoIntents(
      Collection<Digest> digests, RepositoryName repository, Duration atMost) {
    long deadline = clock.millis() + atMost.toMillis();
    Set<Digest> pending = intended(digests, repository);
    while (!pending.isEmpty() && clock.millis() < deadline) {
      hooks.at(Point.WAITING_FOR_INTENT, pending);
      pauseOnce();
      pending = intended(pending, repository);
    }
    return pending;
  }

  private void pauseOnce() {
    try {
      pause.pause(intentPoll.isZero() ? Duration.ofMillis(1) : intentPoll);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw StorageCalls.unavailable(e);
    }
  }

  private Optional<GcIntent> liveIntent(Digest digest) {
    Optional<byte[]> bytes = io(() -> store.read(StorageLayout.keyOf(new GcIntentKey(digest))));
    if (bytes.isEmpty()) {
      return Optional.empty();
    }
    GcIntent intent;
    try {
      intent = GcIntent.read(bytes.get());
    } catch (RuntimeException e) {
      return Optional.empty(); // unreadable: honoured by nobody, the sweeper re-checks its own
    }
    return isFuture(intent.deadline()) ? Optional.of(intent) : Optional.empty();
  }

  private void writeMarks(Set<Digest> digests) {
    for (Digest d : digests) {
      run(() -> store.write(StorageLayout.keyOf(new GcMarkKey(d)), StoredValues.empty()));
    }
  }

  private Runs runs(boolean forceRead) {
    Runs known = runs;
    long now = clock.millis();
    if (!forceRead && known != null && now - known.readAtMillis() < runCacheTtl.toMillis()) {
      return known;
    }
    String prefix = StorageLayout.gcRunsPrefix();
    KeyPage page = io(() -> store.list(prefix, Optional.empty(), 100));
    boolean active = false;
    StringBuilder ids = new StringBuilder();
    for (String key : page.keys()) {
      Optional<byte[]> bytes = io(() -> store.read(key));
      if (bytes.isEmpty()) {
        continue;
      }
      try {
        GcRun gcRun = GcRun.read(bytes.get());
        if (isFuture(gcRun.expiresAt())) {
          active = true;
          ids.append(key).append(',');
        }
      } catch (RuntimeException e) {
        active = true; // unreadable: assume a run, which costs marks and never safety
        ids.append(key).append(',');
      }
    }
    LinkEpoch epoch = LinkEpoch.NONE;
    long epochAt = Long.MIN_VALUE / 2;
    if (followsLinkEpoch) {
      epochAt = clock.millis();
      epoch = readLinkEpoch();
    }
    Runs fresh = new Runs(active || page.truncated(), ids.toString(), now, epoch, epochAt);
    runs = fresh;
    return fresh;
  }

  private boolean isFuture(Instant instant) {
    return instant.isAfter(clock.instant());
  }
}
