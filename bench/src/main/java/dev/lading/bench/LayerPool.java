package dev.lading.bench;

import dev.lading.bench.Ledger.BlobFact;
import dev.lading.core.model.Digest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The layers GcSoak's images share: base layers that many images of many repositories carry, as
 * real images share a distribution's base. Each is a seed and a size (its bytes are regenerated on
 * demand), so any repository can push or mount it and any pull can check it.
 */
final class LayerPool {

  private final List<BlobFact> layers = new ArrayList<>();

  LayerPool(long seed, int count) {
    Random random = new Random(seed);
    for (int i = 0; i < count; i++) {
      long blobSeed = random.nextLong();
      long size = layerSize(random);
      Digest digest = new GeneratedBlob(blobSeed, size).digest();
      layers.add(new BlobFact(digest, blobSeed, size, 0));
    }
  }

  int size() {
    return layers.size();
  }

  boolean contains(Digest digest) {
    return layers.stream().anyMatch(b -> b.digest().equals(digest));
  }

  /** The layer's content; its ack time means nothing until a repository acknowledges it. */
  BlobFact get(int i) {
    return layers.get(i);
  }

  /**
   * Mostly small (1-64 KiB), a quarter up to 1 MiB, a few 1-4 MiB: the soak is about GC and its
   * races, not throughput, and many small blobs make many candidates per run.
   */
  static long layerSize(Random random) {
    int roll = random.nextInt(100);
    if (roll < 70) {
      return 1024 + random.nextInt(63 << 10);
    }
    if (roll < 95) {
      return (64 << 10) + random.nextInt(960 << 10);
    }
    return (1 << 20) + random.nextInt(3 << 20);
  }

  /** A blob acknowledged now in some repository (the age GC's grace period counts from). */
  static BlobFact acknowledgedNow(BlobFact b) {
    return new BlobFact(b.digest(), b.seed(), b.size(), System.nanoTime());
  }
}
