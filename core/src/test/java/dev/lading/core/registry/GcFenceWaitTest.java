package dev.lading.core.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.registry.StoredJson.GcIntent;
import dev.lading.core.storage.StorageLayout;
import dev.lading.core.storage.StorageLayout.GcIntentKey;
import dev.lading.core.storage.fs.FilesystemStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GcFenceWaitTest {
  @TempDir Path dir;

  /** A clock a test moves by hand. */
  private static final class HandClock extends Clock {
    final AtomicReference<Instant> now;

    HandClock(Instant start) {
      now = new AtomicReference<>(start);
    }

    @Override
    public Instant instant() {
      return now.get();
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  private static final RepositoryName APP = RepositoryName.parse("team/app");
  private static final RepositoryName OTHER = RepositoryName.parse("team/other");

  @Test
  void aCommitWaitsOutAnIntentUntilItsDeadlineThroughTheInjectedPause() throws Exception {
    Instant start = Instant.parse("2026-01-01T00:00:00Z");
    HandClock clock = new HandClock(start);
    List<Duration> pauses = new CopyOnWriteArrayList<>();
    // Each pause moves the clock by the polling interval instead of sleeping through it.
    Pause pause = d -> {
      pauses.add(d);
      clock.now.updateAndGet(t -> t.plus(d));
    };
    Digest digest = Digest.sha256("layer".getBytes(StandardCharsets.US_ASCII));
    try (FilesystemStore store = new FilesystemStore(dir)) {
      store.write(StorageLayout.keyOf(new GcIntentKey(digest)),
          StoredJson.write(new GcIntent("run", start.plusSeconds(10).toString())));
      GcFence fence = new GcFence(store, clock, Duration.ZERO, Duration.ofSeconds(1), pause);
      fence.awaitNoIntent(digest, APP);
    }
    assertThat(pauses).hasSize(10).containsOnly(Duration.ofSeconds(1));
    assertThat(clock.instant()).isEqualTo(start.plusSeconds(10));
  }

  @Test
  void anIntentOnAnotherRepositorysLinkConcernsNoPushHere() throws Exception {
    Instant start = Instant.parse("2026-01-01T00:00:00Z");
    HandClock clock = new HandClock(start);
    Pause pause = d -> clock.now.updateAndGet(t -> t.plus(d));
    Digest shared = Digest.sha256("shared base layer".getBytes(StandardCharsets.US_ASCII));
    try (FilesystemStore store = new FilesystemStore(dir)) {
      // A sweeper removes the layer's dead link in team/other; the blob itself stays.
      store.write(StorageLayout.keyOf(new GcIntentKey(shared)), StoredJson.write(
          new GcIntent("run", start.plusSeconds(10).toString(), false, List.of("team/other"))));
      GcFence fence = new GcFence(store, clock, Duration.ZERO, Duration.ofSeconds(1), pause);

      assertThat(fence.intended(shared, APP)).isFalse();
      assertThat(fence.awaitNoIntents(List.of(shared), APP, Duration.ofSeconds(30))).isEmpty();
      assertThat(clock.instant()).as("no wait for a push into team/app").isEqualTo(start);
      assertThat(fence.intended(shared, OTHER)).isTrue();
      assertThat(fence.awaitNoIntents(List.of(shared), OTHER, Duration.ofSeconds(3)))
          .as("a push into team/other waits, then is told which blob did not settle")
          .containsExactly(shared);
      assertThat(clock.instant()).isEqualTo(start.plusSeconds(3));

      // The blob itself going concerns every repository.
      store.write(StorageLayout.keyOf(new GcIntentKey(shared)), StoredJson.write(
          new GcIntent("run", start.plusSeconds(10).toString(), true, List.of("team/other"))));
      assertThat(fence.intended(shared, APP)).isTrue();
    }
  }
}
