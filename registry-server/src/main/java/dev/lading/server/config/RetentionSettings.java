package dev.lading.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lading.auth.RepositoryPattern;
import dev.lading.gc.RetentionPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * {@code policies.retention}: a list of {@code {repositories: [pattern], tags: [pattern],
 * keep_last: N, keep_pushed_within_hours: H, keep_pulled_within_hours: H, untagged_for_hours: H}}
 * (JSON text in {@code LADING_POLICIES_RETENTION}). Repository patterns are the access rules'
 * ({@code ml/**}); tag patterns take {@code *} for any run of characters. A policy names at least
 * one rule, so a typo that drops every rule cannot turn into "keep nothing".
 */
final class RetentionSettings {
  private static final Set<String> FIELDS =
      Set.of(
          "repositories",
          "tags",
          "keep_last",
          "keep_pushed_within_hours",
          "keep_pulled_within_hours",
          "untagged_for_hours");

  /** Ten years: longer is a typo. */
  private static final int MAX_HOURS = 87_600;

  private RetentionSettings() {}

  static Object retention(String v) {
    List<RetentionPolicy> out = new ArrayList<>();
    List<JsonNode> items = ListValues.list(v);
    for (int i = 0; i < items.size(); i++) {
      String at = "policy " + i;
      JsonNode n = items.get(i);
      ListValues.requireFields(n, at, FIELDS);
      List<RepositoryPattern> repositories =
          ListValues.parsed(n, "repositories", at, RepositoryPattern::parse);
      List<String> tags = n.has("tags") ? ListValues.strings(n, "tags", at) : List.of();
      OptionalInt keepLast =
          n.has("keep_last")
              ? OptionalInt.of(integer(n, "keep_last", at, 1_000_000))
              : OptionalInt.empty();
      Optional<Duration> pushedWithin = hours(n, "keep_pushed_within_hours", at);
      Optional<Duration> pulledWithin = hours(n, "keep_pulled_within_hours", at);
      Optional<Duration> untaggedFor = hours(n, "untagged_for_hours", at);
      if (keepLast.isEmpty()
          && pushedWithin.isEmpty()
          && pulledWithin.isEmpty()
          && untaggedFor.isEmpty()) {
        throw new IllegalArgumentException(
            at
                + ": names no rule (keep_last, keep_pushed_within_hours, keep_pulled_within_hours"
                + " or untagged_for_hours)");
      }
      String name =
          "policies.retention["
              + i
              + "] ("
              + String.join(",", repositories.stream().map(RepositoryPattern::value).toList())
              + (tags.isEmpty() ? "" : " tags " + String.join(",", tags))
              + ")";
      try {
        out.add(
            new RetentionPolicy(
                name,
                repo -> repositories.stream().anyMatch(p -> p.matches(repo)),
                tags,
                keepLast,
                pushedWithin,
                pulledWithin,
                untaggedFor));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(at + ": " + e.getMessage());
      }
    }
    return List.copyOf(out);
  }

  private static Optional<Duration> hours(JsonNode n, String field, String at) {
    return n.has(field)
        ? Optional.of(Duration.ofHours(integer(n, field, at, MAX_HOURS)))
        : Optional.empty();
  }

  private static int integer(JsonNode n, String field, String at, int max) {
    JsonNode v = n.get(field);
    if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 0 || v.asInt() > max) {
      throw new IllegalArgumentException(at + ": " + field + " must be a whole number 0.." + max);
    }
    return v.asInt();
  }
}
