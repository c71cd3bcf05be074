package dev.lading.bench;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.BlobRecordKey;
import dev.lading.core.layout.StorageLayout.DataKey;
import dev.lading.core.layout.StorageLayout.LayerLinkKey;
import dev.lading.core.layout.StorageLayout.ManifestLinkKey;
import dev.lading.core.layout.StorageLayout.TagKey;
import dev.lading.core.layout.StoredValues;
import dev.lading.core.layout.StoredValues.BlobRecord;
import dev.lading.core.layout.StoredValues.ManifestLink;
import dev.lading.core.layout.StoredValues.TagTarget;
import dev.lading.core.model.Digest;
import dev.lading.core.model.MediaTypes;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import dev.lading.core.storage.ObjectStore;
import dev.lading.gc.GarbageCollector;
import dev.lading.gc.GcOptions;
import dev.lading.gc.GcStats;
import dev.lading.gc.RetentionPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Mark and sweep time of online GC over a big store: writes {@code --manifests} image manifests of
 * {@code --layers} layers plus a config each (100,000 blobs and 10,000 manifests by default)
 * straight through the storage SPI in the registry's layout (tiny blobs, no HTTP), deletes {@code
 * --garbage-percent} of the manifests (as a tag move plus an API delete would), then runs GC twice
 * and prints each run's mark and sweep time: the first sweeps the garbage, the second finds none
 * (the steady state of a scheduled collector). With {@code --retention-keep-last N} a retention
 * policy over every repository keeps the newest N tags and expires the rest at once, and a dry run
 * is timed first ({@code --manifests 10000 --repositories 1000 --layers 2}: 10,000 tags in 1,000
 * repositories). Run after {@code ./mvnw -q -pl bench -am -DskipTests package}:
 *
 * <pre>
 * java -cp bench/target/lading-bench.jar dev.lading.bench.GcBench --store fs --root /var/tmp/gcbench
 * eval "$(/work/shared/tools/s3proxy-up.sh 15200 /var/tmp/s3 | grep '^export ')"
 * java -cp bench/target/lading-bench.jar dev.lading.bench.GcBench --store s3 \
 *     --endpoint http://127.0.0.1:15200 --bucket gcbench --access-key ... --secret-key ...
 * </pre>
 */
