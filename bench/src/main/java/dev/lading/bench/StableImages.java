package dev.lading.bench;

import dev.lading.bench.Ledger.BlobFact;
import dev.lading.bench.Ledger.ManifestFact;
import dev.lading.bench.Ledger.Repo;
import dev.lading.core.model.Digest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The images GcSoak's pullers read while GC sweeps: tags in repositories of their own that never
 * move, made of layers from the shared pool. Pushers push, mount and abandon the same layers in
 * other repositories, so a run constantly sweeps links to blobs these images keep; a pull of one of
 * them must never fail (gc/package-info.java: a tag that does not move is never pulled through a
 * link a run deletes). Pushed once before the load and GC start, written by no one after, so every
 * thread may read them without locks.
 *
 * <p>They carry the first two thirds of the pool, each layer at least once: those blobs stay alive
 * for good, and only their links in pushers' repositories come and go. The last third lives only in
 * pushers' images, so its blobs (records and data) are swept and pushed again.
 */
final class StableImages {

  static final List<String> TAGS = List.of("v1", "v2");

  /** One image a puller may ask for. */
  record Image(Repo repo, String tag) {}

  private final List<Image> images = new ArrayList<>();
  private final Map<Digest, String> keptIn = new HashMap<>();

  private StableImages() {}

  /** Pushes {@code repositories} x {@link #TAGS} images through both instances, by turns. */
  static StableImages push(
      int repositories,
      LayerPool pool,
      Ledger ledger,
      List<GcInstance> instances,
      SoakStats stats,
      long seed)
      throws IOException, InterruptedException {
    StableImages stable = new StableImages();
    Random random = new Random(seed);
    int kept = Math.max(1, pool.size() * 2 / 3);
    int nextLayer = 0;
    int turn = 0;
    for (int r = 0; r < repositories; r++) {
      Repo repo = ledger.newRepo("gcsoak/stable-" + r);
      for (String tag : TAGS) {
        List<BlobFact> layers = new ArrayList<>();
        int count = 2 + random.nextInt(3);
        for (int i = 0; i < count; i++) {
          // Round-robin first, so every kept layer is in some stable image; then at random.
          int index = nextLayer < kept ? nextLayer++ : random.nextInt(kept);
          BlobFact layer = pool.get(index);
          if (!layers.contains(layer)) {
            layers.add(layer);
          }
        }
        BlobFact config = freshBlob(random, 300 + random.nextInt(1500));
        List<BlobFact> blobs = new ArrayList<>(layers);
        blobs.add(config);
        for (BlobFact b : blobs) {
          GcInstance on = instances.get(turn++ % instances.size());
          BlobPusher pusher = new BlobPusher(on.client(), stats, random, new KillAim());
          if (!repo.blobs.containsKey(b.digest())
              && !pusher.push(repo.name, b.content(), b.digest(), BlobPusher.Mode.MONOLITHIC)) {
            throw new IOException(
                "set-up: could not push " + b.digest() + " to " + repo.name + " on " + on.name());
          }
          repo.blobAcknowledged(LayerPool.acknowledgedNow(b));
          stable.keptIn.putIfAbsent(b.digest(), repo.name);
        }
        ManifestFact m = OciImages.image(config, layers, repo.name + ":" + tag);
        GcInstance on = instances.get(turn++ % instances.size());
        HttpConnection.Response r2 =
            on.client()
                .send(
                    "PUT",
                    "/v2/" + repo.name + "/manifests/" + tag,
                    Map.of("Content-Type", m.mediaType),
                    m.body.length,
                    out -> out.write(m.body));
        if (r2.status() != 201) {
          throw new IOException(
              "set-up: manifest PUT "
                  + repo.name
                  + ":"
                  + tag
                  + " on "
                  + on.name()
                  + " answered "
                  + r2);
        }
        repo.manifestAcknowledged(m, tag);
        stable.images.add(new Image(repo, tag));
      }
    }
    return stable;
  }

  List<Image> images() {
    return images;
  }

  /**
   * A stable repository that links {@code digest} for good, or null: a source that can always mount
   * it.
   */
  String keeperOf(Digest digest) {
    return keptIn.get(digest);
  }

  static BlobFact freshBlob(Random random, long size) {
    long seed = random.nextLong();
    return new BlobFact(new GeneratedBlob(seed, size).digest(), seed, size, 0);
  }
}
