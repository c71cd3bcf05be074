package dev.lading.gc;

import dev.lading.core.error.RegistryException;
import dev.lading.core.manifest.ManifestDescriptor;
import dev.lading.core.manifest.ManifestParser;
import dev.lading.core.manifest.ParsedManifest;
import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.registry.Pause;
import dev.lading.core.registry.StoredJson;
import dev.lading.core.registry.StoredJson.BlobRecord;
import dev.lading.core.registry.StoredJson.GcIntent;
import dev.lading.core.registry.StoredJson.GcRun;
import dev.lading.core.registry.StoredJson.ManifestLink;
import dev.lading.core.registry.StoredJson.UploadState;
import dev.lading.core.storage.ListedObject;
import dev.lading.core.storage.ObjectInfo;
import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.StorageLayout;
import dev.lading.core.storage.StorageLayout.BlobRecordKey;
import dev.lading.core.storage.StorageLayout.GcIntentKey;
import dev.lading.core.storage.StorageLayout.GcRunKey;
import dev.lading.core.storage.StorageLayout.LayerLinkKey;
import dev.lading.core.storage.StorageLayout.ManifestLinkKey;
import dev.lading.core.storage.StorageLayout.ReferrerEntry;
import dev.lading.gc.GcStats.Kind;
import dev.lading.gc.GcStats.SweptItem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One mark-and-sweep over an {@link ObjectStore}, safe while pushes go on (the protocol and why
 * it is safe are in the package documentation). Holds no state between runs: a run interrupted
 * anywhere is simply run again; it finds the same candidates, and its leftovers (intents, a run
 * object) carry deadlines after which nobody honours them.
 */
public final class GarbageCollector {
  private static final Logger LOG = LoggerFactory.getLogger(GarbageCollector.class);
  private static final int DELETE_BATCH = 1000;

  /** Test seam: the sweeper's pause points. */
  public interface SweepHooks {
    SweepHooks NONE = new SweepHooks() {};

    /** The mark is done; no intent written yet. */
    default void afterMark(Set<Digest> candidates) {}

    /** Intents are written for {@code candidates}; marks not yet read. */
    default void afterIntents(Set<Digest> candidates) {}

    /** Marks read; {@code doomed} will be deleted next. */
    default void beforeDelete(Set<Digest> doomed) {}
  }

  /** Store calls in flight at once during mark and sweep (see {@link BoundedCalls}). */
  public static final int DEFAULT_PARALLELISM = 32;

  private final ObjectStore store;
  private final Clock clock;
  private final BoundedCalls calls;
  private final ParallelListing listing;
  private final Pause pause;
  private volatile SweepHooks hooks = SweepHooks.NONE;
  private volatile Progress progress = Progress.NONE;
  private final List<Progress> moreProgress = new java.util.concurrent.CopyOnWriteArrayList<>();

  public GarbageCollector(ObjectStore store, Clock clock) {
    this(store, clock, DEFAULT_PARALLELISM);
  }

  public GarbageCollector(ObjectStore store, Clock clock, int parallelism) {
    this(store, clock, parallelism, Pause.PARK);
  }

  /**
   * With {@code pause} as the wait for the fence delay and between lease renewals: a test
   * passes one that advances its clock, so no test sleeps through a fence delay.
   */
  public GarbageCollector(ObjectStore store, Clock clock, int parallelism, Pause pause) {
    this.pause = Objects.requireNonNull(pause, "pause");
    this.store = Objects.requireNonNull(store, "store");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.calls = new BoundedCalls(parallelism);
    this.listing = new ParallelListing(store, parallelism);
  }

  /** Where a run reports its phases as it goes (metrics, logs of a long run). */
  @FunctionalInterface
  public interface Progress {
    Progress NONE = (phase, count) -> {};

    /** {@code phase} reached; {@code count} is what it found (repositories, candidates, ...). */
    void at(Phase phase, long count);
  }

  /** The phases of a run, in order. */
  public enum Phase { ANNOUNCED, LISTED, MARKED, INTENTS_WRITTEN, SWEPT, DONE }

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

  public void setHooks(SweepHooks value) {
    hooks = Objects.requireNonNull(value);
  }

  // ---- what the mark finds ------------------------------------------------------------------

  /** What one repository holds, from one listing of its keys. */
  private static final class Repo {
    final RepositoryName name;
    final Set<Digest> manifests = new HashSet<>();
    /** When each manifest link was last written, as the listing told it. */
    final Map<Digest, Instant> manifestTimes = new HashMap<>();
    final Map<String, String> tagKeys = new LinkedHashMap<>(); // tag key -> (read later)
    final List<ReferrerEntry> referrers = new ArrayList<>();
    /** Layer links and when each was last written, as the listing told it. */
    final Map<Digest, Instant> layers = new HashMap<>();
    final List<String> uploadKeys = new ArrayList<>();

    Repo(RepositoryName name) {
      this.name = name;
    }
  }

