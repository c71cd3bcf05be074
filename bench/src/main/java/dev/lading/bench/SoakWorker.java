package dev.lading.bench;

import dev.lading.bench.Ledger.BlobFact;
import dev.lading.bench.Ledger.ManifestFact;
import dev.lading.bench.Ledger.ManifestState;
import dev.lading.bench.Ledger.Repo;
import dev.lading.bench.Ledger.TagFact;
import dev.lading.core.model.Digest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One client of the soak: a seeded random mix of pushes (blobs three ways, image manifests by tag
 * or digest, now and then an index), pulls checked against the ledger, tag and manifest deletes,
 * all in repositories of its own, so its ledger entries have a single writer. Every operation runs
 * as one {@link PauseGate} step.
 */
final class SoakWorker implements Runnable {

  static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  private static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
  private static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
  private static final int REPOSITORIES = 2;
  private static final int TAGS = 4;

  /**
   * Past this many kept manifests in a repository, half the operations are deletes: the store (and
   * each checkpoint's reading of it) stays at a steady size however long the run, and GC always has
   * garbage to sweep.
   */
  private static final int MAX_LIVE_MANIFESTS = 24;

  /** Interrupted or 5xx-answered tries of a manifest write before it is given up as ambiguous. */
  private static final int MAX_WRITE_TRIES = 20;

  private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

  /** Sizes of the blobs pushed; {@code bigPercent} of them are {@code bigBytes}. */
  record Sizes(int bigPercent, long bigBytes) {}

  private final int id;
  private final Ledger ledger;
  private final List<Repo> repos = new ArrayList<>();
  private final SoakClient client;
  private final SoakStats stats;
  private final PauseGate gate;
  private final Random random;
  private final BlobPusher pusher;
  private final ContentChecks checks;
  private final Sizes sizes;
  private final long thinkMillis;
  private final BooleanSupplier running;
  private long pushes;

  SoakWorker(
      int id,
      Ledger ledger,
      SoakClient client,
      SoakStats stats,
      PauseGate gate,
      KillAim aim,
      long seed,
      Sizes sizes,
      long thinkMillis,
      BooleanSupplier running) {
    this.id = id;
    this.ledger = ledger;
    this.client = client;
    this.stats = stats;
    this.gate = gate;
    this.random = new Random(seed);
    this.pusher = new BlobPusher(client, stats, random, aim);
    this.checks = new ContentChecks(client, stats);
    this.sizes = sizes;
    this.thinkMillis = thinkMillis;
    this.running = running;
    for (int r = 0; r < REPOSITORIES; r++) {
      repos.add(ledger.newRepo("soak/w" + id + "-r" + r));
    }
  }

