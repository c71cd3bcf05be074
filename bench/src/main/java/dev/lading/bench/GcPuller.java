package dev.lading.bench;

import dev.lading.bench.Ledger.BlobFact;
import dev.lading.bench.Ledger.ManifestFact;
import dev.lading.core.model.Digest;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;

/**
 * Pulls the stable images (tags that never move, layers shared with the pushers' garbage) from both
 * instances by turns while GC sweeps: the tag, then every blob, whole (hashed as it streams) or a
 * random range (compared byte for byte). Anything but 200/206 with the right bytes fails the pull;
 * the target is none (gc/package-info.java: reads never fail during a sweep).
 */
final class GcPuller implements Runnable {

  private static final int SAMPLES = 10;

  private final int id;
  private final List<GcInstance> instances;
  private final StableImages stable;
  private final SoakStats stats;
  private final Random random;
  private final long thinkMillis;
  private final BooleanSupplier running;
  private final LongAdder pulls;
  private final LongAdder failed;
  private long turn;

  GcPuller(
      int id,
      List<GcInstance> instances,
      StableImages stable,
      SoakStats stats,
      long seed,
      long thinkMillis,
      BooleanSupplier running,
      LongAdder pulls,
      LongAdder failed) {
    this.id = id;
    this.instances = instances;
    this.stable = stable;
    this.stats = stats;
    this.random = new Random(seed);
    this.thinkMillis = thinkMillis;
    this.running = running;
    this.pulls = pulls;
    this.failed = failed;
  }

  @Override
  public void run() {
    try {
      while (running.getAsBoolean()) {
        List<StableImages.Image> images = stable.images();
        StableImages.Image image = images.get(random.nextInt(images.size()));
        GcInstance on = instances.get((int) (turn++ % instances.size()));
        String failure = pull(on, image);
        pulls.increment();
        if (failure != null) {
          failed.increment();
          if (failed.sum() <= SAMPLES) {
            stats.log(
                "FAILED PULL (puller "
                    + id
                    + ") of "
                    + image.repo().name
                    + ":"
                    + image.tag()
                    + " from "
                    + on.name()
                    + ": "
                    + failure);
          }
        }
        Thread.sleep(thinkMillis / 2 + random.nextLong(thinkMillis + 1));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Null when the image pulled whole and right; else what failed (details are in the stats). */
  private String pull(GcInstance on, StableImages.Image image) {
    try {
      ContentChecks.TagAnswer tag = on.checks().tag(image.repo(), image.tag());
      if (tag.result() != ContentChecks.Result.OK || tag.digest() == null) {
        return "the tag's manifest: " + tag.result();
      }
      ManifestFact m = image.repo().manifests.get(tag.digest());
      for (Digest d : m.blobs) {
        BlobFact b = image.repo().blobs.get(d);
        boolean ranged = random.nextInt(10) < 3;
        ContentChecks.Result result =
            ranged
                ? on.checks().blobRange(image.repo(), b, random)
                : on.checks().blob(image.repo(), b);
        stats.count(ranged ? "pull.blob.range" : "pull.blob");
        if (result != ContentChecks.Result.OK) {
          return (ranged ? "ranged GET of " : "GET of ") + d + ": " + result;
        }
      }
      return null;
    } catch (SoakClient.ServerGone e) {
      return e.getMessage();
    }
  }
}
