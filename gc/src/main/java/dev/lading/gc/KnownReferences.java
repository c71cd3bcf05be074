package dev.lading.gc;

import dev.lading.core.error.RegistryException;
import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.ManifestLinkKey;
import dev.lading.core.layout.StoredValues;
import dev.lading.core.layout.StoredValues.BlobRecord;
import dev.lading.core.layout.StoredValues.ManifestLink;
import dev.lading.core.layout.StoredValues.ManifestReferences;
import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What each manifest references, read once per run whatever the repository. */
final class KnownReferences {
  private static final Logger LOG = LoggerFactory.getLogger(KnownReferences.class);

  private final CollectorStore io;
  private final Map<Digest, ManifestReferences> known = new ConcurrentHashMap<>();

  private KnownReferences(CollectorStore io) {
    this.io = io;
  }

  /**
   * What every listed manifest references, read in parallel up front (two small reads each: record,
   * body), so the per-repository mark works from memory.
   */
  static KnownReferences prefetch(CollectorStore io, Collection<RepositoryContents> repos)
      throws IOException {
    Map<Digest, RepositoryName> where = new LinkedHashMap<>();
    for (RepositoryContents repo : repos) {
      for (Digest m : repo.manifests) {
        where.putIfAbsent(m, repo.name);
      }
    }
    KnownReferences refs = new KnownReferences(io);
    List<Digest> digests = new ArrayList<>(where.keySet());
    List<ManifestReferences> read = io.calls.map(digests, d -> refs.read(d, where.get(d)));
    for (int i = 0; i < digests.size(); i++) {
      refs.known.put(digests.get(i), read.get(i));
    }
    return refs;
  }

  /** What manifest {@code digest} references (read now when the prefetch did not). */
  ManifestReferences of(Digest digest, RepositoryName repo) throws IOException {
    ManifestReferences refs = known.get(digest);
    if (refs == null) {
      refs = read(digest, repo);
      known.put(digest, refs);
    }
    return refs;
  }

  /** What was read for {@code digest}, nothing when it was not (the re-check works from memory). */
  ManifestReferences readSoFar(Digest digest) {
    return known.getOrDefault(digest, ManifestReferences.NONE);
  }

  /**
   * Two reads (record, body); the link's media type is read only for a body that does not name its
   * own (a manifest pushed by Content-Type alone), a third of the reads saved on the rest.
   */
  private ManifestReferences read(Digest digest, RepositoryName repo) throws IOException {
    Optional<BlobRecord> record = io.readRecord(digest);
    if (record.isEmpty()) {
      return ManifestReferences.NONE;
    }
    Optional<byte[]> body =
        record.get().inline().isPresent()
            ? Optional.of(record.get().inline().get().bytes())
            : io.store.read(StorageLayout.keyOf(record.get().dataKey().orElseThrow()));
    if (body.isEmpty()) {
      return ManifestReferences.NONE;
    }
    try {
      return ManifestReferences.of(
          StoredValues.readManifest(
              body.get(),
              () ->
                  io.store
                      .read(StorageLayout.keyOf(new ManifestLinkKey(repo, digest)))
                      .map(ManifestLink::read)));
    } catch (RegistryException e) {
      LOG.warn("gc: manifest {} does not parse; it keeps nothing", digest);
      return ManifestReferences.NONE;
    }
  }
}