  @Override
  public void run() {
    try {
      while (running.getAsBoolean()) {
        gate.step(this::oneOperation);
        Thread.sleep(thinkMillis / 2 + random.nextLong(thinkMillis + 1));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      stats.log("worker " + id + " stopped: " + e);
      throw e;
    }
  }

  private void oneOperation() throws InterruptedException {
    Repo repo = repos.get(random.nextInt(repos.size()));
    int roll = random.nextInt(100);
    try {
      if (liveManifests(repo) > MAX_LIVE_MANIFESTS && random.nextBoolean()) {
        deleteManifest(repo);
      } else if (roll < 38) {
        pushImage(repo, random.nextInt(10) < 7 ? tagName() : null);
      } else if (roll < 43) {
        pushIndex(repo, tagName());
      } else if (roll < 45) {
        pushLooseBlob(repo);
      } else if (roll < 80) {
        pull(repo);
      } else if (roll < 89) {
        deleteTag(repo);
      } else {
        deleteManifest(repo);
      }
    } catch (SoakClient.ServerGone e) {
      stats.count("interrupted.pull");
    }
  }

  // ---- pushes -------------------------------------------------------------------------------

  /** A config and 1-3 layers (a quarter of them reused from a kept manifest), then the manifest. */
  private ManifestFact pushImage(Repo repo, String tag) throws InterruptedException {
    List<BlobFact> layers = new ArrayList<>();
    int count = 1 + random.nextInt(3);
    List<BlobFact> reusable =
        new ArrayList<>(ledger.requiredBlobs(repo, System.nanoTime()).values());
    for (int i = 0; i < count; i++) {
      BlobFact layer =
          !reusable.isEmpty() && random.nextInt(4) == 0
              ? reusable.get(random.nextInt(reusable.size()))
              : pushBlob(repo, layerSize());
      if (layer == null) {
        return null;
      }
      layers.add(layer);
    }
    BlobFact config = pushBlob(repo, 200 + random.nextInt(1800));
    if (config == null) {
      return null;
    }
    StringBuilder json =
        new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",")
            .append("\"config\":")
            .append(descriptor(OCI_CONFIG, config.digest(), config.size()))
            .append(",\"layers\":[");
    List<Digest> blobs = new ArrayList<>();
    blobs.add(config.digest());
    for (int i = 0; i < layers.size(); i++) {
      BlobFact l = layers.get(i);
      json.append(i == 0 ? "" : ",").append(descriptor(OCI_LAYER, l.digest(), l.size()));
      blobs.add(l.digest());
    }
    json.append("],\"annotations\":{\"dev.lading.soak\":\"w")
        .append(id)
        .append('-')
        .append(++pushes)
        .append("\"}}");
    byte[] body = json.toString().getBytes(StandardCharsets.UTF_8);
    ManifestFact m = new ManifestFact(Digest.sha256(body), body, OCI_MANIFEST, blobs, List.of());
    return putManifest(repo, m, tag) ? m : null;
  }

