package dev.lading.bench;

import dev.lading.bench.Ledger.BlobFact;
import dev.lading.bench.Ledger.ManifestFact;
import dev.lading.bench.Ledger.ManifestState;
import dev.lading.bench.Ledger.Repo;
import dev.lading.core.model.Digest;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One pushing client of GcSoak, behaving as docker, podman or skopeo do, with its requests going to
 * both instances by turns: for each blob a {@code HEAD} first, then a cross-repository mount or an
 * upload (monolithic, one {@code PUT}, or chunked); then the manifest by a tag that moves on (the
 * image it pointed at becomes garbage) or by digest; now and then a manifest delete or a blob
 * nobody references. All in two repositories of its own, so the ledger has one writer per
 * repository and a blob missing in one of them after a refusal was missed by this thread.
 *
 * <p>A manifest {@code PUT} refused with {@code MANIFEST_BLOB_UNKNOWN} is how a client learns that
 * GC swept a blob between its {@code HEAD} and its {@code PUT}: the named blob is uploaded again
 * and the {@code PUT} retried. Each refusal is judged at once by a {@code GET} of the blob in that
 * repository: 404 means a run really deleted it (or its link here), 200 that the refusal was
 * needless (gc/package-info.java allows that only when a sweep did not settle within the manifest's
 * 30 s wait).
 */
final class GcPusher implements Runnable {

  private static final int REPOSITORIES = 2;
  private static final int TAGS = 3;

  /** Past this many live manifests in a repository, half the operations delete one. */
  private static final int MAX_LIVE = 10;

  private static final int MAX_TRIES = 8;
  private static final int SAMPLES = 10;

  /** A HEAD-confirmed blob's ack time: never young, the ledger cannot know its link's age. */
  private static final long NEVER_YOUNG = Long.MIN_VALUE / 4;

  private static final Pattern DETAIL_DIGEST =
      Pattern.compile("\"detail\"\\s*:\\s*\\{[^}]*\"digest\"\\s*:\\s*\"(sha256:[0-9a-f]{64})\"");

  private final int id;
  private final List<GcInstance> instances;
  private final Ledger ledger;
  private final List<Repo> repos = new ArrayList<>();
  private final List<String> everyPusherRepo;
  private final LayerPool pool;
  private final StableImages stable;
  private final SoakStats stats;
  private final Random random;
  private final List<BlobPusher> blobPushers = new ArrayList<>();
  private final Pace pace;
  private final BooleanSupplier running;
  private long turn;
  private long pushes;

  GcPusher(
      int id,
      List<GcInstance> instances,
      Ledger ledger,
      List<String> everyPusherRepo,
      LayerPool pool,
      StableImages stable,
      SoakStats stats,
      long seed,
      Pace pace,
      BooleanSupplier running) {
    this.id = id;
    this.instances = instances;
    this.ledger = ledger;
    this.everyPusherRepo = everyPusherRepo;
    this.pool = pool;
    this.stable = stable;
    this.stats = stats;
    this.random = new Random(seed);
    this.pace = pace;
    this.running = running;
    for (GcInstance instance : instances) {
      blobPushers.add(new BlobPusher(instance.client(), stats, random, new KillAim()));
    }
    for (int r = 0; r < REPOSITORIES; r++) {
      repos.add(ledger.newRepo(repoName(id, r)));
    }
  }

  /**
   * How fast a pusher goes: a mean pause between operations, and the share of image pushes whose
   * manifest comes {@code lateSeconds} (half to one and a half of it) after the blobs. Those are
   * the clients a sweep catches between HEAD and PUT: with a 6 s fence delay, a push that takes
   * less than that never straddles a run's announcement and its deletes.
   */
  record Pace(long thinkMillis, int latePercent, int lateSeconds) {}

  static String repoName(int pusher, int repo) {
    return "gcsoak/p" + pusher + "-r" + repo;
  }

  static int repositories() {
    return REPOSITORIES;
  }

