package dev.lading.core.registry;

import static dev.lading.core.registry.StorageCalls.io;

import dev.lading.core.concurrent.Concurrently;
import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.CatalogKey;
import dev.lading.core.layout.StorageLayout.ManifestLinkKey;
import dev.lading.core.layout.StoredValues;
import dev.lading.core.layout.StoredValues.BlobRecord;
import dev.lading.core.layout.StoredValues.ManifestLink;
import dev.lading.core.manifest.ParsedManifest;
import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.policy.QuotaRule;
import dev.lading.core.policy.Quotas;
import dev.lading.core.storage.AllKeys;
import dev.lading.core.storage.ObjectStore;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What each quota ({@link Quotas}) uses, and the check a manifest push passes before anything of it
 * is written.
 *
 * <p><b>What counts.</b> A quota's usage is the total size of the distinct blobs that manifests
 * linked in its repositories keep: each manifest's own bytes, its config and its layers (foreign
 * layers are not stored, so not counted); an index's children count through their own links. A blob
 * two repositories under the pattern share counts once. Blobs uploaded but not (yet) named by a
 * manifest do not count: they become usage when the manifest that names them is pushed, which is
 * where the check is, and GC removes the links of those no manifest ever names.
 *
 * <p><b>Consistent without a database.</b> There is no stored counter that could drift. The store's
 * links are the truth, and usage is derived from them by a {@link #scan} (catalog, each covered
 * repository's manifest links, each manifest's references, each blob record's size; a manifest's
 * references are read once per digest and cached, since content-addressed bytes never change),
 * reading {@link #SCAN_PARALLELISM} at a time across and within repositories. Each instance scans
 * at start and periodically, and replaces its tallies with what it found. Between scans it adds
 * what it admits itself at once, and re-applies an admission on top of each scan until the push had
 * settled (written its links, or failed) before a scan started, so a scan that listed a repository
 * just before the push wrote its link does not lose it, and a deleted image does not linger once a
 * later scan has seen it gone. What GC deletes (and what manifest deletes unlink) drops out at the
 * next scan; pushes accepted by other instances on the same store appear at this instance's next
 * scan.
 *
 * <p><b>The bound.</b> Within one instance the check and the admission are one step under a lock,
 * so concurrent pushes to this instance never overshoot together. Across instances, a quota may be
 * exceeded by at most what the other instances admit for it within one scan interval (plus the
 * duration of one scan): each of them checks against its own view, which lacks only their recent
 * admissions. With one instance, never. A push of content already counted adds nothing, so it is
 * accepted even at (or past) the limit.
 */
public final class QuotaLedger {
  private static final Logger LOG = LoggerFactory.getLogger(QuotaLedger.class);

  /** One quota's usage as this instance knows it. */
  public record Usage(QuotaRule rule, long usedBytes, long blobs, Optional<Instant> scannedAt) {
    public Usage {
      Objects.requireNonNull(rule, "rule");
      Objects.requireNonNull(scannedAt, "scannedAt");
    }
  }

  /** What a manifest keeps: its own size and the blobs it requires (not foreign layers). */
  private record ManifestContent(long size, List<Digest> blobs) {}

  /**
   * One admitted push: what it added to which quotas, re-applied on top of every scan that may have
   * missed its links, i.e. until it is settled (its writes done or failed) before a scan starts.
   * Marks come from one counter that each scan advances when it starts.
   */
  static final class Admission {
    static final Admission NONE = new Admission(List.of(), Map.of());
    private final List<QuotaRule> rules;
    private final Map<Digest, Long> content;
    private volatile long settledMark = Long.MAX_VALUE; // in flight

    private Admission(List<QuotaRule> rules, Map<Digest, Long> content) {
      this.rules = rules;
      this.content = content;
    }
  }

  private static final class Tally {
    final Map<Digest, Long> sizes;
    long used;
    long largest; // the largest blob counted: a session past it cannot be a counted blob
    final Instant scannedAt; // null: not scanned yet

    Tally(Map<Digest, Long> sizes, Instant scannedAt) {
      this.sizes = sizes;
      this.scannedAt = scannedAt;
      for (long s : sizes.values()) {
        used += s;
        largest = Math.max(largest, s);
      }
    }

    long adds(Map<Digest, Long> content) {
      long added = 0;
      for (Map.Entry<Digest, Long> e : content.entrySet()) {
        if (!sizes.containsKey(e.getKey())) {
          added += e.getValue();
        }
      }
      return added;
    }

    void add(Digest digest, long size) {
      if (sizes.putIfAbsent(digest, size) == null) {
        used += size;
        largest = Math.max(largest, size);
      }
    }

    Tally copy() {
      return new Tally(new HashMap<>(sizes), scannedAt);
    }
  }

  /**
   * Store calls one scan makes at once. A scan's calls are small reads and listings, so its time on
   * a remote store is round trips; sixteen cut that by as much while staying below GC's 32 (a scan
   * runs every minute on every instance, beside the requests it serves).
   */
  static final int SCAN_PARALLELISM = 16;

  private final ObjectStore store;
  private final RepositoryBlobs blobs;
  private final Clock clock;
  private final int parallelism;
  private final Object lock = new Object();
  private final Object scanning = new Object();
  // Guarded by lock.
  private Quotas rules = Quotas.NONE;
  private final Map<QuotaRule, Tally> tallies = new HashMap<>();
  private final ArrayDeque<Admission> journal = new ArrayDeque<>();
  private final AtomicLong marks = new AtomicLong();
  // Only the scan (under scanning) swaps it; entries of manifests no scan saw again are dropped.
  private volatile Map<Digest, ManifestContent> manifests = new ConcurrentHashMap<>();

  QuotaLedger(ObjectStore store, RepositoryBlobs blobs, Clock clock) {
    this(store, blobs, clock, SCAN_PARALLELISM);
  }

  /**
   * @param parallelism store calls one scan makes at once (1: one after another)
   */
  QuotaLedger(ObjectStore store, RepositoryBlobs blobs, Clock clock, int parallelism) {
    if (parallelism < 1) {
      throw new IllegalArgumentException("parallelism must be at least 1");
    }
    this.store = Objects.requireNonNull(store, "store");
    this.blobs = Objects.requireNonNull(blobs, "blobs");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.parallelism = parallelism;
  }

  /**
   * Puts {@code next} in force (a configuration reload). A quota that was in force before keeps its
   * tally, and so does one whose patterns are unchanged (only its limit or position moved: the
   * content it covers is the same); any other starts empty, unscanned, until the next {@link
   * #scan}, which the caller should run at once.
   */
  void rules(Quotas next) {
    Objects.requireNonNull(next, "next");
    synchronized (lock) {
      Map<QuotaRule, Tally> before = new HashMap<>(tallies);
      tallies.clear();
      for (QuotaRule r : next.rules()) {
        Tally kept = before.get(r);
        if (kept == null) {
          for (Map.Entry<QuotaRule, Tally> e : before.entrySet()) {
            if (e.getKey().repositories().equals(r.repositories())) {
              kept = e.getValue().copy();
              break;
            }
          }
        }
        tallies.put(r, kept != null ? kept : new Tally(new HashMap<>(), null));
      }
      rules = next;
    }
  }

  Quotas rules() {
    synchronized (lock) {
      return rules;
    }
  }

  /** Whether any quota covers {@code repo} (a push there needs {@link #admit}). */
  boolean covers(RepositoryName repo) {
    synchronized (lock) {
      return !rules.covering(repo).isEmpty();
    }
  }

  /** Each quota's usage, in configured order. */
  public List<Usage> usage() {
    synchronized (lock) {
      List<Usage> out = new ArrayList<>();
      for (QuotaRule r : rules.rules()) {
        Tally t = tallies.get(r);
        out.add(new Usage(r, t.used, t.sizes.size(), Optional.ofNullable(t.scannedAt)));
      }
      return out;
    }
  }

  /**
   * Admits {@code content} (digest to size: a manifest's own bytes and the blobs it keeps) into
   * every quota covering {@code repo}, or refuses the push with {@code DENIED} when, for one of
   * them, the content not yet counted would take its usage past its limit. Check and admission are
   * one step, so two pushes on this instance cannot both fit into the last bytes.
   */
  Admission admit(RepositoryName repo, Map<Digest, Long> content) {
    synchronized (lock) {
      List<QuotaRule> covering = rules.covering(repo);
      if (covering.isEmpty()) {
        return Admission.NONE;
      }
      for (QuotaRule r : covering) {
        Tally t = tallies.get(r);
        long added = t.adds(content);
        if (added > 0 && t.used + added > r.bytes()) {
          throw refusal(r, repo, t.used, added);
        }
      }
      Admission admission = new Admission(covering, Map.copyOf(content));
      apply(admission);
      journal.add(admission);
      return admission;
    }
  }

  /**
   * The admitted push has written its links (or failed): a scan that starts from now on sees what
   * it wrote, so the admission need not be re-applied after it.
   */
  void settled(Admission admission) {
    admission.settledMark = marks.get();
  }

  private void apply(Admission admission) {
    for (QuotaRule r : admission.rules) {
      Tally t = tallies.get(r);
      if (t != null) {
        admission.content.forEach(t::add);
      }
    }
  }

  /**
   * Refuses, before its bytes stream, an upload of {@code digest} whose declared size alone would
   * take a quota covering {@code repo} past its limit, unless that quota counts the digest already
   * (then a manifest naming it adds nothing for it). Exact, not a guess: the manifest that names
   * the blob would be refused for it anyway, as usage stands now.
   */
  void refuseUpload(RepositoryName repo, Digest digest, long declared) {
    synchronized (lock) {
      for (QuotaRule r : rules.covering(repo)) {
        Tally t = tallies.get(r);
        if (!t.sizes.containsKey(digest) && declared > 0 && t.used + declared > r.bytes()) {
          throw refusal(r, repo, t.used, declared);
        }
      }
    }
  }

  /**
   * Refuses an upload session of {@code repo} whose data has reached {@code size} bytes (declared
   * or streamed so far; its digest is not known until it closes) when a quota covering {@code repo}
   * could not accept it at the manifest whatever blob it turns out to be: the bytes do not fit what
   * the quota has left, and they are more than any blob the quota counts, so the blob cannot be one
   * it counts already. A session of at most the largest counted blob's size may be a re-upload of
   * counted content, which a manifest adds nothing for, so it streams on and the manifest decides.
   * As usage stands now, like {@link #refuseUpload}: the manifest naming such a blob would be
   * refused for it alone.
   */
  void refuseSession(RepositoryName repo, long size) {
    synchronized (lock) {
      for (QuotaRule r : rules.covering(repo)) {
        Tally t = tallies.get(r);
        if (size > 0 && t.used + size > r.bytes() && size > t.largest) {
          throw refusal(r, repo, t.used, size);
        }
      }
    }
  }

  /**
   * Recounts every quota from the store and installs the result, re-applying this instance's
   * admissions the scan may have missed (in flight, or settled after it started). One scan at a
   * time; a failing store call leaves the previous tallies in force.
   */
  public void scan() {
    synchronized (scanning) {
      Instant started = clock.instant();
      long mark = marks.incrementAndGet();
      Quotas current = rules();
      Map<QuotaRule, Map<Digest, Long>> found = new LinkedHashMap<>();
      for (QuotaRule r : current.rules()) {
        found.put(r, new HashMap<>());
      }
      Map<Digest, ManifestContent> seen = new ConcurrentHashMap<>();
      int repositories = 0;
      if (!current.isEmpty()) {
        Semaphore permits = new Semaphore(parallelism);
        List<RepositoryName> covered = new ArrayList<>();
        for (String key : allKeys(StorageLayout.catalogPrefix())) {
          Optional<CatalogKey> marker = StorageLayout.parse(key, CatalogKey.class);
          if (marker.isPresent() && !current.covering(marker.get().repository()).isEmpty()) {
            covered.add(marker.get().repository());
          }
        }
        repositories = covered.size();
        // Every repository on its own virtual thread, its store calls bounded by the permits: the
        // scan takes about (calls / parallelism) round trips instead of one per call. What each
        // repository holds does not depend on the order it is read in, so the tallies are the
        // ones a scan one call at a time finds.
        List<Map<Digest, Long>> contents =
            Concurrently.call(
                covered.stream()
                    .map(repo -> (Callable<Map<Digest, Long>>) () -> contentOf(repo, seen, permits))
                    .toList());
        for (int i = 0; i < covered.size(); i++) {
          for (QuotaRule r : current.covering(covered.get(i))) {
            found.get(r).putAll(contents.get(i));
          }
        }
      }
      manifests = seen;
      synchronized (lock) {
        // Settled before this scan started: the scan saw whatever the push linked.
        journal.removeIf(a -> a.settledMark < mark);
        for (QuotaRule r : rules.rules()) {
          Map<Digest, Long> sizes = found.get(r);
          if (sizes != null) { // else configured while this scan ran: the next one counts it
            tallies.put(r, new Tally(sizes, started));
          }
        }
        journal.forEach(this::apply);
      }
      LOG.debug(
          "quota scan repositories={} manifests={} took={}ms",
          repositories,
          seen.size(),
          Duration.between(started, clock.instant()).toMillis());
    }
  }

  /**
   * Digest to size of everything the manifests linked in {@code repo} keep: one listing, then the
   * manifests not read before and the blob records side by side, at most as many store calls at
   * once as {@code permits} allow over the whole scan. Two repositories linking one manifest new to
   * the scan may both read it; the content is the same either way.
   */
  private Map<Digest, Long> contentOf(
      RepositoryName repo, Map<Digest, ManifestContent> seen, Semaphore permits) {
    List<Digest> linked = new ArrayList<>();
    for (String key : bounded(permits, () -> allKeys(StorageLayout.manifestsPrefix(repo)))) {
      StorageLayout.parse(key, ManifestLinkKey.class).ifPresent(l -> linked.add(l.digest()));
    }
    List<Optional<ManifestContent>> read =
        Concurrently.call(
            linked.stream()
                .map(
                    digest ->
                        (Callable<Optional<ManifestContent>>)
                            () -> {
                              ManifestContent m = seen.get(digest);
                              if (m == null) {
                                m = manifests.get(digest);
                              }
                              return m != null
                                  ? Optional.of(m)
                                  : bounded(permits, () -> readManifest(repo, digest));
                            })
                .toList());
    Map<Digest, Long> out = new HashMap<>();
    List<Digest> blobsToSize = new ArrayList<>();
    for (int i = 0; i < linked.size(); i++) {
      if (read.get(i).isEmpty()) {
        continue; // deleted meanwhile
      }
      ManifestContent m = read.get(i).get();
      seen.put(linked.get(i), m);
      out.put(linked.get(i), m.size());
      blobsToSize.addAll(m.blobs());
    }
    List<Digest> distinct =
        blobsToSize.stream().distinct().filter(b -> !out.containsKey(b)).toList();
    List<Optional<Long>> sizes =
        Concurrently.call(
            distinct.stream()
                .map(
                    b ->
                        (Callable<Optional<Long>>)
                            () -> bounded(permits, () -> blobs.record(b).map(BlobRecord::size)))
                .toList());
    for (int i = 0; i < distinct.size(); i++) {
      Digest b = distinct.get(i);
      sizes.get(i).ifPresent(size -> out.put(b, size));
    }
    return out;
  }

  /** One of the scan's store calls, waiting for a permit first. */
  private static <T> T bounded(Semaphore permits, Supplier<T> call) {
    try {
      permits.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("quota scan interrupted");
    }
    try {
      return call.get();
    } finally {
      permits.release();
    }
  }

  private Optional<ManifestContent> readManifest(RepositoryName repo, Digest digest) {
    Optional<BlobRecord> record = blobs.record(digest);
    if (record.isEmpty()) {
      return Optional.empty();
    }
    Optional<byte[]> body = blobs.readSmall(digest);
    if (body.isEmpty()) {
      return Optional.empty();
    }
    try {
      ParsedManifest parsed =
          StoredValues.readManifest(
              body.get(),
              () ->
                  io(() -> store.read(StorageLayout.keyOf(new ManifestLinkKey(repo, digest))))
                      .map(ManifestLink::read));
      return Optional.of(new ManifestContent(record.get().size(), parsed.requiredBlobs()));
    } catch (RegistryException | IOException e) {
      LOG.warn(
          "quota scan: manifest {} of {} does not parse, counting its own bytes", digest, repo);
      return Optional.of(new ManifestContent(record.get().size(), List.of()));
    }
  }

  private List<String> allKeys(String prefix) {
    return io(() -> AllKeys.under(store, prefix));
  }

  /**
   * {@code DENIED}: {@code quota policies.quotas[0] (ml/**): 9.8 GiB of 10.0 GiB used; this push
   * adds 1.2 GiB}, with the exact numbers in the detail.
   */
  static RegistryException refusal(QuotaRule rule, RepositoryName repo, long used, long added) {
    Map<String, Object> detail = new LinkedHashMap<>();
    detail.put("quota", rule.describe());
    detail.put("repository", repo.value());
    detail.put("usedBytes", used);
    detail.put("limitBytes", rule.bytes());
    detail.put("addedBytes", added);
    return ErrorCode.DENIED
        .exception(
            "quota "
                + rule.describe()
                + ": "
                + human(used)
                + " of "
                + human(rule.bytes())
                + " used; this push adds "
                + human(added))
        .withDetail(detail);
  }

  /** Bytes for a person: {@code 512 B}, {@code 1.2 MiB}, {@code 9.8 GiB}. */
  static String human(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
