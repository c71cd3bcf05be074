package dev.lading.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lading.auth.Account;
import dev.lading.auth.Principal;
import dev.lading.core.policy.ImmutableTagRule;
import dev.lading.core.policy.ImmutableTags;
import dev.lading.core.policy.QuotaRule;
import dev.lading.core.policy.Quotas;
import dev.lading.core.policy.RepositoryGlob;
import dev.lading.core.policy.TagGlob;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Grammars of the {@code policies.*} keys. Like {@code auth.rules}, a list arrives as JSON or YAML
 * flow text (from the file, re-serialised, or from {@code LADING_POLICIES_IMMUTABLE_TAGS}) and
 * becomes core's own types, so an invalid pattern or an unknown field stops the start with the
 * key's name and the rule's index.
 */
final class PolicySettings {
  private PolicySettings() {}

  static Object immutableTags(String v) {
    List<ImmutableTagRule> out = new ArrayList<>();
    int i = 0;
    for (JsonNode n : ListValues.list(v)) {
      String at = "rule " + i;
      ListValues.requireFields(n, at, Set.of("repositories", "tags"));
      List<RepositoryGlob> repositories =
          ListValues.parsed(n, "repositories", at, RepositoryGlob::parse);
      List<TagGlob> tags = ListValues.parsed(n, "tags", at, TagGlob::parse);
      out.add(
          new ImmutableTagRule(
              ConfigKey.POLICIES_IMMUTABLE_TAGS.path() + "[" + i + "]", repositories, tags));
      i++;
    }
    return new ImmutableTags(out);
  }

  /**
   * {@code [{repositories: [pattern], bytes: <whole number>}]}: {@code bytes} a whole number of
   * bytes (a JSON or YAML number, or a string of digits), no unit suffixes, so there is one
   * spelling of a limit and no question whether {@code GB} means 10^9 or 2^30.
   */
  static Object quotas(String v) {
    List<QuotaRule> out = new ArrayList<>();
    int i = 0;
    for (JsonNode n : ListValues.list(v)) {
      String at = "quota " + i;
      ListValues.requireFields(n, at, Set.of("repositories", "bytes"));
      List<RepositoryGlob> repositories =
          ListValues.parsed(n, "repositories", at, RepositoryGlob::parse);
      JsonNode b = n.get("bytes");
      long bytes;
      if (b != null && b.isIntegralNumber() && b.canConvertToLong()) {
        bytes = b.asLong();
      } else if (b != null && b.isTextual() && b.asText().matches("[0-9]{1,18}")) {
        bytes = Long.parseLong(b.asText());
      } else {
        throw new IllegalArgumentException(at + ": bytes must be a whole number of bytes");
      }
      if (bytes < 0) {
        throw new IllegalArgumentException(at + ": bytes must be 0 or more");
      }
      out.add(new QuotaRule(ConfigKey.POLICIES_QUOTAS.path() + "[" + i + "]", repositories, bytes));
      i++;
    }
    return new Quotas(out);
  }

  /** Account names only: an override is a named person's or robot's explicit act. */
  static Object overrideSubjects(String v) {
    Set<String> out = new LinkedHashSet<>();
    for (JsonNode n : ListValues.list(v)) {
      if (!n.isTextual()) {
        throw new IllegalArgumentException("must be a list of user or robot names");
      }
      String name = n.asText();
      if (name.equals(Principal.ANONYMOUS_NAME) || name.equals("*")) {
        throw new IllegalArgumentException(
            name + " cannot override immutable tags: name users or robots");
      }
      try {
        Principal.requireAccountName(name);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(e.getMessage());
      }
      out.add(name);
    }
    return Set.copyOf(out);
  }

  /**
   * An override list needs token auth (without it no request has a principal to allow) and names
   * existing accounts (any subject of an external issuer's tokens).
   */
  @SuppressWarnings("unchecked")
  static List<String> crossCheck(
      Map<ConfigKey, Object> typed, Map<ConfigKey, ConfigLoader.Setting> raw) {
    Set<String> subjects = (Set<String>) typed.get(ConfigKey.POLICIES_IMMUTABLE_TAGS_OVERRIDE);
    if (subjects.isEmpty()) {
      return List.of();
    }
    String key = ConfigKey.POLICIES_IMMUTABLE_TAGS_OVERRIDE.path();
    String source = raw.get(ConfigKey.POLICIES_IMMUTABLE_TAGS_OVERRIDE).source();
    if (typed.get(ConfigKey.AUTH_MODE) != AuthSettings.Mode.TOKEN) {
      return List.of(
          key
              + ": needs auth.mode: token (without auth no request names who it is, so nobody"
              + " could be allowed to override) (from "
              + source
              + ")");
    }
    boolean external =
        !((String) typed.get(ConfigKey.AUTH_TOKEN_EXTERNAL_JWKS_URL)).isEmpty()
            || !((String) typed.get(ConfigKey.AUTH_TOKEN_EXTERNAL_KEY_FILE)).isEmpty();
    if (external) {
      return List.of(); // the other issuer's subjects are not listed here
    }
    Set<String> names = new LinkedHashSet<>();
    for (ConfigKey k : List.of(ConfigKey.AUTH_USERS, ConfigKey.AUTH_ROBOTS)) {
      for (Account a : (List<Account>) typed.get(k)) {
        names.add(a.name());
      }
    }
    List<String> problems = new ArrayList<>();
    for (String s : subjects) {
      if (!names.contains(s)) {
        problems.add(key + ": " + s + " is no user or robot (from " + source + ")");
      }
    }
    return problems;
  }
}
