package dev.lading.events;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.jackson.JsonFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;

/**
 * An event as a CloudEvent 1.0 in JSON (structured mode, {@code application/cloudevents+json}):
 * {@code id}, {@code source} {@code /lading}, {@code type} {@code dev.lading.<kind>}, {@code time},
 * {@code subject} the repository, and {@code data} the facts: repository, actor, request id and the
 * event's details.
 */
final class CloudEventJson {
  static final String CONTENT_TYPE = JsonFormat.CONTENT_TYPE;

  /** The HTTP binding's batched content mode: a JSON array of structured events. */
  static final String BATCH_CONTENT_TYPE = "application/cloudevents-batch+json";

  static final URI SOURCE = URI.create("/lading");
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final EventFormat FORMAT = new JsonFormat();

  private CloudEventJson() {}

  static String encode(RegistryEvent event) {
    ObjectNode data = MAPPER.createObjectNode();
    event.repository().ifPresent(r -> data.put("repository", r.value()));
    ObjectNode actor = data.putObject("actor");
    actor.put("name", event.actor().name());
    actor.put("kind", event.actor().kind());
    event.requestId().ifPresent(id -> data.put("requestId", id));
    for (Map.Entry<String, Object> e : event.details().entrySet()) {
      data.set(e.getKey(), MAPPER.valueToTree(e.getValue()));
    }
    CloudEventBuilder builder =
        CloudEventBuilder.v1()
            .withId(event.id())
            .withSource(SOURCE)
            .withType(event.type().cloudEventType())
            .withTime(event.time().atOffset(ZoneOffset.UTC));
    event.repository().ifPresent(r -> builder.withSubject(r.value()));
    try {
      CloudEvent ce = builder.withData("application/json", MAPPER.writeValueAsBytes(data)).build();
      return new String(FORMAT.serialize(ce), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The event's time, read back from its JSON (for how long it has been retried). */
  static Instant time(String json) {
    CloudEvent ce = FORMAT.deserialize(json.getBytes(StandardCharsets.UTF_8));
    return ce.getTime() == null ? Instant.EPOCH : ce.getTime().toInstant();
  }

  static String id(String json) {
    return FORMAT.deserialize(json.getBytes(StandardCharsets.UTF_8)).getId();
  }
}