  /** What a manifest references: blobs (config, layers) and child manifests. */
  private record Refs(Set<Digest> blobs, Set<Digest> children) {
    static final Refs NONE = new Refs(Set.of(), Set.of());
  }

  /** Everything a digest's sweep would delete, gathered across repositories. */
  private static final class Candidate {
    final Digest digest;
    final List<RepositoryName> layerLinks = new ArrayList<>();
    final List<RepositoryName> manifestLinks = new ArrayList<>();
    final List<String> referrerKeys = new ArrayList<>();
    BlobRecord record; // when the record goes too
    long manifestBytes;

    Candidate(Digest digest) {
      this.digest = digest;
    }

    /**
     * The intent announcing what this candidate's sweep may delete: its links in these
     * repositories, and the blob itself only when its record goes. Pushers into other
     * repositories are not held up by a shared layer's dead link somewhere else.
     */
    GcIntent intent(String runId, Instant deadline) {
      java.util.TreeSet<String> repos = new java.util.TreeSet<>();
      layerLinks.forEach(r -> repos.add(r.value()));
      manifestLinks.forEach(r -> repos.add(r.value()));
      return new GcIntent(runId, deadline.toString(), record != null, List.copyOf(repos));
    }
  }

  /**
   * A run found another instance's run active and stood down without marking or deleting
   * anything. Not a failure: the other run does the work; the next scheduled run tries again.
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

  /**
   * How long a run object counts as active without renewal. A live run renews it every quarter
   * of this, so pushers keep marking however long the run takes, and a killed run stops counting
   * (for pushers and for other runs) this long after its last renewal.
   */
  static final Duration RUN_LEASE = Duration.ofMinutes(2);

  /** The run object's lease, renewed in the background while a run goes on. */
  private final class Lease implements AutoCloseable {
    private final String key;
    private final String id;
    private final String startedAt;
    private final Duration length;
    private volatile Instant until;
    /** When the store stamped the first write: the run's start on the store's clock. */
    private final Instant announced;
    private final Thread renewer;
    private volatile boolean closed;

    Lease(String key, String id, Duration length) throws IOException {
      this.key = key;
      this.id = id;
      this.startedAt = clock.instant().toString();
      this.length = length;
      write();
      // Read before any renewal moves the object's time: pushers learned of the run from here.
      this.announced = store.stat(key).map(ObjectInfo::lastModified).orElse(clock.instant());
      this.renewer = Thread.ofVirtual().name("lading-gc-lease").start(this::renew);
    }

    private void write() throws IOException {
      Instant next = clock.instant().plus(length);
      store.write(key, StoredJson.write(new GcRun(id, startedAt, next.toString())));
      until = next;
    }

    private void renew() {
      while (!closed) {
        try {
          pause.pause(length.dividedBy(4).isZero() ? Duration.ofMillis(1) : length.dividedBy(4));
        } catch (InterruptedException e) {
          return;
        }
        if (closed) {
          return;
        }
        try {
          write();
        } catch (IOException | RuntimeException e) {
          LOG.warn("gc run {}: could not renew its lease: {}", id, e.toString());
        }
      }
    }

    /** Whether the lease is surely still seen by pushers for a while (renewals are working). */
    boolean healthy() {
      return clock.instant().plus(length.dividedBy(2)).isBefore(until);
    }

    /** Stops renewing (waiting for a renewal in flight, so none lands after) and deletes the object. */
    @Override
    public void close() throws IOException {
      closed = true;
      renewer.interrupt();
      try {
        renewer.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      store.delete(List.of(key));
    }
  }

  private GcStats runOnce(GcOptions options) throws IOException {
    long started = System.nanoTime();
    String runId = UUID.randomUUID().toString();
    Instant runStart;
    String runKey = StorageLayout.keyOf(new GcRunKey(runId));
    if (options.dryRun()) {
      return markAndSweep(options, runId, clock.instant(), clock.instant().minus(options.grace()),
          null, started);
    }
    Duration leaseLength = RUN_LEASE.compareTo(options.intentTtl().plus(options.grace())) < 0
        ? RUN_LEASE : options.intentTtl().plus(options.grace());
    try (Lease lease = new Lease(runKey, runId, leaseLength)) {
      Optional<String> other = otherActiveRun(runKey);
      if (other.isPresent()) {
        throw new AnotherRunActive(other.get());
      }
      // The store's clock, the one that stamps the pushers' marks and links.
      runStart = lease.announced;
      LOG.info("gc run {} announced; waiting {} for pushers to learn of it", runId, options.fenceDelay());
      awaitFence(options.fenceDelay());
      clearExpiredIntents();
      report(Phase.ANNOUNCED, 0);
      return markAndSweep(options, runId, runStart, runStart.minus(options.grace()), lease, started);
    }
  }

