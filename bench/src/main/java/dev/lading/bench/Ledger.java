package dev.lading.bench;

import dev.lading.core.model.Digest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What the server acknowledged, and so must still have: blobs (as the seed and size that regenerate
 * their bytes, never the bytes), manifests, where each tag points, and the deletes.
 *
 * <p>Every repository belongs to one worker, which alone writes it, so "the last acknowledged write
 * wins" needs no ordering between clients; a checkpoint reads it only while the workers are paused
 * ({@link PauseGate}). A write that was in flight when the server died and was given up has no
 * known outcome: its tag may hold the old or the new digest (or be absent), its manifest may or may
 * not exist. The ledger keeps every outcome allowed until an acknowledged write settles it.
 *
 * <p>What GC may remove (gc/package-info.java) decides what must survive: with {@code
 * delete_untagged} false every manifest that was pushed and not deleted is kept, with its config
 * and layers; with it true only manifests a tag (known for sure) or a kept index reaches, plus
 * anything younger than the grace period. A blob no kept manifest references survives only its
 * grace period; the ledger checks those only while they are clearly younger than that.
 */
final class Ledger {

  /** Less than this from the end of the grace period, an object's age is too close to call. */
  static final Duration AGE_MARGIN = Duration.ofSeconds(30);

  record BlobFact(Digest digest, long seed, long size, long ackedNanos) {
    GeneratedBlob content() {
      return new GeneratedBlob(seed, size);
    }
  }

  enum ManifestState {
    LIVE,
    PUT_AMBIGUOUS,
    DELETED,
    DELETE_AMBIGUOUS
  }

  static final class ManifestFact {
    final Digest digest;
    final byte[] body;
    final String mediaType;
    final List<Digest> blobs;
    final List<Digest> children;
    ManifestState state;
    long ackedNanos;

    ManifestFact(
        Digest digest, byte[] body, String mediaType, List<Digest> blobs, List<Digest> children) {
      this.digest = digest;
      this.body = body;
      this.mediaType = mediaType;
      this.blobs = List.copyOf(blobs);
      this.children = List.copyOf(children);
    }

    boolean isIndex() {
      return !children.isEmpty();
    }
  }

  /** Where a tag may point: any of {@code digests}, or nowhere when {@code mayBeAbsent}. */
  static final class TagFact {
    final Set<Digest> digests = new LinkedHashSet<>();
    boolean mayBeAbsent = true;

    boolean allows(Digest d) {
      return digests.contains(d);
    }

    /** One digest and nothing else possible. */
    boolean isCertain() {
      return digests.size() == 1 && !mayBeAbsent;
    }

    @Override
    public String toString() {
      return digests + (mayBeAbsent ? " or absent" : "");
    }
  }

  /** One repository's acknowledged state; written by its worker only. */
  static final class Repo {
    final String name;
    final Map<Digest, BlobFact> blobs = new LinkedHashMap<>();
    final Map<Digest, ManifestFact> manifests = new LinkedHashMap<>();
    final Map<String, TagFact> tags = new TreeMap<>();

    Repo(String name) {
      this.name = name;
    }

    void blobAcknowledged(BlobFact blob) {
      blobs.put(blob.digest(), blob);
    }

    void manifestAcknowledged(ManifestFact m, String tag) {
      manifests.put(m.digest, m);
      m.state = ManifestState.LIVE;
      m.ackedNanos = System.nanoTime();
      if (tag != null) {
        TagFact t = tag(tag);
        t.digests.clear();
        t.digests.add(m.digest);
        t.mayBeAbsent = false;
      }
    }

    /**
     * A manifest PUT given up without an answer: the manifest and the tag may or may not be
     * written.
     */
    void manifestAmbiguous(ManifestFact m, String tag) {
      ManifestFact known = manifests.putIfAbsent(m.digest, m);
      if (known == null) {
        m.state = ManifestState.PUT_AMBIGUOUS;
        m.ackedNanos = System.nanoTime();
      }
      if (tag != null) {
        tag(tag).digests.add(m.digest);
      }
    }