  /** Two images pushed by digest, then an index of them by tag. */
  private void pushIndex(Repo repo, String tag) throws InterruptedException {
    List<ManifestFact> children = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      ManifestFact child = pushImage(repo, null);
      if (child == null) {
        return;
      }
      children.add(child);
    }
    StringBuilder json =
        new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_INDEX + "\",")
            .append("\"manifests\":[");
    for (int i = 0; i < children.size(); i++) {
      ManifestFact c = children.get(i);
      json.append(i == 0 ? "" : ",").append(descriptor(OCI_MANIFEST, c.digest, c.body.length));
    }
    json.append("],\"annotations\":{\"dev.lading.soak\":\"w")
        .append(id)
        .append('-')
        .append(++pushes)
        .append("\"}}");
    byte[] body = json.toString().getBytes(StandardCharsets.UTF_8);
    putManifest(
        repo,
        new ManifestFact(
            Digest.sha256(body),
            body,
            OCI_INDEX,
            List.of(),
            children.stream().map(c -> c.digest).toList()),
        tag);
  }

  /** A blob no manifest will reference: GC may sweep it once past the grace period. */
  private void pushLooseBlob(Repo repo) throws InterruptedException {
    pushBlob(repo, layerSize());
  }

  private BlobFact pushBlob(Repo repo, long size) throws InterruptedException {
    long seed = random.nextLong();
    GeneratedBlob blob = new GeneratedBlob(seed, size);
    Digest digest = blob.digest();
    BlobPusher.Mode mode =
        BlobPusher.Mode.values()[random.nextInt(BlobPusher.Mode.values().length)];
    if (!pusher.push(repo.name, blob, digest, mode)) {
      return null;
    }
    BlobFact fact = new BlobFact(digest, seed, size, System.nanoTime());
    repo.blobAcknowledged(fact);
    return fact;
  }

  /**
   * PUT of a manifest by tag ({@code tag} non-null) or digest, retried through crashes. A
   * MANIFEST_BLOB_UNKNOWN naming something the ledger says must exist is a loss; naming anything
   * else (a blob GC may have swept since), it is pushed again and the PUT retried.
   */
  private boolean putManifest(Repo repo, ManifestFact m, String tag) throws InterruptedException {
    stats.count(
        m.isIndex()
            ? "push.index"
            : tag == null ? "push.manifest.by-digest" : "push.manifest.by-tag");
    String target = "/v2/" + repo.name + "/manifests/" + (tag != null ? tag : m.digest.toString());
    boolean mayHaveWritten = false;
    int refusals = 0;
    for (int tries = 0; tries < MAX_WRITE_TRIES; tries++) {
      HttpConnection.Response r;
      try {
        r =
            client.send(
                "PUT",
                target,
                Map.of("Content-Type", m.mediaType),
                m.body.length,
                out -> out.write(m.body));
      } catch (SoakClient.ServerGone e) {
        stats.count("interrupted.manifest.put");
        mayHaveWritten = true;
        continue;
      }
      if (r.status() == 201) {
        if (!m.digest.toString().equals(r.header("Docker-Content-Digest"))) {
          stats.anomaly(
              "manifest PUT "
                  + target
                  + " answered digest "
                  + r.header("Docker-Content-Digest")
                  + ", expected "
                  + m.digest);
        }
        repo.manifestAcknowledged(m, tag);
        return true;
      }
      if (r.status() == 400 && r.bodyText().contains("MANIFEST_BLOB_UNKNOWN") && refusals++ < 3) {
        if (!pushAgain(repo, m, r)) {
          break;
        }
        continue;
      }
      if (r.status() >= 500) {
        mayHaveWritten = true;
        BlobPusher.backOff(Math.min(tries + 1, 4));
        continue;
      }
      stats.anomaly("manifest PUT " + target + " answered " + r);
      break;
    }
    if (mayHaveWritten) {
      stats.ambiguous.increment();
      repo.manifestAmbiguous(m, tag);
    }
    return false;
  }

  /** After MANIFEST_BLOB_UNKNOWN: report a required blob as lost, push a sweepable one again. */
  private boolean pushAgain(Repo repo, ManifestFact m, HttpConnection.Response refusal)
      throws InterruptedException {
    Matcher named = DIGEST.matcher(refusal.bodyText());
    if (!named.find()) {
      stats.anomaly("MANIFEST_BLOB_UNKNOWN without a digest: " + refusal);
      return false;
    }
    Digest missing = Digest.parse(named.group());
    long now = System.nanoTime();
    if (ledger.isRequired(repo, missing, now)) {
      stats.lost(
          (repo.manifests.containsKey(missing) ? "manifest " : "blob ")
              + missing
              + " in "
              + repo.name,
          "manifest PUT of " + m.digest + " refused: " + refusal);
    }
    stats.count("push.again.after-blob-unknown");
    BlobFact blob = repo.blobs.get(missing);
    if (blob != null) {
      if (!pusher.push(repo.name, blob.content(), missing, BlobPusher.Mode.MONOLITHIC)) {
        return false;
      }
      repo.blobAcknowledged(new BlobFact(missing, blob.seed(), blob.size(), System.nanoTime()));
      return true;
    }
    ManifestFact child = repo.manifests.get(missing);
    return child != null && putManifest(repo, child, null);
  }

  // ---- pulls --------------------------------------------------------------------------------

  /** One pull of something that must be there now: a tag, a manifest, a blob whole or a range. */
  private void pull(Repo repo) throws SoakClient.ServerGone {
    long now = System.nanoTime();
    int roll = random.nextInt(4);
    if (roll == 0 && !repo.tags.isEmpty()) {
      stats.count("pull.manifest.by-tag");
      List<String> tags = new ArrayList<>(repo.tags.keySet());
      checks.tag(repo, tags.get(random.nextInt(tags.size())));
      return;
    }
    if (roll == 1) {
      List<ManifestFact> required = new ArrayList<>(ledger.requiredManifests(repo, now));
      if (!required.isEmpty()) {
        stats.count("pull.manifest.by-digest");
        checks.manifest(repo, required.get(random.nextInt(required.size())));
      }
      return;
    }
    List<BlobFact> blobs = new ArrayList<>(ledger.requiredBlobs(repo, now).values());
    if (blobs.isEmpty()) {
      return;
    }
    BlobFact b = blobs.get(random.nextInt(blobs.size()));
    if (roll == 2) {
      stats.count("pull.blob");
      checks.blob(repo, b);
    } else {
      stats.count("pull.blob.range");
      checks.blobRange(repo, b, random);
    }
  }

  // ---- deletes ------------------------------------------------------------------------------

  private void deleteTag(Repo repo) throws InterruptedException {
    List<String> present =
        repo.tags.entrySet().stream()
            .filter(e -> !e.getValue().digests.isEmpty())
            .map(Map.Entry::getKey)
            .toList();
    if (present.isEmpty()) {
      return;
    }
    String tag = present.get(random.nextInt(present.size()));
    TagFact fact = repo.tags.get(tag);
    stats.count("delete.tag");
    delete(
        repo,
        tag,
        "tag " + repo.name + ":" + tag,
        !fact.mayBeAbsent,
        () -> repo.tagDeleted(tag),
        () -> repo.tagDeleteAmbiguous(tag));
  }

  /** Deletes a kept manifest by digest (with its tags), never one an index still lists. */
  private void deleteManifest(Repo repo) throws InterruptedException {
    long now = System.nanoTime();
    List<ManifestFact> candidates =
        repo.manifests.values().stream()
            .filter(m -> m.state == ManifestState.LIVE && !repo.isChildOfAnIndex(m.digest))
            .toList();
    if (candidates.isEmpty()) {
      return;
    }
    ManifestFact m = candidates.get(random.nextInt(candidates.size()));
    stats.count("delete.manifest");
    delete(
        repo,
        m.digest.toString(),
        "manifest " + m.digest + " in " + repo.name,
        ledger.isRequired(repo, m.digest, now),
        () -> repo.manifestDeleted(m.digest),
        () -> repo.manifestDeleteAmbiguous(m.digest));
  }

  /**
   * DELETE of a manifest reference, retried through crashes. A 404 on the first try of something
   * that must exist is a loss; after an interrupted try it means the delete happened.
   */
  private void delete(
      Repo repo,
      String reference,
      String what,
      boolean mustExist,
      Runnable done,
      Runnable ambiguous)
      throws InterruptedException {
    String target = "/v2/" + repo.name + "/manifests/" + reference;
    boolean mayHaveDeleted = false;
    for (int tries = 0; tries < MAX_WRITE_TRIES; tries++) {
      HttpConnection.Response r;
      try {
        r = client.send("DELETE", target, Map.of());
      } catch (SoakClient.ServerGone e) {
        stats.count("interrupted.delete");
        mayHaveDeleted = true;
        continue;
      }
      if (r.status() == 202) {
        done.run();
        return;
      }
      if (r.status() == 404) {
        if (!mayHaveDeleted && mustExist) {
          stats.lost(what, "DELETE answers " + r);
        }
        done.run();
        return;
      }
      if (r.status() >= 500) {
        mayHaveDeleted = true;
        BlobPusher.backOff(Math.min(tries + 1, 4));
        continue;
      }
      stats.anomaly("DELETE " + target + " answered " + r);
      break;
    }
    if (mayHaveDeleted) {
      stats.ambiguous.increment();
      ambiguous.run();
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static long liveManifests(Repo repo) {
    return repo.manifests.values().stream().filter(m -> m.state == ManifestState.LIVE).count();
  }

  private String tagName() {
    return "t" + random.nextInt(TAGS);
  }

  /** Half small (1-64 KiB), a third up to 1 MiB, the rest 1-4 MiB, and a few big ones. */
  private long layerSize() {
    int roll = random.nextInt(100);
    if (roll < sizes.bigPercent()) {
      return sizes.bigBytes() + random.nextInt(1 << 20);
    }
    if (roll < 50) {
      return 1024 + random.nextInt(63 << 10);
    }
    if (roll < 85) {
      return (64 << 10) + random.nextInt(960 << 10);
    }
    return (1 << 20) + random.nextInt(3 << 20);
  }

  private static String descriptor(String mediaType, Digest digest, long size) {
    return "{\"mediaType\":\""
        + mediaType
        + "\",\"digest\":\""
        + digest
        + "\",\"size\":"
        + size
        + "}";
  }
}