  /**
   * One run at a time per store. Two overlapping runs are not safe together: each clears its
   * candidates' intents when done, and {@code gc/intents/<digest>} is one key per digest, so
   * one run could remove the intent another still relies on while a pusher checks it. Both
   * sides write their run object and then list the runs, so of two overlapping runs at least
   * the later lister sees the other and stands down (both may, which only delays GC to the next
   * schedule). A crashed run's object stops counting at its {@code expiresAt}.
   */
  private Optional<String> otherActiveRun(String ownKey) throws IOException {
    List<String> dead = new ArrayList<>();
    try {
      return otherActiveRun(ownKey, dead);
    } finally {
      // A run that crashed left its object behind. Everyone ignores it past its expiresAt; one
      // expired for a whole lease more (room for clocks that differ between instances) is
      // deleted, so crashed runs do not pile up under gc/runs/.
      deleteBatched(dead);
    }
  }

  private Optional<String> otherActiveRun(String ownKey, List<String> dead) throws IOException {
    for (String key : allKeys(StorageLayout.gcRunsPrefix())) {
      if (key.equals(ownKey)) {
        continue;
      }
      Optional<byte[]> bytes = store.read(key);
      if (bytes.isEmpty()) {
        continue;
      }
      try {
        GcRun other = StoredJson.read(bytes.get(), GcRun.class);
        Instant expires = Instant.parse(other.expiresAt());
        if (expires.isAfter(clock.instant())) {
          return Optional.of(key);
        }
        if (expires.plus(RUN_LEASE).isBefore(clock.instant())) {
          dead.add(key);
        }
      } catch (RuntimeException e) {
        LOG.warn("gc: unreadable run object {}; ignored", key);
      }
    }
    return Optional.empty();
  }