    void tagDeleted(String tag) {
      TagFact t = tag(tag);
      t.digests.clear();
      t.mayBeAbsent = true;
    }

    void tagDeleteAmbiguous(String tag) {
      tag(tag).mayBeAbsent = true;
    }

    /** A delete by digest also removes every tag pointing at the manifest. */
    void manifestDeleted(Digest digest) {
      manifests.get(digest).state = ManifestState.DELETED;
      for (TagFact t : tags.values()) {
        if (t.digests.remove(digest)) {
          t.mayBeAbsent = true;
        }
      }
    }

    void manifestDeleteAmbiguous(Digest digest) {
      ManifestFact m = manifests.get(digest);
      if (m.state != ManifestState.DELETED) {
        m.state = ManifestState.DELETE_AMBIGUOUS;
      }
      for (TagFact t : tags.values()) {
        if (t.digests.contains(digest)) {
          t.mayBeAbsent = true;
        }
      }
    }

    TagFact tag(String tag) {
      return tags.computeIfAbsent(tag, k -> new TagFact());
    }

    /** Whether some manifest that may still exist is an index listing {@code child}. */
    boolean isChildOfAnIndex(Digest child) {
      for (ManifestFact m : manifests.values()) {
        if (m.state != ManifestState.DELETED && m.children.contains(child)) {
          return true;
        }
      }
      return false;
    }
  }

  private final List<Repo> repos = new CopyOnWriteArrayList<>();
  private final long youngNanos;
  private final boolean deleteUntagged;

  Ledger(Duration grace, boolean deleteUntagged) {
    this.youngNanos = grace.minus(AGE_MARGIN).toNanos();
    this.deleteUntagged = deleteUntagged;
  }

  Repo newRepo(String name) {
    Repo repo = new Repo(name);
    repos.add(repo);
    return repo;
  }

  List<Repo> repos() {
    return repos;
  }

  boolean isYoung(long ackedNanos, long now) {
    return now - ackedNanos < youngNanos;
  }

  /** The manifests GC must keep and the server must serve, with the children of kept indexes. */
  Set<ManifestFact> requiredManifests(Repo repo, long now) {
    Set<ManifestFact> required = new LinkedHashSet<>();
    for (ManifestFact m : repo.manifests.values()) {
      if (m.state == ManifestState.LIVE
          && (!deleteUntagged || isYoung(m.ackedNanos, now) || isCertainlyTagged(repo, m.digest))) {
        required.add(m);
      }
    }
    List<ManifestFact> work = new ArrayList<>(required);
    while (!work.isEmpty()) {
      ManifestFact index = work.remove(work.size() - 1);
      for (Digest child : index.children) {
        ManifestFact c = repo.manifests.get(child);
        if (c != null && c.state == ManifestState.LIVE && required.add(c)) {
          work.add(c);
        }
      }
    }
    return required;
  }

  /**
   * The blobs the server must serve in {@code repo}: those of required manifests, and young ones.
   */
  Map<Digest, BlobFact> requiredBlobs(Repo repo, long now) {
    Map<Digest, BlobFact> required = new LinkedHashMap<>();
    for (ManifestFact m : requiredManifests(repo, now)) {
      addBlobs(repo, m.blobs, required);
    }
    for (BlobFact b : repo.blobs.values()) {
      if (isYoung(b.ackedNanos(), now)) {
        required.put(b.digest(), b);
      }
    }
    return required;
  }

  boolean isRequired(Repo repo, Digest digest, long now) {
    ManifestFact m = repo.manifests.get(digest);
    if (m != null) {
      return requiredManifests(repo, now).contains(m);
    }
    return requiredBlobs(repo, now).containsKey(digest);
  }

  static void addBlobs(Repo repo, Collection<Digest> digests, Map<Digest, BlobFact> into) {
    for (Digest d : digests) {
      BlobFact b = repo.blobs.get(d);
      if (b != null) {
        into.put(d, b);
      }
    }
  }

  private static boolean isCertainlyTagged(Repo repo, Digest digest) {
    for (TagFact t : repo.tags.values()) {
      if (t.isCertain() && t.allows(digest)) {
        return true;
      }
    }
    return false;
  }
}
