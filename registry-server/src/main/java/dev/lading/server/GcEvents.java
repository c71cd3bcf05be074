package dev.lading.server;

import dev.lading.events.Actor;
import dev.lading.events.EventType;
import dev.lading.events.Events;
import dev.lading.events.RegistryEvent;
import dev.lading.gc.GcStats;
import dev.lading.gc.OnlineCollector;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** A {@code gc.finished} event for each GC run this instance ends, with the run's counts. */
final class GcEvents {
  private GcEvents() {}

  static OnlineCollector.Listener publishingTo(Events events) {
    return new OnlineCollector.Listener() {
      @Override
      public void finished(GcStats stats, Duration took) {
        if (!events.wants(EventType.GC_FINISHED)) {
          return;
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("dryRun", stats.dryRun());
        details.put("seconds", took.toMillis() / 1000.0);
        details.put("repositories", stats.repositories());
        details.put("manifestsSwept", stats.manifestsSwept());
        details.put("layerLinksSwept", stats.layerLinksSwept());
        details.put("blobsSwept", stats.blobsSwept());
        details.put("bytesFreed", stats.bytesFreed());
        details.put("uploadsExpired", stats.uploadsExpired());
        events.publish(
            RegistryEvent.of(
                EventType.GC_FINISHED,
                Instant.now(),
                Optional.empty(),
                Actor.SYSTEM,
                Optional.empty(),
                details));
      }

      @Override
      public void failed(Throwable failure) {}
    };
  }
}
