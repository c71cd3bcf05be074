package dev.lading.gc;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.GcIntentKey;
import dev.lading.core.layout.StorageLayout.GcMarkKey;
import dev.lading.core.layout.StorageLayout.LayerLinkKey;
import dev.lading.core.layout.StorageLayout.ManifestLinkKey;
import dev.lading.core.layout.StoredValues.GcIntent;
import dev.lading.core.layout.StoredValues.ManifestReferences;
import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.registry.GcFence;
import dev.lading.core.storage.ListedObject;
import dev.lading.core.storage.ObjectInfo;
import dev.lading.gc.GarbageCollector.Phase;
import dev.lading.gc.GarbageCollector.Progress;
import dev.lading.gc.GarbageCollector.SweepHooks;
import dev.lading.gc.GcStats.SweptItem;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sweeper's half of the fence (S1 to S4 in the package documentation): write an intent per
 * candidate naming what may go, re-read the marks and the links about to be deleted, clear the
 * intents of what that saved, delete the rest (links before records before data, so a link always
 * stands for a record: a manifest push checks only the links it needs), clear the remaining
 * intents. A dry run only describes the candidates.
 */
final class Sweep {
  private static final Logger LOG = LoggerFactory.getLogger(Sweep.class);

  private final CollectorStore io;
  private final Instant cutoff;
  private final KnownReferences refs;
  private final Map<RepositoryName, RepositoryContents> repos;

  /** What the sweep did: candidates it deleted, and those the re-check saved. */
  record Result(int doomed, int saved) {}

  private Sweep(
      CollectorStore io,
      Instant cutoff,
      KnownReferences refs,
      Map<RepositoryName, RepositoryContents> repos) {
    this.io = io;
    this.cutoff = cutoff;
    this.refs = refs;
    this.repos = repos;
  }

  static Result run(
      CollectorStore io,
      Clock clock,
      GcOptions options,
      Instant cutoff,
      KnownReferences refs,
      Map<RepositoryName, RepositoryContents> repos,
      String runId,
      Map<Digest, Candidate> candidates,
      RunLease lease,
      SweepHooks hooks,
      Progress progress,
      List<SweptItem> items)
      throws IOException {
    Set<Digest> doomed = new HashSet<>(candidates.keySet());
    hooks.afterMark(Set.copyOf(doomed));
    if (options.dryRun() || doomed.isEmpty()) {
      for (Digest d : doomed) {
        candidates.get(d).describe(items);
      }
      return new Result(doomed.size(), 0);
    }
    Sweep sweep = new Sweep(io, cutoff, refs, repos);
    Instant deadline = clock.instant().plus(options.intentTtl());
    io.calls.map(
        doomed,
        d -> {
          io.store.write(
              StorageLayout.keyOf(new GcIntentKey(d)),
              candidates.get(d).intent(runId, deadline).write());
          return d;
        });
    progress.at(Phase.INTENTS_WRITTEN, doomed.size());
    hooks.afterIntents(Set.copyOf(doomed));
    Set<Digest> saved = sweep.recheck(candidates);
    doomed.removeAll(saved);
    // What the re-check saved is settled now: clear those intents at once, so a manifest push
    // waiting on one of them goes ahead instead of waiting out the whole sweep.
    io.deleteBatched(intentKeys(saved));
    hooks.beforeDelete(Set.copyOf(doomed));
    if (!clock.instant().isBefore(deadline.minus(options.intentTtl().dividedBy(10)))) {
      LOG.warn("gc run {}: intents near their deadline; leaving the sweep to the next run", runId);
      doomed.clear();
    } else if (!lease.healthy()) {
      // Pushers may soon stop seeing the run and stop marking: delete nothing.
      LOG.warn(
          "gc run {}: its lease is not being renewed; leaving the sweep to the next run", runId);
      doomed.clear();
    }
    List<String> links = new ArrayList<>();
    List<String> blobs = new ArrayList<>();
    for (Digest d : doomed) {
      Candidate c = candidates.get(d);
      c.describe(items);
      c.linkKeys(links);
      c.blobKeys(blobs);
    }
    // A new link epoch before the first link goes, so instances drop the links they cached
    // (core's LinkCache has the argument), and another once they are gone: an instance that read
    // the first while this run's lease looked expired to it keeps nothing past the second.
    if (!links.isEmpty()) {
      GcFence.writeNewLinkEpoch(io.store);
    }
    // The links durably gone before any record goes: a link always stands for a record (a
    // manifest push checks only links), even after a crash that loses unwritten state.
    io.deleteDurably(links);
    io.deleteBatched(blobs);
    if (!links.isEmpty()) {
      GcFence.writeNewLinkEpoch(io.store);
    }
    Set<Digest> unsaved = new HashSet<>(candidates.keySet());
    unsaved.removeAll(saved);
    io.deleteBatched(intentKeys(unsaved));
    return new Result(doomed.size(), saved.size());
  }

