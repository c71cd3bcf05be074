package dev.lading.core.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.GcIntentKey;
import dev.lading.core.layout.StoredValues.GcIntent;
import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.storage.fs.FilesystemStore;
import dev.lading.core.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GcFenceWaitTest {
  @TempDir Path dir;

  private static final RepositoryName APP = RepositoryName.parse("team/app");
  private static final RepositoryName OTHER = RepositoryName.parse("team/other");

  @Test
  void aCommitWaitsOutAnIntentUntilItsDeadlineThroughTheInjectedPause() throws Exception {
    Instant start = Instant.parse("2026-01-01T00:00:00Z");
    MutableClock clock = new MutableClock(start);
    List<Duration> pauses = new CopyOnWriteArrayList<>();
    // Each pause moves the clock by the polling interval instead of sleeping through it.
    Pause pause =
        d -> {
          pauses.add(d);
          clock.advance(d);
        };
    Digest digest = Digest.sha256("layer".getBytes(StandardCharsets.US_ASCII));
    try (FilesystemStore store = new FilesystemStore(dir)) {
      store.write(
          StorageLayout.keyOf(new GcIntentKey(digest)),
          new GcIntent("run", start.plusSeconds(10), Optional.empty()).write());
      GcFence fence = new GcFence(store, clock, Duration.ZERO, Duration.ofSeconds(1), pause);
      fence.awaitNoIntent(digest, APP);
    }
    assertThat(pauses).hasSize(10).containsOnly(Duration.ofSeconds(1));
    assertThat(clock.instant()).isEqualTo(start.plusSeconds(10));
  }

  @Test
  void anIntentOnAnotherRepositorysLinkConcernsNoPushHere() throws Exception {
    Instant start = Instant.parse("2026-01-01T00:00:00Z");
    MutableClock clock = new MutableClock(start);
    Pause pause = clock::advance;
    Digest shared = Digest.sha256("shared base layer".getBytes(StandardCharsets.US_ASCII));
    try (FilesystemStore store = new FilesystemStore(dir)) {
      // A sweeper removes the layer's dead link in team/other; the blob itself stays.
      store.write(
          StorageLayout.keyOf(new GcIntentKey(shared)),
          new GcIntent(
                  "run",
                  start.plusSeconds(10),
                  Optional.of(new GcIntent.Reach(false, List.of(OTHER))))
              .write());
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
      store.write(
          StorageLayout.keyOf(new GcIntentKey(shared)),
          new GcIntent(
                  "run",
                  start.plusSeconds(10),
                  Optional.of(new GcIntent.Reach(true, List.of(OTHER))))
              .write());
      assertThat(fence.intended(shared, APP)).isTrue();
    }
  }
}
