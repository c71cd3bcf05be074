package dev.lading.gc;

import static dev.lading.gc.GcContract.assertPullsCompletely;
import static dev.lading.gc.GcContract.bytes;
import static dev.lading.gc.GcContract.manifest;
import static dev.lading.gc.GcContract.newRegistry;
import static dev.lading.gc.GcContract.now;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.layout.StorageLayout;
import dev.lading.core.model.Digest;
import dev.lading.core.model.MediaTypes;
import dev.lading.core.model.Reference;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.registry.PullLog;
import dev.lading.core.registry.StoreRegistry;
import dev.lading.core.storage.ObjectInfo;
import dev.lading.core.storage.ObjectStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Retention policies over a real store, as part of GC runs; every store runs it (a subclass each).
 * Push times come from the store's clock, so tags are named so that their push order is also their
 * name order ({@code ci-01} ... {@code ci-12}): a store whose times are whole seconds ties them.
 */
public abstract class RetentionContract {
  private static final RepositoryName APP = RepositoryName.parse("team/app");
  private static final RepositoryName CI = RepositoryName.parse("team/ci");
  private static final RepositoryName ELSEWHERE = RepositoryName.parse("ops/tools");

  protected abstract ObjectStore newStore() throws Exception;

  /** A second client of the same store (another instance). */
  protected abstract ObjectStore openSameStore(ObjectStore store) throws Exception;

  private ObjectStore store;
  private StoreRegistry registry;
  private GarbageCollector gc;
  private ExecutorService threads;

  @BeforeEach
  void open() throws Exception {
    store = newStore();
    registry = newRegistry(store);
    gc = new GarbageCollector(store, Clock.systemUTC());
    threads = Executors.newCachedThreadPool();
  }

  @AfterEach
  void close() throws Exception {
    threads.shutdownNow();
    store.close();
  }

  private static RetentionPolicy policy(
      String name, String repoPrefix, List<String> tags, Integer keepLast, Duration untaggedFor) {
    return new RetentionPolicy(
        name,
        r -> r.value().startsWith(repoPrefix),
        tags,
        keepLast == null ? OptionalInt.empty() : OptionalInt.of(keepLast),
        Optional.empty(),
        Optional.empty(),
        Optional.ofNullable(untaggedFor));
  }

  private static Digest push(StoreRegistry r, RepositoryName repo, String tag, List<byte[]> blobs) {
    for (byte[] b : blobs) {
      Digest d = Digest.sha256(b);
      r.putBlob(repo, d, new ByteArrayInputStream(b), OptionalLong.of(b.length));
    }
    return r.putManifest(repo, Reference.parse(tag), MediaTypes.OCI_MANIFEST, manifest(blobs, ""))
        .digest();
  }

  private static byte[] layer(String name, int size) {
    byte[] out = new byte[size];
    byte[] seed = bytes(name);
    for (int i = 0; i < size; i++) {
      out[i] = (byte) (seed[i % seed.length] + i / seed.length);
    }
    return out;
  }

  private boolean exists(Digest blob) throws IOException {
    return store.stat(StorageLayout.keyOf(new StorageLayout.BlobRecordKey(blob))).isPresent();
  }

  private List<String> tags(RepositoryName repo) {
    return registry.listTags(repo, 1000, Optional.empty()).items();
  }