@Command(
    name = "gc-bench",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Prints online GC's mark and sweep time for a generated store.")
public final class GcBench implements Callable<Integer> {

  @Mixin StoreOptions store;

  @Option(names = "--manifests", defaultValue = "10000")
  int manifests;

  @Option(
      names = "--layers",
      defaultValue = "9",
      description = "Layers per manifest (plus a config).")
  int layers;

  @Option(names = "--repositories", defaultValue = "100")
  int repositories;

  @Option(names = "--garbage-percent", defaultValue = "10")
  int garbagePercent;

  @Option(
      names = "--strays",
      defaultValue = "100",
      description =
          "Data objects no record names (an upload that died before commit): they make"
              + " the sweep read every live record, its worst case.")
  int strays;

  @Option(
      names = "--parallelism",
      defaultValue = "" + GarbageCollector.DEFAULT_PARALLELISM,
      description = "GC's store calls in flight.")
  int parallelism;

  @Option(
      names = "--writers",
      defaultValue = "64",
      description = "Store calls in flight while generating.")
  int writers;

  @Option(
      names = "--retention-keep-last",
      description =
          "Apply a retention policy to every repository: keep the newest N tags, expire untagged"
              + " manifests at once; a dry run is timed before the real runs.")
  Integer retentionKeepLast;

  @Option(
      names = "--reuse",
      description = "Skip generation: collect the store as it is (a prefix for s3).")
  boolean reuse;

  private static final String DRY_RUN = "dry run (retention and GC report, nothing deleted)";

  public static void main(String[] args) {
    System.exit(new CommandLine(new GcBench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    try (CountingStore objects =
        new CountingStore(store.open("gcbench", Math.max(writers, parallelism) + 8))) {
      long t0 = System.nanoTime();
      if (!reuse) {
        long[] counts = generate(objects);
        System.out.printf(
            "generated %,d blobs and %,d manifests in %d repositories (%,d manifests"
                + " deleted, %,d stray data objects) in %.1f s%n",
            counts[0], counts[1], repositories, counts[2], strays, seconds(t0));
      }
      objects.reset();
      GarbageCollector gc = new GarbageCollector(objects, Clock.systemUTC(), parallelism);
      GcOptions options =
          GcOptions.defaults()
              .withGrace(Duration.ZERO)
              .withFenceDelay(Duration.ZERO)
              .withDeleteUntagged(false);
      List<String> labels =
          new ArrayList<>(
              List.of("first run (sweeps the garbage)", "second run (nothing to sweep)"));
      if (retentionKeepLast != null) {
        options =
            options.withRetention(
                List.of(
                    new RetentionPolicy(
                        "keep the last " + retentionKeepLast,
                        r -> true,
                        List.of(),
                        OptionalInt.of(retentionKeepLast),
                        Optional.empty(),
                        Optional.empty(),
                        Optional.of(Duration.ZERO))));
        labels.addFirst(DRY_RUN);
      }
      for (String label : labels) {
        GcOptions chosen = options.withDryRun(label.equals(DRY_RUN));
        GcStats stats = null;
        long start = System.nanoTime();
        while (stats == null) {
          try {
            start = System.nanoTime();
            stats = gc.run(chosen);
          } catch (GarbageCollector.AnotherRunActive e) {
            // A killed earlier bench leaves its run object until its lease lapses.
            System.out.println(e.getMessage() + "; retrying in 10 s");
            Thread.sleep(10_000);
          }
        }
        System.out.printf(
            "%s store, %s: mark %.1f s, sweep %.1f s, total %.1f s%n  %s%n",
            store,
            label,
            stats.markMillis() / 1000.0,
            stats.sweepMillis() / 1000.0,
            seconds(start),
            stats.summary());
        System.out.print(objects.report());
        objects.reset();
      }
    }
    return 0;
  }

  /** Returns {blobs, manifests, deleted manifests}. */
  private long[] generate(ObjectStore objects) throws Exception {
    AtomicLong blobs = new AtomicLong();
    Semaphore inFlight = new Semaphore(writers);
    List<Future<?>> work = new ArrayList<>();
    int perRepository = Math.max(1, manifests / repositories);
    long deleted = 0;
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int m = 0; m < manifests; m++) {
        int image = m;
        boolean garbage = (m % 100) < garbagePercent;
        if (garbage) {
          deleted++;
        }
        RepositoryName repo = RepositoryName.parse("bench/repo-" + (m / perRepository));
        inFlight.acquire();
        work.add(
            threads.submit(
                () -> {
                  try {
                    writeImage(objects, repo, image, garbage);
                    blobs.addAndGet(layers + 1);
                    return null;
                  } finally {
                    inFlight.release();
                  }
                }));
      }
      for (int s = 0; s < strays; s++) {
        inFlight.acquire();
        work.add(
            threads.submit(
                () -> {
                  try {
                    objects.write(
                        StorageLayout.keyOf(DataKey.random()),
                        "stray".getBytes(StandardCharsets.US_ASCII));
                    return null;
                  } finally {
                    inFlight.release();
                  }
                }));
      }
      for (Future<?> f : work) {
        f.get();
      }
    }
    return new long[] {blobs.get(), manifests, deleted};
  }

  /** One image as a push leaves it: blobs with records and layer links, the manifest, a tag. */
  private void writeImage(ObjectStore objects, RepositoryName repo, int image, boolean garbage)
      throws IOException {
    StringBuilder layerJson = new StringBuilder();
    String configDigest = null;
    long configSize = 0;
    for (int b = 0; b <= layers; b++) {
      byte[] content = ("image " + image + " blob " + b).getBytes(StandardCharsets.US_ASCII);
      Digest digest = Digest.sha256(content);
      putBlob(objects, digest, content);
      objects.write(StorageLayout.keyOf(new LayerLinkKey(repo, digest)), StoredValues.empty());
      if (b == 0) {
        configDigest = digest.toString();
        configSize = content.length;
      } else {
        if (layerJson.length() > 0) {
          layerJson.append(',');
        }
        layerJson
            .append("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"")
            .append(digest)
            .append("\",\"size\":")
            .append(content.length)
            .append('}');
      }
    }
    byte[] manifest =
        ("{\"schemaVersion\":2,\"mediaType\":\""
                + MediaTypes.OCI_MANIFEST
                + "\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                + configDigest
                + "\",\"size\":"
                + configSize
                + "},\"layers\":["
                + layerJson
                + "]}")
            .getBytes(StandardCharsets.UTF_8);
    Digest manifestDigest = Digest.sha256(manifest);
    putBlob(objects, manifestDigest, manifest);
    if (garbage) {
      return; // pushed, then its tag moved on and the manifest was deleted through the API
    }
    objects.write(
        StorageLayout.keyOf(new ManifestLinkKey(repo, manifestDigest)),
        new ManifestLink(MediaTypes.OCI_MANIFEST).write());
    objects.write(
        StorageLayout.keyOf(new TagKey(repo, Tag.parse("v" + image))),
        new TagTarget(manifestDigest).write());
  }

  private static void putBlob(ObjectStore objects, Digest digest, byte[] content)
      throws IOException {
    DataKey dataKey = DataKey.random();
    objects.write(StorageLayout.keyOf(dataKey), content);
    objects.write(
        StorageLayout.keyOf(new BlobRecordKey(digest)),
        new BlobRecord(content.length, dataKey).write());
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
