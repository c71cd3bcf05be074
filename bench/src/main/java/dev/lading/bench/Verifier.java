package dev.lading.bench;

import dev.lading.bench.Ledger.BlobFact;
import dev.lading.bench.Ledger.ManifestFact;
import dev.lading.bench.Ledger.ManifestState;
import dev.lading.bench.Ledger.Repo;
import dev.lading.core.model.Digest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Checks every acknowledged write that must still be there, with the server up, the workers paused
 * and GC quiescent: each tag points where the ledger allows and what it points at pulls, every
 * required manifest pulls by digest with its bytes, every blob they reference pulls whole with the
 * right digest (and a random range of the larger ones byte for byte), young blobs pull, and every
 * acknowledged delete stays done.
 */
final class Verifier {

  /** A check answered with a 5xx (or cut off) is tried again this many times. */
  private static final int TRIES = 5;

  private static final long RANGED_FROM = 64 << 10;

  private final Ledger ledger;
  private final ContentChecks checks;
  private final SoakStats stats;
  private final Random random;

  Verifier(Ledger ledger, ContentChecks checks, SoakStats stats, long seed) {
    this.ledger = ledger;
    this.checks = checks;
    this.stats = stats;
    this.random = new Random(seed);
  }

  @FunctionalInterface
  private interface Check {
    ContentChecks.Result run() throws SoakClient.ServerGone;
  }

  /** Prints one line of counts; losses go to the stats as they are found. */
  void verifyAll(String label) throws InterruptedException {
    long t0 = System.nanoTime();
    int lostBefore = stats.lostCount();
    long tags = 0;
    long manifests = 0;
    long blobs = 0;
    long bytes = 0;
    long deletes = 0;
    for (Repo repo : ledger.repos()) {
      long now = System.nanoTime();
      Set<ManifestFact> required = new LinkedHashSet<>(ledger.requiredManifests(repo, now));
      for (String tag : repo.tags.keySet()) {
        ContentChecks.TagAnswer answer = tagAnswer(repo, tag);
        tags++;
        // What a tag points at is kept by GC, whether or not the ledger knew which it would be.
        ManifestFact pointed = answer.digest() == null ? null : repo.manifests.get(answer.digest());
        if (pointed != null) {
          required.add(pointed);
        }
      }
      Map<Digest, BlobFact> requiredBlobs = new LinkedHashMap<>(ledger.requiredBlobs(repo, now));
      List<ManifestFact> work = new ArrayList<>(required);
      Set<Digest> seen = new LinkedHashSet<>();
      while (!work.isEmpty()) {
        ManifestFact m = work.remove(work.size() - 1);
        if (!seen.add(m.digest)) {
          continue;
        }
        check("manifest " + m.digest + " in " + repo.name, () -> checks.manifest(repo, m));
        manifests++;
        Ledger.addBlobs(repo, m.blobs, requiredBlobs);
        for (Digest child : m.children) {
          ManifestFact c = repo.manifests.get(child);
          if (c != null) {
            work.add(c);
          }
        }
      }
      for (BlobFact b : requiredBlobs.values()) {
        check("blob " + b.digest() + " in " + repo.name, () -> checks.blob(repo, b));
        if (b.size() >= RANGED_FROM) {
          check(
              "range of blob " + b.digest() + " in " + repo.name,
              () -> checks.blobRange(repo, b, random));
        }
        blobs++;
        bytes += b.size();
      }
      for (ManifestFact m : repo.manifests.values()) {
        if (m.state == ManifestState.DELETED) {
          check(
              "deleted manifest " + m.digest + " in " + repo.name,
              () -> checks.deletedManifest(repo, m));
          deletes++;
        }
      }
    }
    stats.checked.add(tags + manifests + blobs + deletes);
    stats.log(
        String.format(
            Locale.ROOT,
            "%s: checked %d tags, %d manifests, %d blobs (%.1f MiB), %d deletes in %.1f s; lost here: %d",
            label,
            tags,
            manifests,
            blobs,
            bytes / 1048576.0,
            deletes,
            (System.nanoTime() - t0) / 1e9,
            stats.lostCount() - lostBefore));
  }

  private ContentChecks.TagAnswer tagAnswer(Repo repo, String tag) throws InterruptedException {
    for (int i = 0; i < TRIES; i++) {
      try {
        ContentChecks.TagAnswer answer = checks.tag(repo, tag);
        if (answer.result() != ContentChecks.Result.UNCHECKED) {
          return answer;
        }
      } catch (SoakClient.ServerGone e) {
        // The server went away during a checkpoint: nothing kills it now, so this is a finding.
        stats.anomaly("server went away during a check: " + e.getMessage());
      }
      BlobPusher.backOff(i + 1);
    }
    stats.checkError("tag " + repo.name + ":" + tag);
    return new ContentChecks.TagAnswer(ContentChecks.Result.UNCHECKED, null);
  }

  private void check(String what, Check check) throws InterruptedException {
    for (int i = 0; i < TRIES; i++) {
      try {
        if (check.run() != ContentChecks.Result.UNCHECKED) {
          return;
        }
      } catch (SoakClient.ServerGone e) {
        stats.anomaly("server went away during a check: " + e.getMessage());
      }
      BlobPusher.backOff(i + 1);
    }
    stats.checkError(what);
  }
}
