package dev.lading.gc;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.Key;
import dev.lading.core.layout.StorageLayout.LayerLinkKey;
import dev.lading.core.layout.StorageLayout.ManifestLinkKey;
import dev.lading.core.layout.StorageLayout.PullRecordKey;
import dev.lading.core.layout.StorageLayout.ReferrerKey;
import dev.lading.core.layout.StorageLayout.TagKey;
import dev.lading.core.layout.StorageLayout.UploadStateKey;
import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import dev.lading.core.storage.ListedObject;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What one repository holds, from one listing of its keys, with each link's listed time. */
final class RepositoryContents {
  private static final Logger LOG = LoggerFactory.getLogger(RepositoryContents.class);

  final RepositoryName name;
  final Set<Digest> manifests = new HashSet<>();

  /** When each manifest link was last written, as the listing told it. */
  final Map<Digest, Instant> manifestTimes = new HashMap<>();

  final List<TagKey> tags = new ArrayList<>();

  /** When each tag was last written (its push time), as the listing told it. */
  final Map<Tag, Instant> tagTimes = new HashMap<>();

  final List<ReferrerKey> referrers = new ArrayList<>();

  /** Layer links and when each was last written, as the listing told it. */
  final Map<Digest, Instant> layers = new HashMap<>();

  final List<UploadStateKey> uploads = new ArrayList<>();

  /** Every instance's pull record of this repository, with when it was last written. */
  final Map<PullRecordKey, Instant> pullRecords = new HashMap<>();

  private RepositoryContents(RepositoryName name) {
    this.name = name;
  }

  /**
   * Every repository found under {@code repositories/} in one pass (not from the catalog, which
   * only names repositories that got a manifest: layers pushed to a new repository are linked
   * before its first manifest).
   */
  static Map<RepositoryName, RepositoryContents> list(CollectorStore io) throws IOException {
    Map<RepositoryName, RepositoryContents> repos = new LinkedHashMap<>();
    for (ListedObject object : io.listing.all(StorageLayout.repositoriesPrefix())) {
      Optional<Key> key = StorageLayout.parse(object.key());
      Instant time = object.info().lastModified();
      switch (key.orElse(null)) {
        case LayerLinkKey k -> of(repos, k.repository()).layers.put(k.digest(), time);
        case ManifestLinkKey k -> {
          RepositoryContents repo = of(repos, k.repository());
          repo.manifests.add(k.digest());
          repo.manifestTimes.put(k.digest(), time);
        }
        case TagKey k -> {
          RepositoryContents repo = of(repos, k.repository());
          repo.tags.add(k);
          repo.tagTimes.put(k.tag(), time);
        }
        case ReferrerKey k -> of(repos, k.repository()).referrers.add(k);
        case UploadStateKey k -> of(repos, k.repository()).uploads.add(k);
        case PullRecordKey k -> of(repos, k.repository()).pullRecords.put(k, time);
        case null, default -> LOG.warn("gc: skipping a key outside the layout: {}", object.key());
      }
    }
    return repos;
  }

  private static RepositoryContents of(
      Map<RepositoryName, RepositoryContents> repos, RepositoryName name) {
    return repos.computeIfAbsent(name, RepositoryContents::new);
  }
}
