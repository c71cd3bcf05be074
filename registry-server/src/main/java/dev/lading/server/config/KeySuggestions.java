package dev.lading.server.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.Map;
import java.util.Optional;

/**
 * Helps an operator fix a configuration error in one attempt: the known key closest to a misspelt
 * one (a list of all 48 names hides the one meant), and for list-valued keys set from the
 * environment, what the value must look like (a YAML list in the file is natural; in a variable it
 * has to be written as JSON).
 */
final class KeySuggestions {
  private static final YAMLMapper YAML = new YAMLMapper();

  /** One short example per list-valued key, shown when its variable holds no list. */
  private static final Map<ConfigKey, String> LIST_EXAMPLES =
      Map.of(
          ConfigKey.AUTH_USERS, "[{\"name\":\"admin\",\"password_hash\":\"$2a$12$...\"}]",
          ConfigKey.AUTH_ROBOTS, "[{\"name\":\"ci\",\"secret_hash\":\"$2a$12$...\"}]",
          ConfigKey.AUTH_RULES,
              "[{\"subjects\":[\"ci\"],\"repositories\":[\"ml/**\"],\"actions\":[\"pull\",\"push\"]}]",
          ConfigKey.AUTH_ANONYMOUS_PULL, "[\"ml/**\"]",
          ConfigKey.HTTP_TRUSTED_PROXIES, "[\"10.0.0.0/8\"]");

  private KeySuggestions() {}

  /** The known variable name closest to {@code name} (edit distance). */
  static String closestEnvName(String name) {
    ConfigKey best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (ConfigKey k : ConfigKey.values()) {
      int d = distance(name, k.envName());
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    return best.envName();
  }

  /** The known key path closest to {@code path}. */
  static String closestPath(String path) {
    ConfigKey best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (ConfigKey k : ConfigKey.values()) {
      int d = distance(path, k.path());
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    return best.path();
  }

  /**
   * An example value when {@code setting} is a list-valued key set from the environment to
   * something that is not a list at all; empty otherwise (a list with a bad entry gets the entry's
   * own message, which says more).
   */
  static Optional<String> listFromEnvironment(ConfigLoader.Setting setting) {
    if (!setting.key().list() || !setting.source().startsWith(ConfigKey.ENV_PREFIX)) {
      return Optional.empty();
    }
    try {
      JsonNode parsed = YAML.readTree(setting.raw().isBlank() ? "[]" : setting.raw());
      if (parsed != null && (parsed.isArray() || parsed.isNull() || parsed.isMissingNode())) {
        return Optional.empty();
      }
    } catch (JacksonException e) {
      // not even YAML: certainly no list
    }
    return Optional.of(LIST_EXAMPLES.getOrDefault(setting.key(), "[\"...\"]"));
  }

  /** Levenshtein distance: insertions, deletions and substitutions each cost one. */
  static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