  private GcStats markAndSweep(
      GcOptions options, String runId, Instant runStart, Instant cutoff, Lease lease,
      long started) throws IOException {
    List<SweptItem> items = new ArrayList<>();
    // ---- mark ----
    Map<RepositoryName, Repo> repos = listRepositories();
    LOG.info("gc mark: {} repositories", repos.size());
    report(Phase.LISTED, repos.size());
    Map<Digest, Refs> refsCache = prefetchRefs(repos.values());
    Map<Digest, Candidate> candidates = new LinkedHashMap<>();
    Set<Digest> live = new HashSet<>();
    Set<String> liveData = new HashSet<>();
    int manifestsKept = 0;
    int uploadsExpired = 0;
    Set<String> liveWrites = new HashSet<>();
    List<String> strayReferrerKeys = new ArrayList<>();
    for (Repo repo : repos.values()) {
      Set<Digest> kept = keptManifests(repo, options, cutoff, refsCache);
      manifestsKept += kept.size();
      live.addAll(kept);
      Set<Digest> referenced = new HashSet<>();
      for (Digest m : kept) {
        referenced.addAll(refs(m, repo.name, refsCache).blobs());
      }
      // Whatever a kept manifest references is live, linked in this listing or not (a store
      // whose overwrite is not atomic may list a link being rewritten under another name).
      live.addAll(referenced);
      for (Digest m : repo.manifests) {
        if (!kept.contains(m)) {
          candidate(candidates, m).manifestLinks.add(repo.name);
        }
      }
      for (ReferrerEntry entry : repo.referrers) {
        String key = StorageLayout.keyOf(
            new StorageLayout.ReferrerKey(repo.name, entry.subject(), entry.referrer()));
        if (!kept.contains(entry.referrer())) {
          if (repo.manifests.contains(entry.referrer())) {
            candidate(candidates, entry.referrer()).referrerKeys.add(key);
          } else {
            strayReferrerKeys.add(key); // its manifest is gone already: an index entry only
          }
        }
      }
      // The listing told each link's time: no stat per link.
      for (Map.Entry<Digest, Instant> layer : repo.layers.entrySet()) {
        if (referenced.contains(layer.getKey())) {
          live.add(layer.getKey());
        } else if (layer.getValue().isBefore(cutoff)) {
          candidate(candidates, layer.getKey()).layerLinks.add(repo.name);
        } else {
          live.add(layer.getKey()); // young: a manifest may still come for it
        }
      }
      uploadsExpired += expireUploads(repo, options, liveWrites, items);
    }
    liveData.addAll(liveWrites);
    // Multipart residue no live session names (a request died after creating it): its data key
    // was chosen after the session started, so it is older than the cutoff only when its session
    // is, and sessions are listed above.
    for (String residue : store.sweepAbandonedWrites(liveWrites, cutoff, options.dryRun())) {
      items.add(new SweptItem(Kind.ABANDONED_WRITE, residue, 0));
    }
    // Blob records: a record goes when nothing keeps its digest and it is older than the grace.
    // Only records that are not live are read here; live ones only matter to the stray-data pass.
    List<Digest> liveRecords = new ArrayList<>();
    List<Digest> otherRecords = new ArrayList<>();
    Map<Digest, Instant> recordTimes = new HashMap<>();
    for (ListedObject object : listing.all(StorageLayout.blobRecordShards())) {
      Optional<Digest> record = StorageLayout.blobRecordDigest(object.key());
      if (record.isEmpty()) {
        // Not ours (S3Proxy's filesystem backend lists a PUT's temporary file, for one).
        LOG.debug("gc: skipping a key outside the layout: {}", object.key());
        continue;
      }
      Digest digest = record.get();
      (live.contains(digest) ? liveRecords : otherRecords).add(digest);
      recordTimes.put(digest, object.info().lastModified());
    }
    // Records are written once (writeIfAbsent), so the listed time is the record's age.
    List<RecordAge> others = calls.map(otherRecords,
        digest -> new RecordAge(digest, readRecord(digest), recordTimes.get(digest)));
    for (RecordAge r : others) {
      if (r.record().isEmpty()) {
        continue;
      }
      if (r.time().isBefore(cutoff)) {
        candidate(candidates, r.digest()).record = r.record().get();
      } else {
        liveData.add(r.record().get().dataKey());
      }
    }
    // A candidate whose record is live elsewhere keeps it; only its links go.
    long markMillis = (System.nanoTime() - started) / 1_000_000;
    LOG.info("gc mark done in {} ms: {} candidates, {} manifests kept", markMillis,
        candidates.size(), manifestsKept);
    report(Phase.MARKED, candidates.size());

    // ---- sweep ----
    long sweepStart = System.nanoTime();
    int protectedCount = 0;
    Set<Digest> doomed = new HashSet<>(candidates.keySet());
    hooks.afterMark(Set.copyOf(doomed));
    if (!options.dryRun() && !doomed.isEmpty()) {
      Instant deadline = clock.instant().plus(options.intentTtl());
      calls.map(doomed, d -> {
        store.write(StorageLayout.keyOf(new GcIntentKey(d)),
            StoredJson.write(candidates.get(d).intent(runId, deadline)));
        return d;
      });
      report(Phase.INTENTS_WRITTEN, doomed.size());
      hooks.afterIntents(Set.copyOf(doomed));
      Set<Digest> saved = recheck(candidates, cutoff, refsCache, repos);
      protectedCount = saved.size();
      doomed.removeAll(saved);
      // What the re-check saved is settled now: clear those intents at once, so a manifest push
      // waiting on one of them goes ahead instead of waiting out the whole sweep.
      deleteBatched(intentKeys(saved));
      hooks.beforeDelete(Set.copyOf(doomed));
      if (!clock.instant().isBefore(deadline.minus(options.intentTtl().dividedBy(10)))) {
        LOG.warn("gc run {}: intents near their deadline; leaving the sweep to the next run", runId);
        doomed.clear();
      } else if (!lease.healthy()) {
        // Pushers may soon stop seeing the run and stop marking: delete nothing.
        LOG.warn("gc run {}: its lease is not being renewed; leaving the sweep to the next run", runId);
        doomed.clear();
      }
      deleteCandidates(candidates, doomed, items);
      Set<Digest> unsaved = new HashSet<>(candidates.keySet());
      unsaved.removeAll(saved);
      deleteBatched(intentKeys(unsaved));
    } else {
      for (Digest d : doomed) {
        describe(candidates.get(d), items);
      }
    }
    // Referrer entries whose manifest is gone already, and data nothing points to.
    for (String key : strayReferrerKeys) {
      items.add(new SweptItem(Kind.REFERRER_ENTRY, key, 0));
    }
    if (!options.dryRun()) {
      deleteBatched(strayReferrerKeys);
    }
    report(Phase.SWEPT, doomed.size());
    // Kept candidates keep their data; doomed ones had theirs deleted (or, dry, report it as a
    // blob, not again as stray data).
    for (Candidate c : candidates.values()) {
      if (c.record != null) {
        liveData.add(c.record.dataKey());
      }
    }
    // Data is written before its record, and a commit may wait out an intent in between: stray
    // data must also be older than an intent's lifetime, or a record written after the listing
    // above could point at data swept here.
    Instant dataCutoff = min(cutoff, runStart.minus(options.intentTtl()).minusSeconds(60));
    List<String> strayData = new ArrayList<>();
    List<ListedObject> unexplained = new ArrayList<>();
    for (ListedObject object : listing.all(StorageLayout.dataShards())) {
      if (!liveData.contains(object.key())) {
        unexplained.add(object);
      }
    }
    // Each live record points at its own data object, listed above (data is listed after the
    // records and deleted only after its record). So data not explained otherwise is exactly
    // the live records' data plus the strays, and as many unexplained keys as live records
    // means no stray: the live records need not be read. When there are more, they are read
    // (in parallel) and only data no record names goes. Skipping can only miss a stray (say,
    // when another run deleted a blob between the two listings), never delete live data.
    //
    // The same count over old data only: a record is written after its data, so each live
    // record older than the data cutoff points at its own unexplained data object older than it
    // too. As many old unexplained keys as old live records means no stray old enough to go
    // (young strays are never deleted here anyway), however many young ones there are.
    long oldUnexplained = unexplained.stream()
        .filter(o -> o.info().lastModified().isBefore(dataCutoff)).count();
    long oldLiveRecords = liveRecords.stream()
        .filter(d -> recordTimes.get(d).isBefore(dataCutoff)).count();
    if (unexplained.size() > liveRecords.size() && oldUnexplained > oldLiveRecords) {
      for (Optional<BlobRecord> record : calls.map(liveRecords, this::readRecord)) {
        record.ifPresent(r -> liveData.add(r.dataKey()));
      }
      for (ListedObject suspect : unexplained) {
        if (!liveData.contains(suspect.key()) && suspect.info().lastModified().isBefore(dataCutoff)) {
          strayData.add(suspect.key());
          items.add(new SweptItem(Kind.STRAY_DATA, suspect.key(), suspect.info().size()));
        }
      }
    }
    if (!options.dryRun()) {
      deleteBatched(strayData);
      clearOldMarks(runStart);
    }
    long sweepMillis = (System.nanoTime() - sweepStart) / 1_000_000;
    GcStats stats = stats(options.dryRun(), repos.size(), manifestsKept, uploadsExpired,
        protectedCount, markMillis, sweepMillis, items);
    LOG.info("gc run {}: {}", runId, stats.summary());
    report(Phase.DONE, items.size());
    return stats;
  }

