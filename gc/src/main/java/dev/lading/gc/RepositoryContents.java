package dev.lading.gc;

import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.storage.ListedObject;
import dev.lading.core.storage.StorageLayout;
import dev.lading.core.storage.StorageLayout.ReferrerEntry;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
  final List<String> tagKeys = new ArrayList<>();
  final List<ReferrerEntry> referrers = new ArrayList<>();
  /** Layer links and when each was last written, as the listing told it. */
  final Map<Digest, Instant> layers = new HashMap<>();
  final List<String> uploadKeys = new ArrayList<>();

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
    String root = "repositories/";
    for (ListedObject object : io.listing.all(root)) {
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
      RepositoryContents repo = repos.computeIfAbsent(name, RepositoryContents::new);
      try {
        repo.add(key, object.info().lastModified());
      } catch (RuntimeException e) {
        LOG.warn("gc: skipping a key outside the layout: {}", key);
      }
    }
    return repos;
  }

  private void add(String key, Instant time) {
    if (key.startsWith(StorageLayout.manifestsPrefix(name))) {
      Digest digest = StorageLayout.digestUnder(StorageLayout.manifestsPrefix(name), key);
      manifests.add(digest);
      manifestTimes.put(digest, time);
    } else if (key.startsWith(StorageLayout.layersPrefix(name))) {
      layers.put(StorageLayout.digestUnder(StorageLayout.layersPrefix(name), key), time);
    } else if (key.startsWith(StorageLayout.tagsPrefix(name))) {
      tagKeys.add(key);
    } else if (key.startsWith(StorageLayout.allReferrersPrefix(name))) {
      referrers.add(StorageLayout.referrerEntryOf(name, key));
    } else if (key.startsWith(StorageLayout.uploadsPrefix(name))) {
      uploadKeys.add(key);
    }
  }
}
