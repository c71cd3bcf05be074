package dev.lading.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.nimbusds.jose.JWSAlgorithm;
import dev.lading.auth.AccessRule;
import dev.lading.auth.Account;
import dev.lading.auth.Action;
import dev.lading.auth.BcryptHash;
import dev.lading.auth.Principal;
import dev.lading.auth.RepositoryPattern;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Grammars of the {@code auth.*} keys. List values arrive as JSON or YAML flow text (from the file,
 * re-serialised, or from the environment) and become the auth module's own types, so an invalid
 * account, pattern or rule stops the start with the key's name. A secret's value is never put in a
 * message.
 */
final class AuthSettings {
  private static final YAMLMapper YAML = new YAMLMapper();

  private AuthSettings() {}

  enum Mode {
    NONE,
    TOKEN
  }

  static Object mode(String v) {
    return switch (v) {
      case "none" -> Mode.NONE;
      case "token" -> Mode.TOKEN;
      default -> throw new IllegalArgumentException("must be one of none, token");
    };
  }

  static Object printable(String v) {
    if (v.isEmpty()
        || v.length() > 200
        || v.chars().anyMatch(c -> c < 0x21 || c == '"' || c == '\\' || c > 0x7e)) {
      throw new IllegalArgumentException(
          "must be 1..200 printable ASCII characters without spaces, quotes or backslashes");
    }
    return v;
  }

  static Object realm(String v) {
    return v.isEmpty() ? v : url(v);
  }

  static Object url(String v) {
    if (v.isEmpty()) {
      return v;
    }
    printable(v);
    try {
      URI u = URI.create(v);
      if (!"https".equals(u.getScheme()) && !"http".equals(u.getScheme()) || u.getHost() == null) {
        throw new IllegalArgumentException("must be an http(s) URL");
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("must be an http(s) URL");
    }
    return v;
  }

  static Object algorithm(String v) {
    JWSAlgorithm a = JWSAlgorithm.parse(v);
    if (!JWSAlgorithm.Family.SIGNATURE.contains(a)) {
      throw new IllegalArgumentException(
          "must be an asymmetric JWS algorithm (RS256, ES256, PS256, EdDSA, ...)");
    }
    return a;
  }

  /**
   * IP literals or CIDR blocks ({@code 10.0.0.0/8}, {@code fd00::/8}, {@code 192.0.2.7}); never
   * host names, which would make trust depend on DNS.
   */
  static Object proxies(String v) {
    List<TrustedProxy> out = new ArrayList<>();
    for (JsonNode n : ListValues.list(v)) {
      if (!n.isTextual()) {
        throw new IllegalArgumentException("must be a list of IP addresses or CIDR blocks");
      }
      out.add(TrustedProxy.parse(n.asText()));
    }
    return List.copyOf(out);
  }

  static Object accounts(String v, Principal.Kind kind) {
    String hashField = kind == Principal.Kind.ROBOT ? "secret_hash" : "password_hash";
    List<Account> out = new ArrayList<>();
    int i = 0;
    for (JsonNode n : ListValues.list(v)) {
      String at = "entry " + i++;
      ListValues.requireFields(n, at, Set.of("name", hashField, hashField + "_file"));
      String name = ListValues.text(n, "name", at);
      try {
        Principal.requireAccountName(name);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(at + ": " + e.getMessage());
      }
      boolean inline = n.hasNonNull(hashField);
      boolean file = n.hasNonNull(hashField + "_file");
      if (inline == file) {
        throw new IllegalArgumentException(
            at + " (" + name + "): give exactly one of " + hashField + ", " + hashField + "_file");
      }
      String hash;
      if (inline) {
        hash = ListValues.text(n, hashField, at);
      } else {
        Path p = Path.of(ListValues.text(n, hashField + "_file", at));
        try {
          hash = Files.readString(p).strip();
        } catch (IOException e) {
          throw new IllegalArgumentException(
              at + " (" + name + "): cannot read " + hashField + "_file " + p);
        }
      }
      BcryptHash parsed;
      try {
        parsed = BcryptHash.parse(hash);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            at + " (" + name + "): " + hashField + " is " + e.getMessage());
      }
      out.add(new Account(new Principal(name, kind), parsed));
    }
    return List.copyOf(out);
  }

