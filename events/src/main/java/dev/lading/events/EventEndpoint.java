package dev.lading.events;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.policy.RepositoryGlob;
import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Where events go: a name (one key segment: its queue in the store is named after it), an HTTP(S)
 * URL, the HMAC secret that signs each body (none: unsigned), and filters. An event is sent when
 * its type matches one of {@code types} ({@code manifest.pushed}, {@code manifest.*} or {@code *})
 * and its repository one of {@code repositories} (none: every repository; an event with no
 * repository, a GC run, goes only to endpoints without repository filters). With {@code batchSize}
 * 1 each event is one POST in structured mode ({@code application/cloudevents+json}); above 1, up
 * to that many events waiting go as one POST in the HTTP binding's batched mode ({@code
 * application/cloudevents-batch+json}, a JSON array), still in order: for receivers that take
 * batches, the way to keep up when each request is slow.
 */
public record EventEndpoint(
    String name,
    URI url,
    Optional<Secret> secret,
    List<RepositoryGlob> repositories,
    List<String> types,
    int batchSize) {

  /** The most events one batched POST may carry. */
  public static final int MAX_BATCH_SIZE = 1000;

  /** One event per POST (structured mode). */
  public EventEndpoint(
      String name,
      URI url,
      Optional<Secret> secret,
      List<RepositoryGlob> repositories,
      List<String> types) {
    this(name, url, secret, repositories, types, 1);
  }

  /** The HMAC key; its {@code toString} never shows it. */
  public record Secret(byte[] key) {
    public Secret {
      if (key.length == 0) {
        throw new IllegalArgumentException("an event endpoint's secret must not be empty");
      }
      key = key.clone();
    }

    @Override
    public byte[] key() {
      return key.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Secret s && Arrays.equals(key, s.key);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(key);
    }

    @Override
    public String toString() {
      return "Secret[********]";
    }
  }

  public EventEndpoint {
    StorageLayout.requireEndpointName(name);
    Objects.requireNonNull(url, "url");
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || url.getHost() == null) {
      throw new IllegalArgumentException("an event endpoint's url must be an http(s) URL");
    }
    if (url.getRawUserInfo() != null) {
      throw new IllegalArgumentException(
          "an event endpoint's url must not hold credentials; sign with secret instead");
    }
    Objects.requireNonNull(secret, "secret");
    repositories = List.copyOf(repositories);
    types = List.copyOf(types.isEmpty() ? List.of("*") : types);
    for (String t : types) {
      requireTypePattern(t);
    }
    if (batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
      throw new IllegalArgumentException(
          "an event endpoint's batch_size must be between 1 and " + MAX_BATCH_SIZE);
    }
  }

  /** The URL without its query, to show (a query may carry a token some receivers take there). */
  public String urlWithoutQuery() {
    return url.getScheme()
        + "://"
        + url.getAuthority()
        + (url.getRawPath() == null ? "" : url.getRawPath());
  }

  /** Whether this endpoint wants {@code event}. */
  public boolean wants(RegistryEvent event) {
    if (!wantsType(event.type())) {
      return false;
    }
    if (repositories.isEmpty()) {
      return true;
    }
    return event
        .repository()
        .filter(r -> repositories.stream().anyMatch(p -> p.matches(r)))
        .isPresent();
  }

  /** Whether events of {@code type} pass the type filter (whatever their repository). */
  public boolean wantsType(EventType type) {
    return types.stream().anyMatch(t -> typeMatches(t, type));
  }

  private static boolean typeMatches(String pattern, EventType type) {
    if (pattern.equals("*")) {
      return true;
    }
    if (pattern.endsWith(".*")) {
      return type.shortName().startsWith(pattern.substring(0, pattern.length() - 1));
    }
    return type.shortName().equals(pattern);
  }

  private static void requireTypePattern(String pattern) {
    if (pattern.equals("*")) {
      return;
    }
    for (EventType type : EventType.values()) {
      if (typeMatches(pattern, type)) {
        return;
      }
    }
    throw new IllegalArgumentException(
        "event type "
            + pattern
            + " matches no event; types are "
            + Arrays.stream(EventType.values()).map(EventType::shortName).toList()
            + ", a prefix with .* or *");
  }
}