  private void storeClockMovesOn() throws IOException {
    String probe =
        StorageLayout.keyOf(new StorageLayout.DataKey("00000000-0000-0000-0000-000000000001"));
    store.write(probe, new byte[0]);
    Instant first = store.stat(probe).map(ObjectInfo::lastModified).orElseThrow();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      store.write(probe, new byte[0]);
      if (store.stat(probe).map(ObjectInfo::lastModified).orElseThrow().isAfter(first)) {
        store.delete(List.of(probe));
        return;
      }
    }
    throw new AssertionError("the store's clock did not move");
  }

  /** The items of a run in an order that does not depend on the run's threads. */
  private static List<String> sorted(GcStats stats) {
    return stats.items().stream()
        .map(i -> i.kind() + " " + i.what() + " " + i.bytes())
        .sorted()
        .toList();
  }

  private static Comparator<RetentionAction> byWhat() {
    return Comparator.comparing((RetentionAction a) -> a.kind())
        .thenComparing(a -> a.repository().value())
        .thenComparing(a -> a.tag().orElse(""))
        .thenComparing(a -> a.digest().toString());
  }

  @Test
  void perCommitTagsKeepTheLastFiveAndTheDryRunSaysExactlyWhatTheRunDoes() throws Exception {
    byte[] base = layer("base image", 64 * 1024);
    List<Digest> images = new ArrayList<>();
    List<byte[]> own = new ArrayList<>();
    for (int i = 1; i <= 12; i++) {
      byte[] layer = layer("commit " + i, 16 * 1024 + i);
      own.add(layer);
      images.add(
          push(
              registry,
              APP,
              String.format("ci-%02d", i),
              List.of(bytes("{\"commit\":" + i + "}"), base, layer)));
      storeClockMovesOn(); // distinct push times even on a store with whole seconds
    }
    Digest release = push(registry, APP, "v1.0", List.of(bytes("{\"release\":1}"), base));
    push(registry, ELSEWHERE, "ci-01", List.of(bytes("{\"ops\":1}"), own.get(0)));
    storeClockMovesOn();
    GcOptions options =
        now().withRetention(List.of(policy("ci", "team/", List.of("ci-*"), 5, Duration.ZERO)));
    List<String> keysBefore = store.list("", Optional.empty(), 10_000).keys();

    GcStats dry = gc.run(options.withDryRun(true));

    assertThat(store.list("", Optional.empty(), 10_000).keys()).isEqualTo(keysBefore);
    GcStats real = gc.run(options);

    assertThat(real.retention()).usingElementComparator(byWhat()).isNotEmpty();
    assertThat(dry.retention()).isEqualTo(real.retention());
    assertThat(sorted(dry)).isEqualTo(sorted(real));
    assertThat(real.tagsUntagged()).isEqualTo(7);
    assertThat(real.manifestsExpired()).isEqualTo(7);
    assertThat(tags(APP)).containsExactly("ci-08", "ci-09", "ci-10", "ci-11", "ci-12", "v1.0");
    assertThat(tags(ELSEWHERE)).containsExactly("ci-01");
    for (int i = 0; i < 12; i++) {
      boolean kept = i >= 7;
      assertThat(exists(images.get(i))).as("manifest of ci-%02d", i + 1).isEqualTo(kept);
      // commit 1's layer is also ops/tools', which no policy governs
      assertThat(exists(Digest.sha256(own.get(i))))
          .as("layer of ci-%02d", i + 1)
          .isEqualTo(kept || i == 0);
    }
    assertThat(exists(Digest.sha256(base))).isTrue();
    assertThat(exists(release)).isTrue();
    for (String tag : tags(APP)) {
      assertPullsCompletely(registry, APP, tag);
    }
    assertPullsCompletely(registry, ELSEWHERE, "ci-01");
    long freed = real.retention().stream().mapToLong(RetentionAction::bytes).sum();
    assertThat(freed).isEqualTo(real.bytesFreed());
    assertThat(real.retention())
        .filteredOn(a -> a.kind() == RetentionAction.Kind.UNTAG)
        .allMatch(a -> a.reason().contains("beyond keep_last 5"));

    GcStats again = gc.run(options);
    assertThat(again.retention()).isEmpty();
    assertThat(again.items()).isEmpty();
  }

  @Test
  void aWeeklyRebuildFreesExactlyTheOldLayersWhilePushesGoOnOnASecondInstance() throws Exception {
    byte[] base = layer("os base", 96 * 1024); // every build
    List<List<byte[]>> builds = new ArrayList<>();
    List<Digest> manifests = new ArrayList<>();
    for (int week = 0; week < 4; week++) {
      byte[] deps = layer("dependencies of " + (week / 2), 48 * 1024); // weeks 0-1, 2-3
      byte[] app = layer("app build " + week, 32 * 1024 + week);
      List<byte[]> blobs = List.of(bytes("{\"week\":" + week + "}"), base, deps, app);
      builds.add(blobs);
      manifests.add(push(registry, APP, "latest", blobs));
      registry.putManifest(
          APP, Reference.parse("1.0"), MediaTypes.OCI_MANIFEST, manifest(blobs, ""));
      storeClockMovesOn();
    }
    GcOptions options =
        now().withRetention(List.of(policy("weekly", "team/", List.of(), null, Duration.ZERO)));

    // A second instance keeps pushing CI images (tagged, so kept) while the run goes on.
    ObjectStore secondStore = openSameStore(store);
    StoreRegistry second = newRegistry(secondStore);
    AtomicBoolean done = new AtomicBoolean();
    AtomicInteger pushed = new AtomicInteger();
    Future<?> pusher =
        threads.submit(
            () -> {
              for (int i = 0; !done.get() || i < 3; i++) {
                List<byte[]> blobs =
                    List.of(bytes("{\"ci\":" + i + "}"), base, layer("ci layer " + i, 8 * 1024));
                for (int attempt = 0; ; attempt++) {
                  try {
                    push(second, CI, "build-" + i, blobs);
                    break;
                  } catch (RegistryException e) {
                    if (e.code() != ErrorCode.MANIFEST_BLOB_UNKNOWN || attempt > 20) {
                      throw e;
                    }
                  }
                }
                pushed.incrementAndGet();
              }
              return null;
            });
    GcStats real;
    try {
      real = gc.run(options.withFenceDelay(Duration.ofMillis(250)));
    } finally {
      done.set(true);
      pusher.get(2, TimeUnit.MINUTES);
    }
    secondStore.close();

    Set<Digest> current = new HashSet<>();
    for (byte[] b : builds.get(3)) {
      current.add(Digest.sha256(b));
    }
    current.add(manifests.get(3));
    Set<Digest> old = new HashSet<>(manifests.subList(0, 3));
    for (List<byte[]> build : builds.subList(0, 3)) {
      for (byte[] b : build) {
        old.add(Digest.sha256(b));
      }
    }
    old.removeAll(current);
    assertThat(old).hasSize(3 + 3 + 3 + 1); // 3 manifests, 3 configs, 3 app layers, deps of 0-1
    for (Digest d : old) {
      assertThat(exists(d)).as("old %s", d).isFalse();
    }
    for (Digest d : current) {
      assertThat(exists(d)).as("current %s", d).isTrue();
    }
    assertThat(real.blobsSwept()).isEqualTo(old.size());
    assertThat(real.manifestsExpired()).isEqualTo(3);
    assertThat(tags(APP)).containsExactly("1.0", "latest");
    assertPullsCompletely(registry, APP, "latest");
    assertPullsCompletely(registry, APP, "1.0");
    assertThat(pushed.get()).isGreaterThanOrEqualTo(3);
    for (int i = 0; i < pushed.get(); i++) {
      assertPullsCompletely(registry, CI, "build-" + i);
    }
  }

  @Test
  void aTagPushedAgainWhileTheRunDecidesIsKept() throws Exception {
    List<Digest> images = new ArrayList<>();
    for (int i = 1; i <= 7; i++) {
      images.add(
          push(
              registry,
              APP,
              String.format("ci-%02d", i),
              List.of(bytes("{\"commit\":" + i + "}"), layer("commit " + i, 4096))));
      storeClockMovesOn();
    }
    List<byte[]> newer = List.of(bytes("{\"commit\":\"2 again\"}"), layer("commit 2 again", 4096));
    gc.setHooks(
        new GarbageCollector.SweepHooks() {
          @Override
          public void beforeUntag(RepositoryName repository, List<String> tags) {
            assertThat(tags).containsExactly("ci-01", "ci-02");
            // ci-01 pushed again with the same image, ci-02 moved to a new one.
            registry.putManifest(
                APP,
                Reference.parse("ci-01"),
                MediaTypes.OCI_MANIFEST,
                manifest(List.of(bytes("{\"commit\":1}"), layer("commit 1", 4096)), ""));
            push(registry, APP, "ci-02", newer);
          }
        });

    GcStats stats =
        gc.run(
            now().withRetention(List.of(policy("ci", "team/", List.of("ci-*"), 5, Duration.ZERO))));

    assertThat(stats.retention()).isEmpty();
    assertThat(tags(APP)).hasSize(7);
    assertPullsCompletely(registry, APP, "ci-01");
    assertPullsCompletely(registry, APP, "ci-02");
    assertThat(registry.getManifest(APP, Reference.parse("ci-01")).digest())
        .isEqualTo(images.get(0));

    gc.setHooks(GarbageCollector.SweepHooks.NONE);
    storeClockMovesOn();
    GcStats next =
        gc.run(
            now().withRetention(List.of(policy("ci", "team/", List.of("ci-*"), 5, Duration.ZERO))));
    // ci-01 and ci-02 are the newest now; ci-03 and ci-04 go, and the old ci-02 image with them.
    assertThat(tags(APP)).containsExactly("ci-01", "ci-02", "ci-05", "ci-06", "ci-07");
    assertThat(next.manifestsExpired()).isEqualTo(3);
    assertThat(exists(images.get(1))).isFalse();
  }

  @Test
  void aTagPushedBetweenRetentionsReReadAndItsDeleteIsPutBack() throws Exception {
    List<Digest> images = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      images.add(
          push(
              registry,
              APP,
              String.format("ci-%02d", i),
              List.of(bytes("{\"commit\":" + i + "}"), layer("commit " + i, 4096))));
      storeClockMovesOn();
    }
    // A second instance pushes ci-01 again, to a new image, in the worst moment: after retention
    // re-read the tag and found it unchanged, before it deletes it.
    ObjectStore secondStore = openSameStore(store);
    StoreRegistry second = newRegistry(secondStore);
    List<byte[]> again = List.of(bytes("{\"commit\":\"1 again\"}"), layer("commit 1 again", 4096));
    AtomicReference<Digest> pushedAgain = new AtomicReference<>();
    gc.setHooks(
        new GarbageCollector.SweepHooks() {
          @Override
          public void afterTagRecheck(RepositoryName repository, String tag) {
            if (tag.equals("ci-01")) {
              pushedAgain.set(push(second, APP, "ci-01", again));
            }
          }
        });

    GcStats stats =
        gc.run(
            now().withRetention(List.of(policy("ci", "team/", List.of("ci-*"), 1, Duration.ZERO))));
    secondStore.close();

    assertThat(registry.getManifest(APP, Reference.parse("ci-01")).digest())
        .isEqualTo(pushedAgain.get());
    assertPullsCompletely(registry, APP, "ci-01");
    assertThat(tags(APP)).containsExactly("ci-01", "ci-03");
    assertThat(stats.retention())
        .extracting(a -> a.tag().orElse(a.digest().toString()))
        .containsExactly("ci-02");
    assertThat(exists(images.get(1))).as("ci-02's image, untagged").isTrue(); // the next run's

    gc.setHooks(GarbageCollector.SweepHooks.NONE);
    storeClockMovesOn();
    GcStats next =
        gc.run(
            now().withRetention(List.of(policy("ci", "team/", List.of("ci-*"), 1, Duration.ZERO))));
    assertThat(tags(APP)).containsExactly("ci-01");
    assertThat(exists(images.get(0))).isFalse();
    assertThat(exists(images.get(1))).isFalse();
    assertThat(exists(images.get(2))).isFalse();
    assertThat(next.manifestsExpired()).isEqualTo(3);
    assertThat(store.list(StorageLayout.gcTagMarksPrefix(), Optional.empty(), 100).keys())
        .as("the first run's tag marks, removed by the next")
        .isEmpty();
  }

  @Test
  void tagsPulledWithinTheWindowOnAnyInstanceAreKept() throws Exception {
    List<Digest> images = new ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      images.add(
          push(
              registry,
              APP,
              String.format("rc-%02d", i),
              List.of(bytes("{\"rc\":" + i + "}"), layer("rc " + i, 4096))));
      storeClockMovesOn();
    }
    // rc-01 pulled by tag on this instance, rc-02 by digest on another (as docker pulls).
    PullLog here = new PullLog(store, Clock.systemUTC());
    registry.recordPulls(here);
    registry.getManifest(APP, Reference.parse("rc-01"));
    ObjectStore secondStore = openSameStore(store);
    StoreRegistry second = newRegistry(secondStore);
    PullLog there = new PullLog(secondStore, Clock.systemUTC());
    second.recordPulls(there);
    second.getManifest(APP, images.get(1));
    here.flush();
    there.flush();
    secondStore.close();
    storeClockMovesOn();
    RetentionPolicy pulled =
        new RetentionPolicy(
            "pulled",
            r -> r.equals(APP),
            List.of("rc-*"),
            OptionalInt.of(1),
            Optional.empty(),
            Optional.of(Duration.ofDays(1)),
            Optional.of(Duration.ZERO));

    GcStats stats = gc.run(now().withRetention(List.of(pulled)));

    assertThat(tags(APP)).containsExactly("rc-01", "rc-02", "rc-04");
    assertThat(stats.retention())
        .filteredOn(a -> a.kind() == RetentionAction.Kind.UNTAG)
        .singleElement()
        .satisfies(a -> assertThat(a.reason()).contains("never pulled"));
    assertThat(exists(images.get(2))).isFalse();
    assertPullsCompletely(registry, APP, "rc-02");
  }
}
