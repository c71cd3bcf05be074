package dev.lading.gc;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.BlobRecordKey;
import dev.lading.core.layout.StorageLayout.LayerLinkKey;
import dev.lading.core.layout.StorageLayout.ManifestLinkKey;
import dev.lading.core.layout.StoredValues.BlobRecord;
import dev.lading.core.layout.StoredValues.GcIntent;
import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.gc.GcStats.Kind;
import dev.lading.gc.GcStats.SweptItem;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/** Everything one digest's sweep would delete, gathered across repositories by the mark. */
final class Candidate {
  final Digest digest;
  final List<RepositoryName> layerLinks = new ArrayList<>();
  final List<RepositoryName> manifestLinks = new ArrayList<>();
  final List<String> referrerKeys = new ArrayList<>();

  /** Set when the blob itself goes too: nothing keeps it anywhere. */
  BlobRecord record;

  Candidate(Digest digest) {
    this.digest = digest;
  }

  /** The candidate of {@code digest} in {@code candidates}, added when new. */
  static Candidate of(Map<Digest, Candidate> candidates, Digest digest) {
    return candidates.computeIfAbsent(digest, Candidate::new);
  }

  /**
   * The intent announcing what this candidate's sweep may delete: its links in these repositories,
   * and the blob itself only when its record goes. Pushers into other repositories are not held up
   * by a shared layer's dead link somewhere else.
   */
  GcIntent intent(String runId, Instant deadline) {
    TreeSet<RepositoryName> repos = new TreeSet<>(Comparator.comparing(RepositoryName::value));
    repos.addAll(layerLinks);
    repos.addAll(manifestLinks);
    return new GcIntent(
        runId, deadline, Optional.of(new GcIntent.Reach(record != null, List.copyOf(repos))));
  }

  /** Its links and referrer entries, which go before any record: never a link to nothing. */
  void linkKeys(List<String> out) {
    for (RepositoryName repo : layerLinks) {
      out.add(StorageLayout.keyOf(new LayerLinkKey(repo, digest)));
    }
    out.addAll(referrerKeys);
    for (RepositoryName repo : manifestLinks) {
      out.add(StorageLayout.keyOf(new ManifestLinkKey(repo, digest)));
    }
  }

  /** Its record and data, when the blob goes. */
  void blobKeys(List<String> out) {
    if (record != null) {
      out.add(StorageLayout.keyOf(new BlobRecordKey(digest)));
      record.dataKey().ifPresent(k -> out.add(StorageLayout.keyOf(k)));
    }
  }

  /** What the run reports for this candidate. */
  void describe(List<SweptItem> items) {
    for (RepositoryName repo : manifestLinks) {
      items.add(new SweptItem(Kind.MANIFEST, repo + "@" + digest, 0));
    }
    for (String key : referrerKeys) {
      items.add(new SweptItem(Kind.REFERRER_ENTRY, key, 0));
    }
    for (RepositoryName repo : layerLinks) {
      items.add(new SweptItem(Kind.LAYER_LINK, repo + "@" + digest, 0));
    }
    if (record != null) {
      items.add(new SweptItem(Kind.BLOB, digest.toString(), record.size()));
    }
  }
}