  /** Clears intents past their deadline (a crashed run's), at a run's start. */
  static void clearExpiredIntents(CollectorStore io, Clock clock) throws IOException {
    List<String> expired = new ArrayList<>();
    for (String key : io.allKeys(StorageLayout.gcIntentsPrefix())) {
      Optional<byte[]> bytes = io.store.read(key);
      if (bytes.isEmpty()) {
        continue;
      }
      try {
        GcIntent intent = GcIntent.read(bytes.get());
        if (!intent.deadline().isAfter(clock.instant())) {
          expired.add(key);
        }
      } catch (RuntimeException e) {
        expired.add(key);
      }
    }
    io.deleteBatched(expired);
  }

  private static List<String> intentKeys(Collection<Digest> digests) {
    List<String> keys = new ArrayList<>(digests.size());
    for (Digest d : digests) {
      keys.add(StorageLayout.keyOf(new GcIntentKey(d)));
    }
    return keys;
  }

  /**
   * S2: candidates a pusher marked, or whose links were re-written, since the cutoff, and
   * (transitively) what a saved manifest references.
   */
  private Set<Digest> recheck(Map<Digest, Candidate> candidates) throws IOException {
    Set<Digest> saved = new HashSet<>();
    // Marks: one listing (read after the intents were written) instead of a stat per candidate.
    for (ListedObject mark : io.digestObjects(StorageLayout.gcMarkPrefixes())) {
      Optional<Digest> digest =
          StorageLayout.parse(mark.key(), GcMarkKey.class).map(GcMarkKey::digest);
      if (digest.isPresent()
          && candidates.containsKey(digest.get())
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
    int perCall = Math.max(1, Math.min(io.store.keysPerListCall(), ParallelListing.LARGE_PAGE));
    List<LinkGroup> keys = new ArrayList<>(groups.keySet());
    List<Set<Digest>> young =
        io.calls.map(
            keys,
            group -> {
              List<Digest> digests = groups.get(group);
              RepositoryContents repo = repos.get(group.repo());
              int listed = group.layer() ? repo.layers.size() : repo.manifests.size();
              Set<Digest> found = new HashSet<>();
              if (digests.size() > listed / perCall + 1) {
                Set<Digest> wanted = new HashSet<>(digests);
                String prefix = group.prefix();
                for (ListedObject link : io.listing.all(prefix)) {
                  Optional<Digest> d = group.digestOf(link.key());
                  if (d.isPresent()
                      && wanted.contains(d.get())
                      && !link.info().lastModified().isBefore(cutoff)) {
                    found.add(d.get());
                  }
                }
              } else {
                for (Digest d : digests) {
                  if (youngOrGone(group.key(d))) {
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
      ManifestReferences refs = this.refs.readSoFar(d);
      for (Digest r : concat(refs.blobs(), refs.manifests())) {
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

    /**
     * The digest a listed key under {@link #prefix} links, or empty for a key outside the layout.
     */
    Optional<Digest> digestOf(String key) {
      return switch (StorageLayout.parse(key).orElse(null)) {
        case LayerLinkKey k when layer && k.repository().equals(repo) -> Optional.of(k.digest());
        case ManifestLinkKey k when !layer && k.repository().equals(repo) ->
            Optional.of(k.digest());
        case null, default -> Optional.empty();
      };
    }
  }

  /** Young: re-written since the cutoff. (Gone: someone deleted it; nothing to do, not saved.) */
  private boolean youngOrGone(String key) throws IOException {
    Optional<ObjectInfo> info = io.store.stat(key);
    return info.isPresent() && !info.get().lastModified().isBefore(cutoff);
  }

  private static <T> List<T> concat(Collection<T> a, Collection<T> b) {
    List<T> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
