package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import at.favre.lib.crypto.bcrypt.BCrypt;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token auth for a {@link RegistryProcess}, set the way an operator sets it (the {@code
 * LADING_AUTH_*} environment: bcrypt-hashed users, path rules), and the client side as docker does
 * it: a token fetched over HTTP from the registry's own {@code /auth/token} with Basic credentials
 * for the scopes a step needs, sent as {@code Authorization: Bearer}. Tokens are cached per server,
 * user and scope set: every server has its own signing keys, and a token names exactly the scopes
 * asked for (less whatever the rules refuse), which is what a test about scopes must control.
 *
 * <pre>{@code
 * static final TokenAuth AUTH = TokenAuth.users("alice", "bob")
 *     .allow("alice", "team-a/**", "pull", "push")
 *     .allow("bob", "team-b/**", "pull");
 * @RegisterExtension static final RegistryProcess registry = AUTH.on(RegistryProcess.create());
 * ...
 * RegistryClient alice = AUTH.client(registry, "alice", TokenAuth.scope("team-a/app", "pull,push"));
 * }</pre>
 */
public final class TokenAuth {
  /** The service the tokens are for: the registry's default {@code auth.token.service}. */
  public static final String SERVICE = "lading";

  /** The account name {@link #bearer} takes for a token asked without credentials. */
  public static final String ANONYMOUS = "anonymous";

  private final Map<String, String> passwords;
  private final List<Map<String, Object>> rules;
  private final List<String> anonymousPull;
  private final Map<String, String> tokens = new ConcurrentHashMap<>();

  private TokenAuth(
      Map<String, String> passwords, List<Map<String, Object>> rules, List<String> anonymousPull) {
    this.passwords = passwords;
    this.rules = rules;
    this.anonymousPull = anonymousPull;
  }

  /** Accounts named {@code names}, each with a password of its own and, so far, no rights. */
  public static TokenAuth users(String... names) {
    Map<String, String> passwords = new LinkedHashMap<>();
    for (String name : names) {
      passwords.put(name, name + "-password-1");
    }
    return new TokenAuth(Map.copyOf(passwords), List.of(), List.of());
  }

  /**
   * Adds the rule that grants {@code user} {@code actions} ({@code pull}, {@code push}, {@code
   * delete}) on the repositories {@code pattern} matches ({@code team-a/**}).
   */
  public TokenAuth allow(String user, String pattern, String... actions) {
    if (!passwords.containsKey(user)) {
      throw new IllegalArgumentException("no account " + user);
    }
    List<Map<String, Object>> more = new ArrayList<>(rules);
    more.add(
        Map.of(
            "subjects",
            List.of(user),
            "repositories",
            List.of(pattern),
            "actions",
            List.of(actions)));
    return new TokenAuth(passwords, List.copyOf(more), anonymousPull);
  }

  /** Lets anyone, without credentials, pull the repositories {@code pattern} matches. */
  public TokenAuth anonymousPull(String pattern) {
    List<String> more = new ArrayList<>(anonymousPull);
    more.add(pattern);
    return new TokenAuth(passwords, rules, List.copyOf(more));
  }

  /** {@code process} with token auth on, these accounts and these rules. */
  public RegistryProcess on(RegistryProcess process) {
    ArrayNode users = Reply.JSON.createArrayNode();
    passwords.forEach(
        (name, password) -> {
          ObjectNode user = users.addObject();
          user.put("name", name);
          // Cost 4, bcrypt's least: the tests log in often, and the hash's strength is not tested.
          user.put("password_hash", BCrypt.withDefaults().hashToString(4, password.toCharArray()));
        });
    return process
        .withEnvironment("LADING_AUTH_MODE", "token")
        .withEnvironment("LADING_AUTH_USERS", users.toString())
        .withEnvironment("LADING_AUTH_RULES", Reply.JSON.valueToTree(rules).toString())
        .withEnvironment(
            "LADING_AUTH_ANONYMOUS_PULL", Reply.JSON.valueToTree(anonymousPull).toString());
  }

  /** {@code repository:<repo>:<actions>}, a scope as the token endpoint takes it. */
  public static String scope(String repo, String actions) {
    return "repository:" + repo + ":" + actions;
  }

  /**
   * {@code GET /auth/token} for {@code scopes} with {@code user}'s Basic credentials ({@link
   * #ANONYMOUS}: none, as docker asks for an anonymous pull), the raw answer.
   */
  public Reply tokenReply(RegistryProcess registry, String user, String... scopes) {
    StringBuilder path = new StringBuilder("/auth/token?service=" + SERVICE);
    for (String s : scopes) {
      path.append("&scope=").append(URLEncoder.encode(s, StandardCharsets.UTF_8));
    }
    if (ANONYMOUS.equals(user)) {
      return registry.client().get(path.toString());
    }
    String basic =
        Base64.getEncoder()
            .encodeToString((user + ":" + password(user)).getBytes(StandardCharsets.UTF_8));
    return registry.client().get(path.toString(), "Authorization", "Basic " + basic);
  }

  /**
   * {@code Bearer <token>} of {@code user} for {@code scopes}, fetched from {@code registry} once.
   */
  public String bearer(RegistryProcess registry, String user, String... scopes) {
    String key = registry.baseUri() + " " + user + " " + String.join(" ", scopes);
    return tokens.computeIfAbsent(
        key,
        k -> {
          Reply r = tokenReply(registry, user, scopes);
          assertThat(r.status()).as("token for %s: %s", user, r).isEqualTo(200);
          return "Bearer " + r.json().path("token").asText();
        });
  }

  /** {@code registry}'s client sending {@code user}'s token for {@code scopes} on every request. */
  public RegistryClient client(RegistryProcess registry, String user, String... scopes) {
    return registry.client().withHeaders("Authorization", bearer(registry, user, scopes));
  }

  /**
   * The challenge distribution's token auth answers a request without a (good enough) token with:
   * {@code Bearer realm="<origin>/auth/token",service="lading",scope="<scope>"}, then {@code
   * ,error="<error>"} when {@code error} is not null.
   */
  public static String challenge(RegistryProcess registry, String scope, String error) {
    String c =
        "Bearer realm=\""
            + registry.baseUri()
            + "/auth/token\",service=\""
            + SERVICE
            + "\",scope=\""
            + scope
            + "\"";
    return error == null ? c : c + ",error=\"" + error + "\"";
  }

  private String password(String user) {
    String p = passwords.get(user);
    if (p == null) {
      throw new IllegalArgumentException("no account " + user);
    }
    return p;
  }
}
