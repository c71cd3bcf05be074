package dev.lading.gc;

import static dev.lading.gc.GcContract.bytes;
import static dev.lading.gc.GcContract.manifest;
import static dev.lading.gc.GcContract.newRegistry;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.model.Digest;
import dev.lading.core.model.MediaTypes;
import dev.lading.core.model.Reference;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.policy.ImmutableTags;
import dev.lading.core.registry.StoreRegistry;
import dev.lading.core.storage.fs.FilesystemStore;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention policies put in force while the collector runs (a configuration reload) reach the next
 * run, and the run in progress finishes with the ones it started with.
 */
class OnlineCollectorPoliciesTest {
  private static final RepositoryName APP = RepositoryName.parse("team/app");

  @TempDir Path root;

  private static void push(StoreRegistry registry, String tag) {
    byte[] layer = bytes("layer of " + tag);
    registry.putBlob(
        APP, Digest.sha256(layer), new ByteArrayInputStream(layer), OptionalLong.of(layer.length));
    registry.putManifest(
        APP, Reference.parse(tag), MediaTypes.OCI_MANIFEST, manifest(List.of(layer), ""));
  }

  private static GcStats awaitRuns(OnlineCollector gc, long runs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      OnlineCollector.Status s = gc.status();
      if (!s.running() && s.runs() >= runs) {
        assertThat(s.lastError()).isEmpty();
        return s.last().orElseThrow();
      }
      Thread.sleep(10);
    }
    throw new AssertionError("run " + runs + " did not finish");
  }

  @Test
  void reloadedRetentionReachesTheNextRunAndNotTheOneInProgress() throws Exception {
    try (FilesystemStore store = new FilesystemStore(root);
        OnlineCollector gc =
            new OnlineCollector(
                new GarbageCollector(store, Clock.systemUTC()),
                GcOptions.defaults().withGrace(Duration.ZERO).withFenceDelay(Duration.ZERO),
                Clock.systemUTC())) {
      StoreRegistry registry = newRegistry(store);
      for (String tag : List.of("ci-01", "ci-02", "ci-03")) {
        push(registry, tag);
        Thread.sleep(20); // distinct push times, and all before the runs start
      }
      CountDownLatch marked = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      AtomicBoolean first = new AtomicBoolean(true);
      gc.collector()
          .setHooks(
              new GarbageCollector.SweepHooks() {
                @Override
                public void afterMark(Set<Digest> candidates) {
                  if (first.getAndSet(false)) {
                    marked.countDown();
                    try {
                      release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  }
                }
              });
      assertThat(gc.trigger(false)).isTrue();
      assertThat(marked.await(30, TimeUnit.SECONDS)).isTrue();

      RetentionPolicy keepLastOne =
          new RetentionPolicy(
              "policies.retention[0]",
              r -> r.equals(APP),
              List.of("ci-*"),
              OptionalInt.of(1),
              Optional.empty(),
              Optional.empty(),
              Optional.of(Duration.ZERO));
      gc.policies(List.of(keepLastOne), ImmutableTags.NONE);
      assertThat(gc.options().retention()).containsExactly(keepLastOne);
      release.countDown();

      GcStats inProgress = awaitRuns(gc, 1);
      assertThat(inProgress.retention()).as("the run started without policies").isEmpty();
      assertThat(registry.listTags(APP, 10, Optional.empty()).items())
          .containsExactly("ci-01", "ci-02", "ci-03");

      assertThat(gc.trigger(false)).isTrue();
      GcStats next = awaitRuns(gc, 2);
      assertThat(next.tagsUntagged()).isEqualTo(2);
      assertThat(registry.listTags(APP, 10, Optional.empty()).items()).containsExactly("ci-03");
    }
  }
}