  // ---- mark helpers -------------------------------------------------------------------------

  /**
   * Every repository found under {@code repositories/} in one pass (not from the catalog, which
   * only names repositories that got a manifest: layers pushed to a new repository are linked
   * before its first manifest).
   */
  private Map<RepositoryName, Repo> listRepositories() throws IOException {
    Map<RepositoryName, Repo> repos = new LinkedHashMap<>();
    String root = "repositories/";
    for (ListedObject object : listing.all(root)) {
      String key = object.key();
      int split = key.indexOf("/_", root.length());
      if (split < 0) {
        continue;
      }
      RepositoryName name;
      try {
        name = RepositoryName.parse(key.substring(root.length(), split));
      } catch (RuntimeException e) {
        LOG.warn("gc: skipping a key outside the layout: {}", key);
        continue;
      }
      Repo repo = repos.computeIfAbsent(name, Repo::new);
      try {
        if (key.startsWith(StorageLayout.manifestsPrefix(name))) {
          Digest digest = StorageLayout.digestUnder(StorageLayout.manifestsPrefix(name), key);
          repo.manifests.add(digest);
          repo.manifestTimes.put(digest, object.info().lastModified());
        } else if (key.startsWith(StorageLayout.layersPrefix(name))) {
          repo.layers.put(StorageLayout.digestUnder(StorageLayout.layersPrefix(name), key),
              object.info().lastModified());
        } else if (key.startsWith(StorageLayout.tagsPrefix(name))) {
          repo.tagKeys.put(key, null);
        } else if (key.startsWith(StorageLayout.allReferrersPrefix(name))) {
          repo.referrers.add(StorageLayout.referrerEntryOf(name, key));
        } else if (key.startsWith(StorageLayout.uploadsPrefix(name))) {
          repo.uploadKeys.add(key);
        }
      } catch (RuntimeException e) {
        LOG.warn("gc: skipping a key outside the layout: {}", key);
      }
    }
    return repos;
  }

  /** Roots (tags; every manifest unless untagged ones are swept) and what they reach. */
  private Set<Digest> keptManifests(
      Repo repo, GcOptions options, Instant cutoff, Map<Digest, Refs> refsCache)
      throws IOException {
    Set<Digest> kept = new HashSet<>();
    List<String> tagKeys = new ArrayList<>(repo.tagKeys.keySet());
    List<Optional<byte[]>> targets = calls.map(tagKeys, store::read);
    for (int i = 0; i < tagKeys.size(); i++) {
      String tagKey = tagKeys.get(i);
      Optional<byte[]> target = targets.get(i);
      if (target.isEmpty()) {
        continue;
      }
      try {
        Digest d = Digest.parse(new String(target.get(), StandardCharsets.US_ASCII).trim());
        if (repo.manifests.contains(d)) {
          kept.add(d);
        }
      } catch (RuntimeException e) {
        LOG.warn("gc: unreadable tag {}", tagKey);
      }
    }
    for (Digest m : repo.manifests) {
      if (kept.contains(m)) {
        continue;
      }
      if (!options.deleteUntagged()) {
        kept.add(m);
        continue;
      }
      Instant linked = repo.manifestTimes.get(m);
      if (linked != null && !linked.isBefore(cutoff)) {
        kept.add(m); // young: an index or a tag may still come for it
      }
    }
    // Fixpoint: children of kept indexes, and referrers of kept subjects.
    boolean grew = true;
    List<Digest> queue = new ArrayList<>(kept);
    while (grew) {
      while (!queue.isEmpty()) {
        Digest m = queue.removeLast();
        for (Digest child : refs(m, repo.name, refsCache).children()) {
          if (repo.manifests.contains(child) && kept.add(child)) {
            queue.add(child);
          }
        }
      }
      grew = false;
      for (ReferrerEntry entry : repo.referrers) {
        if (kept.contains(entry.subject())
            && repo.manifests.contains(entry.referrer())
            && kept.add(entry.referrer())) {
          queue.add(entry.referrer());
          grew = true;
        }
      }
    }
    return kept;
  }

