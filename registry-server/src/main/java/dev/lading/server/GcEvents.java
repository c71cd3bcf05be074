package dev.lading.server;

import dev.lading.events.Actor;
import dev.lading.events.EventType;
import dev.lading.events.Events;
import dev.lading.events.RegistryEvent;
import dev.lading.gc.GcStats;
import dev.lading.gc.OnlineCollector;
import dev.lading.gc.RetentionAction;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A {@code gc.finished} event for each GC run this instance ends, with the run's counts, and for a
 * real run one {@code tag.deleted} or {@code manifest.deleted} per removal its retention policies
 * made (actor {@code system}, with the policy and the reason), as for a user's delete.
 */
final class GcEvents {
  private GcEvents() {}

  static OnlineCollector.Listener publishingTo(Events events) {
    return new OnlineCollector.Listener() {
      @Override
      public void finished(GcStats stats, Duration took) {
        if (!stats.dryRun()) {
          for (RetentionAction a : stats.retention()) {
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("digest", a.digest().toString());
            a.tag().ifPresent(t -> details.put("tag", t));
            details.put("policy", a.policy());
            details.put("reason", a.reason());
            events.publish(
                RegistryEvent.of(
                    a.kind() == RetentionAction.Kind.UNTAG
                        ? EventType.TAG_DELETED
                        : EventType.MANIFEST_DELETED,
                    Instant.now(),
                    Optional.of(a.repository()),
                    Actor.SYSTEM,
                    Optional.empty(),
                    details));
          }
        }
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
        details.put(
            "tagsUntagged",
            stats.retention().stream().filter(a -> a.kind() == RetentionAction.Kind.UNTAG).count());
        details.put(
            "manifestsExpired",
            stats.retention().stream()
                .filter(a -> a.kind() == RetentionAction.Kind.DELETE_MANIFEST)
                .count());
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