  static Object rules(String v) {
    List<AccessRule> out = new ArrayList<>();
    int i = 0;
    for (JsonNode n : ListValues.list(v)) {
      String at = "rule " + i++;
      ListValues.requireFields(n, at, Set.of("subjects", "repositories", "actions"));
      Set<String> subjects = new LinkedHashSet<>(ListValues.strings(n, "subjects", at));
      List<RepositoryPattern> patterns = new ArrayList<>();
      for (String p : ListValues.strings(n, "repositories", at)) {
        patterns.add(pattern(p, at));
      }
      EnumSet<Action> actions = EnumSet.noneOf(Action.class);
      for (String a : ListValues.strings(n, "actions", at)) {
        try {
          Action parsed = Action.parse(a);
          actions.add(parsed);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              at + ": " + e.getMessage() + " (pull, push, delete or *)");
        }
      }
      try {
        out.add(new AccessRule(subjects, patterns, actions));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(at + ": " + e.getMessage());
      }
    }
    return List.copyOf(out);
  }

  static Object patterns(String v) {
    List<RepositoryPattern> out = new ArrayList<>();
    for (JsonNode n : ListValues.list(v)) {
      if (!n.isTextual()) {
        throw new IllegalArgumentException("must be a list of repository patterns");
      }
      out.add(pattern(n.asText(), "pattern"));
    }
    return List.copyOf(out);
  }

  /**
   * Checks across keys, once each parsed: names unique, rules name existing accounts, one trust
   * source.
   */
  static List<String> crossCheck(
      Map<ConfigKey, Object> typed, Map<ConfigKey, ConfigLoader.Setting> raw) {
    List<String> problems = new ArrayList<>();
    @SuppressWarnings("unchecked")
    List<Account> users = (List<Account>) typed.get(ConfigKey.AUTH_USERS);
    @SuppressWarnings("unchecked")
    List<Account> robots = (List<Account>) typed.get(ConfigKey.AUTH_ROBOTS);
    @SuppressWarnings("unchecked")
    List<AccessRule> rules = (List<AccessRule>) typed.get(ConfigKey.AUTH_RULES);
    Set<String> names = new HashSet<>();
    for (Account a : concat(users, robots)) {
      if (!names.add(a.name())) {
        problems.add(
            "auth: two accounts are named " + a.name() + " (users and robots share one namespace)");
      }
    }
    for (AccessRule r : rules) {
      for (String s : r.subjects()) {
        if (!s.equals(AccessRule.ANY_ACCOUNT)
            && !s.equals(Principal.ANONYMOUS_NAME)
            && !names.contains(s)) {
          problems.add(
              "auth.rules: a rule names "
                  + s
                  + ", which is no user or robot (from "
                  + raw.get(ConfigKey.AUTH_RULES).source()
                  + ")");
        }
      }
    }
    boolean url = !((String) typed.get(ConfigKey.AUTH_TOKEN_EXTERNAL_JWKS_URL)).isEmpty();
    boolean file = !((String) typed.get(ConfigKey.AUTH_TOKEN_EXTERNAL_KEY_FILE)).isEmpty();
    if (url && file) {
      problems.add("auth.token.external: give jwks_url or key_file, not both");
    }
    if ((url || file)
        && ((String) typed.get(ConfigKey.AUTH_TOKEN_REALM)).isEmpty()
        && typed.get(ConfigKey.AUTH_MODE) == Mode.TOKEN) {
      problems.add("auth.token.realm: required with an external issuer (its token endpoint)");
    }
    return problems;
  }

  private static List<Account> concat(List<Account> a, List<Account> b) {
    List<Account> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  private static RepositoryPattern pattern(String p, String at) {
    try {
      return RepositoryPattern.parse(p);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(at + ": " + e.getMessage());
    }
  }
}
