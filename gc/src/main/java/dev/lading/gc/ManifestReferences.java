package dev.lading.gc;

import dev.lading.core.error.RegistryException;
import dev.lading.core.manifest.ManifestDescriptor;
import dev.lading.core.manifest.ManifestParser;
import dev.lading.core.manifest.ParsedManifest;
import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.registry.StoredJson;
import dev.lading.core.registry.StoredJson.BlobRecord;
import dev.lading.core.registry.StoredJson.ManifestLink;
import dev.lading.core.storage.StorageLayout;
import dev.lading.core.storage.StorageLayout.ManifestLinkKey;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What each manifest references, read once per run whatever the repository. */
final class ManifestReferences {
  private static final Logger LOG = LoggerFactory.getLogger(ManifestReferences.class);

  /** What a manifest references: blobs (config, layers) and child manifests. */
  record Refs(Set<Digest> blobs, Set<Digest> children) {
    static final Refs NONE = new Refs(Set.of(), Set.of());
  }

  private final CollectorStore io;
  private final Map<Digest, Refs> known = new ConcurrentHashMap<>();

  private ManifestReferences(CollectorStore io) {
    this.io = io;
  }

  /**
   * What every listed manifest references, read in parallel up front (two small reads each:
   * record, body), so the per-repository mark works from memory.
   */
  static ManifestReferences prefetch(CollectorStore io, Collection<RepositoryContents> repos)
      throws IOException {
    Map<Digest, RepositoryName> where = new LinkedHashMap<>();
    for (RepositoryContents repo : repos) {
      for (Digest m : repo.manifests) {
        where.putIfAbsent(m, repo.name);
      }
    }
    ManifestReferences refs = new ManifestReferences(io);
    List<Digest> digests = new ArrayList<>(where.keySet());
    List<Refs> read = io.calls.map(digests, d -> refs.read(d, where.get(d)));
    for (int i = 0; i < digests.size(); i++) {
      refs.known.put(digests.get(i), read.get(i));
    }
    return refs;
  }

  /** What manifest {@code digest} references (read now when the prefetch did not). */
  Refs of(Digest digest, RepositoryName repo) throws IOException {
    Refs refs = known.get(digest);
    if (refs == null) {
      refs = read(digest, repo);
      known.put(digest, refs);
    }
    return refs;
  }

  /** What was read for {@code digest}, nothing when it was not (the re-check works from memory). */
  Refs readSoFar(Digest digest) {
    return known.getOrDefault(digest, Refs.NONE);
  }

  /**
   * Two reads (record, body); the link's media type is read only for a body that does not name
   * its own (a manifest pushed by Content-Type alone), a third of the reads saved on the rest.
   */
  private Refs read(Digest digest, RepositoryName repo) throws IOException {
    Optional<BlobRecord> record = io.readRecord(digest);
    if (record.isEmpty()) {
      return Refs.NONE;
    }
    Optional<byte[]> body = io.store.read(record.get().dataKey());
    if (body.isEmpty()) {
      return Refs.NONE;
    }
    ParsedManifest parsed;
    try {
      parsed = ManifestParser.parse(null, body.get());
    } catch (RegistryException withoutOwnType) {
      Optional<String> mediaType = io.store.read(StorageLayout.keyOf(new ManifestLinkKey(repo, digest)))
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
}