  @Override
  public void run() {
    try {
      while (running.getAsBoolean()) {
        oneOperation();
        Thread.sleep(pace.thinkMillis() / 2 + random.nextLong(pace.thinkMillis() + 1));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void oneOperation() throws InterruptedException {
    Repo repo = repos.get(random.nextInt(repos.size()));
    int roll = random.nextInt(100);
    if (live(repo).size() > MAX_LIVE && random.nextBoolean()) {
      deleteManifest(repo);
    } else if (roll < 60) {
      pushImage(repo, "t" + random.nextInt(TAGS));
    } else if (roll < 75) {
      pushImage(repo, null);
    } else if (roll < 90) {
      deleteManifest(repo);
    } else {
      // A blob no manifest will reference: garbage from the start.
      BlobFact loose = StableImages.freshBlob(random, LayerPool.layerSize(random));
      stats.count("push.loose-blob");
      ensure(repo, loose);
    }
  }

  /** The next instance: requests go to both by turns, as behind a load balancer. */
  private int nextInstance() {
    return (int) (turn++ % instances.size());
  }

  // ---- images -------------------------------------------------------------------------------

  /** 1-3 shared layers, half the time a fresh one, a fresh config, then the manifest. */
  private void pushImage(Repo repo, String tag) throws InterruptedException {
    List<BlobFact> layers = new ArrayList<>();
    int shared = 1 + random.nextInt(3);
    for (int i = 0; i < shared; i++) {
      BlobFact layer = pool.get(random.nextInt(pool.size()));
      if (!layers.contains(layer)) {
        layers.add(layer);
      }
    }
    if (random.nextBoolean()) {
      layers.add(StableImages.freshBlob(random, LayerPool.layerSize(random)));
    }
    BlobFact config = StableImages.freshBlob(random, 200 + random.nextInt(1800));
    Map<Digest, BlobFact> parts = new LinkedHashMap<>();
    for (BlobFact b : layers) {
      parts.put(b.digest(), b);
    }
    parts.put(config.digest(), config);
    for (BlobFact b : parts.values()) {
      if (!ensure(repo, b)) {
        return;
      }
    }
    if (random.nextInt(100) < pace.latePercent()) {
      // A client still busy with another layer, or one that pushed its layers in an earlier job.
      stats.count("push.manifest.late");
      Thread.sleep((long) (pace.lateSeconds() * (0.5 + random.nextDouble()) * 1000));
    }
    putManifest(repo, OciImages.image(config, layers, "p" + id + "-" + ++pushes), tag, parts);
  }

  /**
   * Makes the blob present in {@code repo} as a client would: HEAD, and when absent a mount (shared
   * layers, half the time) or an upload. False when the server would not take it.
   */
  private boolean ensure(Repo repo, BlobFact b) throws InterruptedException {
    GcInstance on = instances.get(nextInstance());
    HttpConnection.Response head;
    try {
      head = on.client().send("HEAD", RegistryClient.blobPath(repo.name, b.digest()), Map.of());
    } catch (SoakClient.ServerGone e) {
      stats.anomaly(
          "HEAD of "
              + b.digest()
              + " in "
              + repo.name
              + " on "
              + on.name()
              + " failed: "
              + e.getMessage());
      return false;
    }
    if (head.status() == 200) {
      stats.count("blob.head.present");
      // Present now; GC may still sweep it before the manifest comes (the stale-HEAD case).
      repo.blobs.putIfAbsent(b.digest(), new BlobFact(b.digest(), b.seed(), b.size(), NEVER_YOUNG));
      return true;
    }
    if (head.status() != 404) {
      stats.anomaly(
          "HEAD of " + b.digest() + " in " + repo.name + " on " + on.name() + " answered " + head);
    }
    stats.count("blob.head.absent");
    if (pool.contains(b.digest()) && random.nextBoolean() && mount(repo, b)) {
      return true;
    }
    return upload(repo, b);
  }

  private boolean upload(Repo repo, BlobFact b) throws InterruptedException {
    BlobPusher.Mode mode =
        BlobPusher.Mode.values()[random.nextInt(BlobPusher.Mode.values().length)];
    if (!blobPushers.get(nextInstance()).push(repo.name, b.content(), b.digest(), mode)) {
      return false;
    }
    repo.blobAcknowledged(LayerPool.acknowledgedNow(b));
    return true;
  }

  /**
   * A cross-repository mount, from a stable repository that keeps the layer (should succeed) or
   * from another pusher's repository (may or may not hold it). A refused mount answers 202 with a
   * fresh session, into which the blob is uploaded with one PUT, as clients do.
   */
  private boolean mount(Repo repo, BlobFact b) throws InterruptedException {
    String keeper = stable.keeperOf(b.digest());
    String from =
        keeper != null && random.nextBoolean()
            ? keeper
            : everyPusherRepo.get(random.nextInt(everyPusherRepo.size()));
    if (from.equals(repo.name)) {
      return false;
    }
    GcInstance on = instances.get(nextInstance());
    String target = "/v2/" + repo.name + "/blobs/uploads/?mount=" + b.digest() + "&from=" + from;
    try {
      HttpConnection.Response r = on.client().send("POST", target, Map.of());
      if (r.status() == 201) {
        stats.count(from.equals(keeper) ? "blob.mounted.from-stable" : "blob.mounted.from-pusher");
        repo.blobAcknowledged(LayerPool.acknowledgedNow(b));
        return true;
      }
      if (r.status() != 202) {
        stats.anomaly("mount " + target + " on " + on.name() + " answered " + r);
        return false;
      }
      stats.count(
          from.equals(keeper)
              ? "blob.mount-refused.from-stable"
              : "blob.mount-refused.from-pusher");
      String location =
          RegistryClient.withDigest(RegistryClient.pathOf(r.header("Location")), b.digest());
      HttpConnection.Response put =
          on.client()
              .send(
                  "PUT",
                  location,
                  Map.of("Content-Type", "application/octet-stream"),
                  b.size(),
                  out -> b.content().writeTo(out, 0, b.size()));
      if (put.status() != 201) {
        stats.anomaly(
            "PUT into the session of a refused mount on " + on.name() + " answered " + put);
        return false;
      }
      stats.count("push.blob.into-mount-session");
      repo.blobAcknowledged(LayerPool.acknowledgedNow(b));
      return true;
    } catch (SoakClient.ServerGone e) {
      stats.anomaly("mount " + target + " on " + on.name() + " failed: " + e.getMessage());
      return false;
    } catch (IOException e) {
      stats.anomaly(
          "mount " + target + " on " + on.name() + " answered 202 without a usable Location");
      return false;
    }
  }

  /**
   * PUT of the manifest; a MANIFEST_BLOB_UNKNOWN is judged ({@link #judgeRefusal}), the named blob
   * uploaded again and the PUT retried. A PUT the server may have written without saying so (5xx,
   * cut off) leaves the ledger ambiguous.
   */
  private void putManifest(Repo repo, ManifestFact m, String tag, Map<Digest, BlobFact> parts)
      throws InterruptedException {
    String target = "/v2/" + repo.name + "/manifests/" + (tag != null ? tag : m.digest.toString());
    boolean mayHaveWritten = false;
    for (int tries = 0; tries < MAX_TRIES; tries++) {
      GcInstance on = instances.get(nextInstance());
      long sent = System.nanoTime();
      HttpConnection.Response r;
      try {
        r =
            on.client()
                .send(
                    "PUT",
                    target,
                    Map.of("Content-Type", m.mediaType),
                    m.body.length,
                    out -> out.write(m.body));
      } catch (SoakClient.ServerGone e) {
        stats.anomaly("manifest PUT " + target + " on " + on.name() + " failed: " + e.getMessage());
        mayHaveWritten = true;
        continue;
      }
      if (r.status() == 201) {
        stats.count(tag != null ? "push.manifest.by-tag" : "push.manifest.by-digest");
        repo.manifestAcknowledged(m, tag);
        return;
      }
      if (r.status() == 400 && r.bodyText().contains("MANIFEST_BLOB_UNKNOWN")) {
        Matcher named = DETAIL_DIGEST.matcher(r.bodyText());
        BlobFact missing = named.find() ? parts.get(Digest.parse(named.group(1))) : null;
        if (missing == null) {
          stats.anomaly(
              "MANIFEST_BLOB_UNKNOWN for " + target + " names no blob of the manifest: " + r);
          break;
        }
        judgeRefusal(repo, on, missing, (System.nanoTime() - sent) / 1e9, r);
        if (!upload(repo, missing)) {
          break;
        }
        stats.count("push.blob.again-after-refusal");
        continue;
      }
      if (r.status() >= 500) {
        mayHaveWritten = true;
        BlobPusher.backOff(Math.min(tries + 1, 4));
        continue;
      }
      stats.anomaly("manifest PUT " + target + " on " + on.name() + " answered " + r);
      break;
    }
    stats.count("push.manifest.given-up");
    if (mayHaveWritten) {
      stats.ambiguous.increment();
      repo.manifestAmbiguous(m, tag);
    }
  }

  /** Right after a refusal: was the blob really swept here (404), or is it still there (200)? */
  private void judgeRefusal(
      Repo repo, GcInstance on, BlobFact missing, double seconds, HttpConnection.Response refusal) {
    stats.count("manifest.refused");
    HttpConnection.Response r;
    try {
      r =
          on.client()
              .get(
                  RegistryClient.blobPath(repo.name, missing.digest()),
                  Map.of(),
                  OutputStream.nullOutputStream());
    } catch (SoakClient.ServerGone e) {
      stats.count("manifest.refused.unjudged");
      stats.anomaly("GET after a refusal on " + on.name() + " failed: " + e.getMessage());
      return;
    }
    if (r.status() == 404) {
      stats.count("manifest.refused.blob-swept");
    } else if (r.status() == 200) {
      long n = stats.operations("manifest.refused.blob-still-there");
      stats.count("manifest.refused.blob-still-there");
      if (n < SAMPLES) {
        stats.log(
            String.format(
                Locale.ROOT,
                "NEEDLESS REFUSAL on %s after %.1f s: %s in %s is there "
                    + "(GET 200, %d bytes) but the manifest PUT answered %s",
                on.name(),
                seconds,
                missing.digest(),
                repo.name,
                r.bodyLength(),
                refusal));
      }
    } else {
      stats.count("manifest.refused.unjudged");
      stats.anomaly(
          "GET of refused "
              + missing.digest()
              + " in "
              + repo.name
              + " on "
              + on.name()
              + " answered "
              + r);
    }
  }

  // ---- deletes ------------------------------------------------------------------------------

  /** DELETE of a live manifest by digest (its tags go with it). */
  private void deleteManifest(Repo repo) throws InterruptedException {
    List<ManifestFact> candidates = live(repo);
    if (candidates.isEmpty()) {
      return;
    }
    ManifestFact m = candidates.get(random.nextInt(candidates.size()));
    String target = "/v2/" + repo.name + "/manifests/" + m.digest;
    for (int tries = 0; tries < MAX_TRIES; tries++) {
      GcInstance on = instances.get(nextInstance());
      HttpConnection.Response r;
      try {
        r = on.client().send("DELETE", target, Map.of());
      } catch (SoakClient.ServerGone e) {
        stats.anomaly("DELETE " + target + " on " + on.name() + " failed: " + e.getMessage());
        stats.ambiguous.increment();
        repo.manifestDeleteAmbiguous(m.digest);
        return;
      }
      if (r.status() == 202) {
        stats.count("delete.manifest");
        repo.manifestDeleted(m.digest);
        return;
      }
      if (r.status() == 404) {
        // With delete_untagged GC sweeps an untagged manifest; one it must keep is a loss.
        if (ledger.isRequired(repo, m.digest, System.nanoTime())) {
          stats.lost(
              "manifest " + m.digest + " in " + repo.name,
              "DELETE on " + on.name() + " answered " + r);
        }
        stats.count("delete.manifest.already-gone");
        repo.manifestDeleted(m.digest);
        return;
      }
      if (r.status() < 500) {
        stats.anomaly("DELETE " + target + " on " + on.name() + " answered " + r);
        return;
      }
      BlobPusher.backOff(Math.min(tries + 1, 4));
    }
    stats.ambiguous.increment();
    repo.manifestDeleteAmbiguous(m.digest);
  }

  private static List<ManifestFact> live(Repo repo) {
    return repo.manifests.values().stream().filter(m -> m.state == ManifestState.LIVE).toList();
  }
}
