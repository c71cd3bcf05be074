package dev.lading.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lading.core.policy.RepositoryGlob;
import dev.lading.events.EventEndpoint;
import dev.lading.events.EventOptions;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Grammars of the {@code events.*} keys. An endpoint list arrives as JSON or YAML flow text (from
 * the file, re-serialised, or from {@code LADING_EVENTS_ENDPOINTS}) and becomes the events module's
 * own types, so a bad URL, name, pattern or type stops the start with the key's name and the
 * endpoint's index. A secret's value is never put in a message.
 */
final class EventSettings {
  private EventSettings() {}

  static Object endpoints(String v) {
    List<EventEndpoint> out = new ArrayList<>();
    int i = 0;
    for (JsonNode n : ListValues.list(v)) {
      String at = "endpoint " + i++;
      ListValues.requireFields(
          n,
          at,
          Set.of("name", "url", "secret", "secret_file", "repositories", "types", "batch_size"));
      String name = ListValues.text(n, "name", at);
      at = at + " (" + name + ")";
      URI url;
      try {
        url = new URI(ListValues.text(n, "url", at));
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException(at + ": url is no URL");
      }
      if (n.hasNonNull("secret") && n.hasNonNull("secret_file")) {
        throw new IllegalArgumentException(at + ": give at most one of secret, secret_file");
      }
      Optional<EventEndpoint.Secret> secret = Optional.empty();
      if (n.hasNonNull("secret")) {
        secret =
            Optional.of(
                new EventEndpoint.Secret(
                    ListValues.text(n, "secret", at).getBytes(StandardCharsets.UTF_8)));
      } else if (n.hasNonNull("secret_file")) {
        Path p = Path.of(ListValues.text(n, "secret_file", at));
        try {
          String s = Files.readString(p).strip();
          if (s.isEmpty()) {
            throw new IllegalArgumentException(at + ": secret_file " + p + " is empty");
          }
          secret = Optional.of(new EventEndpoint.Secret(s.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
          throw new IllegalArgumentException(at + ": cannot read secret_file " + p);
        }
      }
      List<RepositoryGlob> repositories =
          n.has("repositories")
              ? ListValues.parsed(n, "repositories", at, RepositoryGlob::parse)
              : List.of();
      List<String> types = n.has("types") ? ListValues.strings(n, "types", at) : List.of();
      int batchSize = 1;
      if (n.has("batch_size")) {
        if (!n.get("batch_size").isInt()) {
          throw new IllegalArgumentException(at + ": batch_size must be a whole number");
        }
        batchSize = n.get("batch_size").asInt();
      }
      try {
        out.add(new EventEndpoint(name, url, secret, repositories, types, batchSize));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(at + ": " + e.getMessage());
      }
    }
    if (out.stream().map(EventEndpoint::name).distinct().count() != out.size()) {
      throw new IllegalArgumentException("two endpoints have the same name");
    }
    return List.copyOf(out);
  }

  static Object sampleRate(String v) {
    double rate;
    try {
      rate = Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("must be a number between 0 and 1");
    }
    if (!(rate >= 0 && rate <= 1)) {
      throw new IllegalArgumentException("must be a number between 0 and 1");
    }
    return rate;
  }

  @SuppressWarnings("unchecked")
  static EventOptions from(Map<ConfigKey, Object> v) {
    return new EventOptions(
        (List<EventEndpoint>) v.get(ConfigKey.EVENTS_ENDPOINTS),
        (Double) v.get(ConfigKey.EVENTS_PULL_SAMPLE_RATE),
        (Integer) v.get(ConfigKey.EVENTS_QUEUE_SIZE),
        (Integer) v.get(ConfigKey.EVENTS_MAX_STORED),
        (Integer) v.get(ConfigKey.EVENTS_MAX_FAILED),
        Duration.ofMinutes((Integer) v.get(ConfigKey.EVENTS_RETRY_FOR_MINUTES)),
        Duration.ofSeconds((Integer) v.get(ConfigKey.EVENTS_REQUEST_TIMEOUT_SECONDS)),
        EventOptions.DEFAULT_LEASE_LENGTH,
        EventOptions.DEFAULT_POLL_INTERVAL);
  }
}
