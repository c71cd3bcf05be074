package dev.lading.events;

import dev.lading.core.model.RepositoryName;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * One thing that happened. {@code id} is unique (a random UUID), so a receiver can recognise an
 * event delivered twice; {@code details} are the event's facts ({@code digest}, {@code tag}, {@code
 * previous}, GC counts...), written into the CloudEvent's data beside the repository and actor.
 */
public record RegistryEvent(
    String id,
    EventType type,
    Instant time,
    Optional<RepositoryName> repository,
    Actor actor,
    Optional<String> requestId,
    Map<String, Object> details) {

  public RegistryEvent {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(repository, "repository");
    Objects.requireNonNull(actor, "actor");
    Objects.requireNonNull(requestId, "requestId");
    details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
  }

  /** A new event with a fresh id. */
  public static RegistryEvent of(
      EventType type,
      Instant time,
      Optional<RepositoryName> repository,
      Actor actor,
      Optional<String> requestId,
      Map<String, Object> details) {
    return new RegistryEvent(
        UUID.randomUUID().toString(), type, time, repository, actor, requestId, details);
  }
}
