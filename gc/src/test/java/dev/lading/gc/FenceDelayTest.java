package dev.lading.gc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.registry.Pause;
import dev.lading.core.storage.fs.FilesystemStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FenceDelayTest {
  @TempDir Path dir;

  @Test
  void aRunWaitsItsFenceDelayThroughTheInjectedPauseBeforeMarking() throws Exception {
    Duration fence = Duration.ofHours(3);
    List<Duration> waited = new CopyOnWriteArrayList<>();
    List<String> order = new CopyOnWriteArrayList<>();
    // The fence delay returns at once (no test sleeps 3 h); lease renewals wait for real.
    Pause pause =
        d -> {
          if (d.equals(fence)) {
            waited.add(d);
            order.add("fence");
          } else {
            Pause.PARK.pause(d);
          }
        };
    try (FilesystemStore store = new FilesystemStore(dir)) {
      GarbageCollector gc = new GarbageCollector(store, Clock.systemUTC(), 4, pause);
      gc.setProgress((phase, count) -> order.add(phase.name()));
      gc.run(GcOptions.defaults().withFenceDelay(fence));
    }
    assertThat(waited).containsExactly(fence);
    assertThat(order).startsWith("fence", "ANNOUNCED", "LISTED", "RETENTION", "MARKED");
  }

  @Test
  void aDryRunAnnouncesNothingAndSoWaitsNoFence() throws Exception {
    List<Duration> waited = new CopyOnWriteArrayList<>();
    try (FilesystemStore store = new FilesystemStore(dir)) {
      GarbageCollector gc = new GarbageCollector(store, Clock.systemUTC(), 4, waited::add);
      gc.run(GcOptions.defaults().withDryRun(true));
    }
    assertThat(waited).isEmpty();
  }
}
