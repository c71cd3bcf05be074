package dev.lading.server.http;

import dev.lading.core.model.RepositoryName;
import dev.lading.events.Actor;
import dev.lading.events.EventType;
import dev.lading.events.Events;
import dev.lading.events.RegistryEvent;
import io.netty.handler.codec.http.HttpMethod;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Tells {@link Events} what a successful request did, from the same facts as the audit log ({@link
 * AuditedAction}): pushes, mounts, tag moves, deletes, and sampled manifest pulls. Called as the
 * answer is about to leave; publishing never waits.
 */
final class EventHook {
  private EventHook() {}

  static void afterHandler(Exchange exchange, Events events) {
    if (events == Events.off() || exchange.status() < 200 || exchange.status() >= 300) {
      return;
    }
    Routes.Match m = exchange.match();
    if (m == null) {
      return;
    }
    if (m.resource() == Routes.Resource.MANIFEST
        && HttpMethod.GET.equals(exchange.method())
        && events.wants(EventType.MANIFEST_PULLED)
        && events.samplePull()) {
      Map<String, Object> details = new LinkedHashMap<>();
      put(details, "digest", exchange.auditDigest());
      if (!AuditedAction.isDigest(exchange.param())) {
        details.put("tag", exchange.param());
      }
      events.publish(event(exchange, EventType.MANIFEST_PULLED, details));
      return;
    }
    Optional<AuditedAction> action = AuditedAction.of(exchange);
    if (action.isEmpty()) {
      return;
    }
    AuditedAction a = action.get();
    EventType type =
        switch (a.action()) {
          case "push-blob" -> EventType.BLOB_PUSHED;
          case "mount" -> EventType.BLOB_MOUNTED;
          case "push-manifest" -> EventType.MANIFEST_PUSHED;
          case "delete-manifest" -> EventType.MANIFEST_DELETED;
          case "delete-tag" -> EventType.TAG_DELETED;
          case "delete-blob" -> EventType.BLOB_DELETED;
          default -> null;
        };
    if (type == null) {
      return;
    }
    Map<String, Object> details = new LinkedHashMap<>();
    put(details, "digest", a.digest());
    put(details, "tag", a.tag());
    exchange
        .query("mount")
        .ifPresent(d -> put(details, "mountedFrom", exchange.query("from").orElse(null)));
    if (type == EventType.MANIFEST_PUSHED) {
      put(details, "mediaType", exchange.header("Content-Type"));
    }
    events.publish(event(exchange, type, details));
    if (a.movedTag()) {
      Map<String, Object> moved = new LinkedHashMap<>();
      put(moved, "digest", a.digest());
      put(moved, "tag", a.tag());
      put(moved, "previous", a.previous());
      events.publish(event(exchange, EventType.TAG_MOVED, moved));
    }
  }

  private static RegistryEvent event(
      Exchange exchange, EventType type, Map<String, Object> details) {
    RequestAuthorizer.Caller caller = exchange.caller();
    Optional<RepositoryName> repository = exchange.match().repository();
    return RegistryEvent.of(
        type,
        Instant.now(),
        repository,
        new Actor(caller.name(), caller.kind()),
        Optional.of(exchange.requestId()),
        details);
  }

  private static void put(Map<String, Object> details, String key, String value) {
    if (value != null) {
      details.put(key, value);
    }
  }
}