  /** A blob record read for the sweep, with its age. */
  private record RecordAge(Digest digest, Optional<BlobRecord> record, Instant time) {}

  /**
   * What every listed manifest references, read in parallel up front (two small reads each:
   * record, body), so the per-repository mark below works from memory.
   */
  private Map<Digest, Refs> prefetchRefs(Collection<Repo> repos) throws IOException {
    Map<Digest, RepositoryName> where = new LinkedHashMap<>();
    for (Repo repo : repos) {
      for (Digest m : repo.manifests) {
        where.putIfAbsent(m, repo.name);
      }
    }
    List<Digest> digests = new ArrayList<>(where.keySet());
    List<Refs> read = calls.map(digests, d -> readRefs(d, where.get(d)));
    Map<Digest, Refs> cache = new java.util.concurrent.ConcurrentHashMap<>();
    for (int i = 0; i < digests.size(); i++) {
      cache.put(digests.get(i), read.get(i));
    }
    return cache;
  }

  /** What manifest {@code digest} references, read once per run whatever the repository. */
  private Refs refs(Digest digest, RepositoryName repo, Map<Digest, Refs> cache) throws IOException {
    Refs known = cache.get(digest);
    if (known != null) {
      return known;
    }
    Refs refs = readRefs(digest, repo);
    cache.put(digest, refs);
    return refs;
  }

  /**
   * Two reads (record, body); the link's media type is read only for a body that does not name
   * its own (a manifest pushed by Content-Type alone), a third of the reads saved on the rest.
   */
  private Refs readRefs(Digest digest, RepositoryName repo) throws IOException {
    Optional<BlobRecord> record = readRecord(digest);
    if (record.isEmpty()) {
      return Refs.NONE;
    }
    Optional<byte[]> body = store.read(record.get().dataKey());
    if (body.isEmpty()) {
      return Refs.NONE;
    }
    ParsedManifest parsed;
    try {
      parsed = ManifestParser.parse(null, body.get());
    } catch (RegistryException withoutOwnType) {
      Optional<String> mediaType = store.read(StorageLayout.keyOf(new ManifestLinkKey(repo, digest)))
          .map(bytes -> StoredJson.read(bytes, ManifestLink.class).mediaType());
      try {
        parsed = ManifestParser.parse(mediaType.orElse(null), body.get());
      } catch (RegistryException e) {
        LOG.warn("gc: manifest {} does not parse; it keeps nothing", digest);
        return Refs.NONE;
      }
    }
    Set<Digest> blobs = new HashSet<>();
    parsed.config().ifPresent(c -> blobs.add(c.digest()));
    for (ManifestDescriptor layer : parsed.layers()) {
      blobs.add(layer.digest());
    }
    Set<Digest> children = new HashSet<>();
    for (ManifestDescriptor child : parsed.manifests()) {
      children.add(child.digest());
    }
    return new Refs(blobs, children);
  }

  private int expireUploads(Repo repo, GcOptions options, Set<String> liveWrites, List<SweptItem> items)
      throws IOException {
    Instant expiry = clock.instant().minus(options.uploadExpiry());
    int expired = 0;
    for (String key : repo.uploadKeys) {
      Optional<byte[]> bytes = store.read(key);
      if (bytes.isEmpty()) {
        continue;
      }
      UploadState state;
      Instant startedAt;
      try {
        state = StoredJson.read(bytes.get(), UploadState.class);
        startedAt = Instant.parse(state.startedAt());
      } catch (RuntimeException e) {
        LOG.warn("gc: unreadable upload state {}", key);
        continue;
      }
      if (!startedAt.isBefore(expiry)) {
        if (!state.isCompleted()) {
          liveWrites.add(state.dataKey());
        }
        continue;
      }
      expired++;
      items.add(new SweptItem(Kind.UPLOAD, key, state.isCompleted() ? 0 : state.offset()));
      if (options.dryRun()) {
        if (!state.isCompleted()) {
          liveWrites.add(state.dataKey()); // still there after a dry run
        }
        continue;
      }
      if (!state.isCompleted() && state.resumeToken() != null) {
        try {
          // Aborting releases the store's multipart upload (on S3: AbortMultipartUpload).
          store.resumeMultipart(state.dataKey(), state.resumeToken()).abort();
        } catch (IOException | RuntimeException e) {
          LOG.warn("gc: could not abort the multipart write of {}: {}", key, e.toString());
        }
      }
      store.delete(List.of(key));
    }
    return expired;
  }

  // ---- sweep helpers ------------------------------------------------------------------------

