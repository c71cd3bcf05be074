package dev.lading.gc;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.BlobRecordKey;
import dev.lading.core.layout.StorageLayout.ReferrerKey;
import dev.lading.core.layout.StoredValues.BlobRecord;
import dev.lading.core.layout.StoredValues.TagTarget;
import dev.lading.core.model.Digest;
import dev.lading.core.storage.ListedObject;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mark: per repository, the manifests kept (tags, the children of kept indexes and the
 * referrers of kept subjects, to a fixpoint; every manifest unless untagged ones are swept) and the
 * blobs they reference; everything else older than the cutoff becomes a {@link Candidate} with the
 * links its sweep would delete; a blob record becomes part of its candidate only when nothing keeps
 * the digest anywhere.
 */
final class Mark {
  private static final Logger LOG = LoggerFactory.getLogger(Mark.class);

  /** What the mark found. */
  static final class Result {
    final Map<Digest, Candidate> candidates = new LinkedHashMap<>();

    /** Digests something keeps: kept manifests, what they reference, young links. */
    final Set<Digest> live = new HashSet<>();

    /** Data keys something live names (young records, live upload sessions' writes). */
    final Set<String> liveData = new HashSet<>();

    /**
     * Records of live digests that name data ({@link BlobRecord#mayNameData}, from the listed
     * length: a record holding its blob inline names none), and every record's listed time.
     */
    final List<Digest> liveRecords = new ArrayList<>();

    final Map<Digest, Instant> recordTimes = new HashMap<>();

    /** Referrer entries whose manifest link is gone already: an index entry only. */
    final List<String> strayReferrerKeys = new ArrayList<>();

    int manifestsKept;
  }

  private final CollectorStore io;
  private final GcOptions options;
  private final Instant cutoff;
  private final KnownReferences refs;
  private final Retention.Result retention;
  private final Result result = new Result();

  private Mark(
      CollectorStore io,
      GcOptions options,
      Instant cutoff,
      KnownReferences refs,
      Retention.Result retention) {
    this.io = io;
    this.options = options;
    this.cutoff = cutoff;
    this.refs = refs;
    this.retention = retention;
  }

  /** Marks every repository, then sorts the blob records into live ones and candidates. */
  static Result run(
      CollectorStore io,
      GcOptions options,
      Instant cutoff,
      Collection<RepositoryContents> repos,
      KnownReferences refs,
      Retention.Result retention,
      Set<String> liveWrites)
      throws IOException {
    Mark mark = new Mark(io, options, cutoff, refs, retention);
    for (RepositoryContents repo : repos) {
      mark.repository(repo);
    }
    mark.result.liveData.addAll(liveWrites);
    mark.records();
    return mark.result;
  }

  private void repository(RepositoryContents repo) throws IOException {
    Set<Digest> kept = keptManifests(repo);
    result.manifestsKept += kept.size();
    result.live.addAll(kept);
    Set<Digest> referenced = new HashSet<>();
    for (Digest m : kept) {
      referenced.addAll(refs.of(m, repo.name).blobs());
    }
    // Whatever a kept manifest references is live, linked in this listing or not (a store
    // whose overwrite is not atomic may list a link being rewritten under another name).
    result.live.addAll(referenced);
    for (Digest m : repo.manifests) {
      if (!kept.contains(m)) {
        Candidate.of(result.candidates, m).manifestLinks.add(repo.name);
      }
    }
    for (ReferrerKey entry : repo.referrers) {
      String key = StorageLayout.keyOf(entry);
      if (!kept.contains(entry.referrer())) {
        if (repo.manifests.contains(entry.referrer())) {
          Candidate.of(result.candidates, entry.referrer()).referrerKeys.add(key);
        } else {
          result.strayReferrerKeys.add(key);
        }
      }
    }
    // The listing told each link's time: no stat per link.
    for (Map.Entry<Digest, Instant> layer : repo.layers.entrySet()) {
      if (referenced.contains(layer.getKey())) {
        result.live.add(layer.getKey());
      } else if (layer.getValue().isBefore(cutoff)) {
        Candidate.of(result.candidates, layer.getKey()).layerLinks.add(repo.name);
      } else {
        result.live.add(layer.getKey()); // young: a manifest may still come for it
      }
    }
  }

  /**
   * Roots (tags; every manifest unless untagged ones are swept, or, where a retention policy speaks
   * about untagged manifests, every one it did not find expired) and what they reach.
   */
  private Set<Digest> keptManifests(RepositoryContents repo) throws IOException {
    Set<Digest> kept = new HashSet<>();
    List<Optional<byte[]>> targets =
        io.calls.map(repo.tags, tag -> io.store.read(StorageLayout.keyOf(tag)));
    for (int i = 0; i < repo.tags.size(); i++) {
      Optional<byte[]> target = targets.get(i);
      if (target.isEmpty()) {
        continue;
      }
      try {
        Digest d = TagTarget.read(target.get()).manifest();
        if (repo.manifests.contains(d)) {
          kept.add(d);
        }
      } catch (RuntimeException e) {
        LOG.warn("gc: unreadable tag {}", StorageLayout.keyOf(repo.tags.get(i)));
      }
    }
    // A retention policy with untagged_for decides for its repositories: every untagged manifest
    // it did not find expired is a root (young or not), whatever gc.delete_untagged says.
    Optional<Set<Digest>> expired = retention.expired(repo.name);
    for (Digest m : repo.manifests) {
      if (kept.contains(m)) {
        continue;
      }
      if (expired.isPresent()) {
        if (!expired.get().contains(m)) {
          kept.add(m);
        }
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
        for (Digest child : refs.of(m, repo.name).manifests()) {
          if (repo.manifests.contains(child) && kept.add(child)) {
            queue.add(child);
          }
        }
      }
      grew = false;
      for (ReferrerKey entry : repo.referrers) {
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
   * Blob records: a record goes when nothing keeps its digest and it is older than the grace. Only
   * records that are not live are read here; live ones only matter to the stray-data pass. Records
   * are written once (writeIfAbsent), so the listed time is the record's age.
   */
  private void records() throws IOException {
    List<Digest> otherRecords = new ArrayList<>();
    for (ListedObject object : io.listing.all(StorageLayout.blobRecordShards())) {
      Optional<Digest> record =
          StorageLayout.parse(object.key(), BlobRecordKey.class).map(BlobRecordKey::digest);
      if (record.isEmpty()) {
        // Not ours (S3Proxy's filesystem backend lists a PUT's temporary file, for one).
        LOG.debug("gc: skipping a key outside the layout: {}", object.key());
        continue;
      }
      Digest digest = record.get();
      if (!result.live.contains(digest)) {
        otherRecords.add(digest);
      } else if (BlobRecord.mayNameData(object.info().size())) {
        result.liveRecords.add(digest);
      }
      result.recordTimes.put(digest, object.info().lastModified());
    }
    List<RecordAge> others =
        io.calls.map(
            otherRecords,
            digest -> new RecordAge(digest, io.readRecord(digest), result.recordTimes.get(digest)));
    for (RecordAge r : others) {
      if (r.record().isEmpty()) {
        continue;
      }
      if (r.time().isBefore(cutoff)) {
        Candidate.of(result.candidates, r.digest()).record = r.record().get();
      } else {
        r.record().get().dataKey().ifPresent(k -> result.liveData.add(StorageLayout.keyOf(k)));
      }
    }
  }
}