  /**
   * After the intents are written: which candidates a pusher needed meanwhile. A candidate is
   * saved by a mark younger than the cutoff, or by a link (layer or manifest) re-written after
   * the cutoff; a saved manifest saves what it references, transitively.
   */
  private Set<Digest> recheck(
      Map<Digest, Candidate> candidates, Instant cutoff, Map<Digest, Refs> refsCache,
      Map<RepositoryName, Repo> repos) throws IOException {
    Set<Digest> saved = new HashSet<>();
    // Marks: one listing (read after the intents were written) instead of a stat per candidate.
    for (ListedObject mark : digestObjects(StorageLayout.gcMarksPrefix())) {
      Optional<Digest> digest = markDigest(mark.key());
      if (digest.isPresent() && candidates.containsKey(digest.get())
          && !mark.info().lastModified().isBefore(cutoff)) {
        saved.add(digest.get());
      }
    }
    // Links: per repository and kind, re-listed when that takes fewer calls than a stat each.
    Map<LinkGroup, List<Digest>> groups = new LinkedHashMap<>();
    for (Candidate c : candidates.values()) {
      for (RepositoryName repo : c.layerLinks) {
        groups.computeIfAbsent(new LinkGroup(repo, true), k -> new ArrayList<>()).add(c.digest);
      }
      for (RepositoryName repo : c.manifestLinks) {
        groups.computeIfAbsent(new LinkGroup(repo, false), k -> new ArrayList<>()).add(c.digest);
      }
    }
    int perCall = Math.max(1, Math.min(store.keysPerListCall(), ParallelListing.LARGE_PAGE));
    List<LinkGroup> keys = new ArrayList<>(groups.keySet());
    List<Set<Digest>> young = calls.map(keys, group -> {
      List<Digest> digests = groups.get(group);
      Repo repo = repos.get(group.repo());
      int listed = group.layer() ? repo.layers.size() : repo.manifests.size();
      Set<Digest> found = new HashSet<>();
      if (digests.size() > listed / perCall + 1) {
        Set<Digest> wanted = new HashSet<>(digests);
        String prefix = group.prefix();
        for (ListedObject link : listing.all(prefix)) {
          Digest d = digestUnder(prefix, link.key());
          if (d != null && wanted.contains(d) && !link.info().lastModified().isBefore(cutoff)) {
            found.add(d);
          }
        }
      } else {
        for (Digest d : digests) {
          if (youngOrGone(group.key(d), cutoff)) {
            found.add(d);
          }
        }
      }
      return found;
    });
    young.forEach(saved::addAll);
    List<Digest> queue = new ArrayList<>(saved);
    while (!queue.isEmpty()) {
      Digest d = queue.removeLast();
      Refs refs = refsCache.getOrDefault(d, Refs.NONE);
      for (Digest r : concat(refs.blobs(), refs.children())) {
        if (candidates.containsKey(r) && saved.add(r)) {
          queue.add(r);
        }
      }
    }
    return saved;
  }

  /** The layer links ({@code layer}) or manifest links of one repository. */
  private record LinkGroup(RepositoryName repo, boolean layer) {
    String prefix() {
      return layer ? StorageLayout.layersPrefix(repo) : StorageLayout.manifestsPrefix(repo);
    }

    String key(Digest digest) {
      return StorageLayout.keyOf(
          layer ? new LayerLinkKey(repo, digest) : new ManifestLinkKey(repo, digest));
    }
  }

  private static Optional<Digest> markDigest(String key) {
    Digest d = digestUnder(StorageLayout.gcMarksPrefix(), key);
    return Optional.ofNullable(d);
  }

  /** The digest of key {@code <prefix><alg>/<hex>}, or null for a key outside the layout. */
  private static Digest digestUnder(String prefix, String key) {
    try {
      return StorageLayout.digestUnder(prefix, key);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Young: re-written since the cutoff. (Gone: someone deleted it; nothing to do, not saved.) */
  private boolean youngOrGone(String key, Instant cutoff) throws IOException {
    Optional<ObjectInfo> info = store.stat(key);
    return info.isPresent() && !info.get().lastModified().isBefore(cutoff);
  }

  /** Links and referrer entries first, then records and their data: never a link to nothing. */
  private void deleteCandidates(Map<Digest, Candidate> candidates, Set<Digest> doomed, List<SweptItem> items)
      throws IOException {
    List<String> links = new ArrayList<>();
    List<String> blobs = new ArrayList<>();
    for (Digest d : doomed) {
      Candidate c = candidates.get(d);
      describe(c, items);
      for (RepositoryName repo : c.layerLinks) {
        links.add(StorageLayout.keyOf(new LayerLinkKey(repo, d)));
      }
      links.addAll(c.referrerKeys);
      for (RepositoryName repo : c.manifestLinks) {
        links.add(StorageLayout.keyOf(new ManifestLinkKey(repo, d)));
      }
      if (c.record != null) {
        blobs.add(StorageLayout.keyOf(new BlobRecordKey(d)));
        blobs.add(c.record.dataKey());
      }
    }
    deleteBatched(links);
    deleteBatched(blobs);
  }

  private static List<String> intentKeys(Collection<Digest> digests) {
    List<String> keys = new ArrayList<>(digests.size());
    for (Digest d : digests) {
      keys.add(StorageLayout.keyOf(new GcIntentKey(d)));
    }
    return keys;
  }

  private static void describe(Candidate c, List<SweptItem> items) {
    for (RepositoryName repo : c.manifestLinks) {
      items.add(new SweptItem(Kind.MANIFEST, repo + "@" + c.digest, 0));
    }
    for (String key : c.referrerKeys) {
      items.add(new SweptItem(Kind.REFERRER_ENTRY, key, 0));
    }
    for (RepositoryName repo : c.layerLinks) {
      items.add(new SweptItem(Kind.LAYER_LINK, repo + "@" + c.digest, 0));
    }
    if (c.record != null) {
      items.add(new SweptItem(Kind.BLOB, c.digest.toString(), c.record.size()));
    }
  }

  private void clearExpiredIntents() throws IOException {
    List<String> expired = new ArrayList<>();
    for (String key : allKeys(StorageLayout.gcIntentsPrefix())) {
      Optional<byte[]> bytes = store.read(key);
      if (bytes.isEmpty()) {
        continue;
      }
      try {
        GcIntent intent = StoredJson.read(bytes.get(), GcIntent.class);
        if (!Instant.parse(intent.deadline()).isAfter(clock.instant())) {
          expired.add(key);
        }
      } catch (RuntimeException e) {
        expired.add(key);
      }
    }
    deleteBatched(expired);
  }

  /**
   * Marks older than this run's start served earlier runs; this run's mark saw their pushes. But
   * a run that started earlier and is still going (another instance's) may not have re-read the
   * marks yet: only marks older than the oldest active run's start go.
   */
  private void clearOldMarks(Instant runStart) throws IOException {
    Instant oldest = runStart;
    for (String key : allKeys(StorageLayout.gcRunsPrefix())) {
      Optional<byte[]> bytes = store.read(key);
      Optional<ObjectInfo> info = store.stat(key);
      if (bytes.isEmpty() || info.isEmpty()) {
        continue;
      }
      try {
        GcRun other = StoredJson.read(bytes.get(), GcRun.class);
        if (Instant.parse(other.expiresAt()).isAfter(clock.instant())) {
          oldest = min(oldest, info.get().lastModified());
        }
      } catch (RuntimeException e) {
        return; // unreadable: keep every mark, which costs nothing but keys
      }
    }
    List<String> old = new ArrayList<>();
    for (ListedObject mark : digestObjects(StorageLayout.gcMarksPrefix())) {
      if (mark.info().lastModified().isBefore(oldest)) {
        old.add(mark.key());
      }
    }
    deleteBatched(old);
  }

  // ---- plumbing -----------------------------------------------------------------------------

  private Optional<BlobRecord> readRecord(Digest digest) throws IOException {
    Optional<byte[]> bytes = store.read(StorageLayout.keyOf(new BlobRecordKey(digest)));
    if (bytes.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(StoredJson.read(bytes.get(), BlobRecord.class));
    } catch (RuntimeException e) {
      LOG.warn("gc: unreadable blob record {}", digest);
      return Optional.empty();
    }
  }

  private static Candidate candidate(Map<Digest, Candidate> candidates, Digest digest) {
    return candidates.computeIfAbsent(digest, Candidate::new);
  }

  private void deleteBatched(List<String> keys) throws IOException {
    for (int i = 0; i < keys.size(); i += DELETE_BATCH) {
      store.delete(keys.subList(i, Math.min(keys.size(), i + DELETE_BATCH)));
    }
  }

  /** What follows {@code <alg>/} in digest keys: lowercase hex. */
  private static final String HEX = "0123456789abcdef";

  /** Objects {@code <prefix><alg>/<hex>} of every algorithm, with their listed times. */
  private List<ListedObject> digestObjects(String prefix) throws IOException {
    List<ListedObject> out = new ArrayList<>();
    for (dev.lading.core.model.DigestAlgorithm algorithm : dev.lading.core.model.DigestAlgorithm.values()) {
      out.addAll(listing.all(prefix + algorithm.wireName() + "/", HEX));
    }
    return out;
  }

  private List<String> allKeys(String prefix) throws IOException {
    List<String> keys = new ArrayList<>();
    for (ListedObject object : listing.all(prefix)) {
      keys.add(object.key());
    }
    return keys;
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  private static <T> List<T> concat(Collection<T> a, Collection<T> b) {
    List<T> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
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
      boolean dryRun, int repositories, int manifestsKept, int uploadsExpired, int protectedCount,
      long markMillis, long sweepMillis, List<SweptItem> items) {
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
    return new GcStats(dryRun, repositories, manifestsKept, manifests, referrers, layers, blobs,
        bytes, stray, uploadsExpired, abandoned, protectedCount, markMillis, sweepMillis, items);
  }
}
