package dev.lading.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import dev.lading.auth.Principal;
import dev.lading.auth.Scope;
import dev.lading.auth.SigningKeys;
import dev.lading.auth.TokenIssuer;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The issue's matrix over real sockets: every principal (good, bad and forged) × repository ×
 * action answers as the rules say, and every refused request leaves the store byte for byte as it
 * was.
 */
class AuthMatrixTest {
  @TempDir static Path root;
  static AuthFixture registry;

  static final List<String> REPOS = List.of("ml/vllm", "ml/deep/x", "other/app");
  static final String VAULT = "secret/vault";
  static final byte[] VAULT_BLOB = "vault-only layer".getBytes(StandardCharsets.UTF_8);
  static final Map<String, String> SEEDED_MANIFEST = new LinkedHashMap<>();

  enum Act {
    PULL,
    PUSH_BLOB,
    PUSH_MANIFEST,
    MOUNT_FROM_UNREADABLE,
    DELETE
  }

  /** Principals in an order that runs admin (who deletes) last. */
  static final List<String> PRINCIPALS =
      List.of(
          "ml-builder",
          "leaked-pull",
          "reader",
          "anonymous",
          "wrong-password",
          "expired-token",
          "other-key",
          "alg-none",
          "other-service",
          "admin");

  /** Rules of the fixture: who may pull, push, delete where. */
  static boolean may(String p, String repo, String action) {
    return switch (p) {
      case "admin" -> true;
      case "ml-builder" -> repo.startsWith("ml/") && !action.equals("delete");
      // ml-builder's pull-only token, leaked and presented at the token endpoint for everything.
      case "leaked-pull" -> repo.startsWith("ml/") && action.equals("pull");
      case "reader" -> action.equals("pull");
      case "anonymous" -> repo.startsWith("other/") && action.equals("pull");
      default -> false;
    };
  }

  static boolean known(String p) {
    return Set.of("admin", "ml-builder", "reader", "leaked-pull").contains(p);
  }

  /** The account whose rules the authorizer consults for {@code p}'s token. */
  static String account(String p) {
    return p.equals("leaked-pull") ? "ml-builder" : p;
  }

  @BeforeAll
  static void seed() throws Exception {
    registry = new AuthFixture(root);
    String admin = registry.token("admin", scopes(VAULT));
    assertThat(registry.pushBlob(VAULT, VAULT_BLOB, admin)).isEqualTo(201);
    for (String repo : REPOS) {
      String t = registry.token("admin", scopes(repo));
      byte[] config = ("{\"repo\":\"" + repo + "\"}").getBytes(StandardCharsets.UTF_8);
      byte[] layer = ("layer of " + repo).getBytes(StandardCharsets.UTF_8);
      assertThat(registry.pushBlob(repo, config, t)).isEqualTo(201);
      assertThat(registry.pushBlob(repo, layer, t)).isEqualTo(201);
      String m =
          AuthFixture.manifest(
              AuthFixture.sha256(config), config.length, AuthFixture.sha256(layer), layer.length);
      assertThat(registry.putManifest(repo, "v1", m, t)).isEqualTo(201);
      SEEDED_MANIFEST.put(repo, m);
    }
  }

  @AfterAll
  static void stop() {
    registry.close();
  }

  static String[] scopes(String repo) {
    return new String[] {
      "repository:" + repo + ":pull,push,delete", "repository:" + VAULT + ":pull"
    };
  }

  /** The bearer token each principal presents for {@code repo}; null for none. */
  static String tokenFor(String principal, String repo) throws Exception {
    SigningKeys serverKeys = SigningKeys.load(TokenAuth.defaultKeyFile(registry.server.config()));
    List<Scope> all = List.of(Scope.parse(scopes(repo)[0]), Scope.parse(scopes(repo)[1]));
    Principal admin = new Principal("admin", Principal.Kind.USER);
    return switch (principal) {
      case "admin", "ml-builder", "reader" -> registry.token(principal, scopes(repo));
      case "anonymous" -> registry.token(null, scopes(repo));
      case "leaked-pull" -> {
        String pullOnly = registry.token("ml-builder", "repository:" + repo + ":pull");
        StringBuilder q = new StringBuilder("/auth/token?service=" + AuthFixture.SERVICE);
        for (String s : scopes(repo)) {
          q.append("&scope=").append(URLEncoder.encode(s, StandardCharsets.UTF_8));
        }
        HttpResponse<String> r =
            registry.send(registry.request(q.toString(), pullOnly).GET().build());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        yield registry.json(r.body()).get("token").asText();
      }
      case "wrong-password" -> {
        HttpResponse<String> r = registry.tokenResponse("admin", "not-the-password", scopes(repo));
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).doesNotContain("token\"");
        yield null;
      }
      case "expired-token" -> {
        Clock past = Clock.fixed(Instant.now().minus(Duration.ofHours(2)), ZoneOffset.UTC);
        yield new TokenIssuer(
                serverKeys,
                "lading",
                AuthFixture.SERVICE,
                Duration.ofMinutes(5),
                Duration.ofDays(1),
                past)
            .issue(admin, all)
            .token();
      }
      case "other-key" ->
          new TokenIssuer(
                  SigningKeys.generate(),
                  "lading",
                  AuthFixture.SERVICE,
                  Duration.ofMinutes(5),
                  Duration.ofDays(1),
                  Clock.systemUTC())
              .issue(admin, all)
              .token();
      case "other-service" ->
          new TokenIssuer(
                  serverKeys,
                  "lading",
                  "another.registry",
                  Duration.ofMinutes(5),
                  Duration.ofDays(1),
                  Clock.systemUTC())
              .issue(admin, all)
              .token();
      case "alg-none" ->
          new PlainJWT(
                  new JWTClaimsSet.Builder()
                      .issuer("lading")
                      .subject("admin")
                      .audience(AuthFixture.SERVICE)
                      .issueTime(new Date())
                      .expirationTime(Date.from(Instant.now().plusSeconds(300)))
                      .jwtID("x")
                      .claim("kind", "user")
                      .claim(
                          "access",
                          List.of(
                              Map.of(
                                  "type",
                                  "repository",
                                  "name",
                                  repo,
                                  "actions",
                                  List.of("pull", "push", "delete"))))
                      .build())
              .serialize();
      default -> throw new IllegalArgumentException(principal);
    };
  }

  @Test
  void everyCellAnswersAsTheRulesSayAndRefusalsChangeNothing() throws Exception {
    SoftAssertions soft = new SoftAssertions();
    List<String> cells = new ArrayList<>();
    Map<String, String> tokens = new HashMap<>();
    for (Act act : Act.values()) {
      for (String repo : REPOS) {
        for (String p : PRINCIPALS) {
          // Once per principal and repository: the wrong password would otherwise trip the login
          // limit.
          String key = p + " " + repo;
          if (!tokens.containsKey(key)) {
            tokens.put(key, tokenFor(p, repo));
          }
          String token = tokens.get(key);
          String cell = p + " × " + repo + " × " + act;
          boolean allowed =
              switch (act) {
                case PULL -> may(p, repo, "pull");
                case PUSH_BLOB, PUSH_MANIFEST, MOUNT_FROM_UNREADABLE ->
                    may(p, repo, "pull") && may(p, repo, "push");
                case DELETE -> may(p, repo, "delete");
              };
          int expected;
          if (allowed) {
            expected =
                switch (act) {
                  case PULL -> 200;
                  case PUSH_BLOB, PUSH_MANIFEST -> 201;
                  case MOUNT_FROM_UNREADABLE -> may(p, VAULT, "pull") ? 201 : 202;
                  case DELETE -> 202;
                };
          } else if (!known(p)) {
            expected = 401;
          } else {
            // A known account's token that lacks an action its rules grant is told to fetch a
            // new token (401 insufficient_scope); one the rules refuse is 403.
            boolean rulesWouldAllow =
                switch (act) {
                  case PULL -> may(account(p), repo, "pull");
                  case PUSH_BLOB, PUSH_MANIFEST, MOUNT_FROM_UNREADABLE ->
                      may(account(p), repo, "pull") && may(account(p), repo, "push");
                  case DELETE -> may(account(p), repo, "delete");
                };
            expected = rulesWouldAllow ? 401 : 403;
          }
          Map<String, Long> before = registry.storeSnapshot();
          HttpResponse<String> r = perform(act, repo, p, token);
          cells.add(cell + " -> " + r.statusCode());
          soft.assertThat(r.statusCode()).as(cell + " " + r.body()).isEqualTo(expected);
          if (!allowed) {
            soft.assertThat(registry.storeSnapshot())
                .as(cell + " changed the store")
                .isEqualTo(before);
            if (expected == 401) {
              String challenge = r.headers().firstValue("WWW-Authenticate").orElse("");
              soft.assertThat(challenge)
                  .as(cell + " challenge")
                  .startsWith(
                      "Bearer realm=\"http://127.0.0.1:"
                          + registry.server.port()
                          + "/auth/token\",service=\"lading.test\",scope=\"repository:"
                          + repo
                          + ":");
              soft.assertThat(r.body()).as(cell).contains("\"UNAUTHORIZED\"");
            } else {
              soft.assertThat(r.body()).as(cell).contains("\"DENIED\"");
            }
          }
          if (act == Act.MOUNT_FROM_UNREADABLE && expected == 202) {
            HttpResponse<String> head =
                registry.send(
                    registry
                        .request(
                            "/v2/" + repo + "/blobs/" + AuthFixture.sha256(VAULT_BLOB),
                            registry.token("admin", scopes(repo)))
                        .method("HEAD", HttpRequest.BodyPublishers.noBody())
                        .build());
            soft.assertThat(head.statusCode())
                .as(cell + ": the unreadable blob was linked")
                .isEqualTo(404);
          }
        }
      }
    }
    soft.assertAll();
    assertThat(cells).hasSize(Act.values().length * REPOS.size() * PRINCIPALS.size());
  }

  private static HttpResponse<String> perform(Act act, String repo, String p, String token)
      throws Exception {
    return switch (act) {
      case PULL ->
          registry.send(
              registry
                  .request("/v2/" + repo + "/manifests/v1", token)
                  .header("Accept", "application/vnd.oci.image.manifest.v1+json")
                  .GET()
                  .build());
      case PUSH_BLOB -> {
        byte[] content = ("blob by " + p + " in " + repo).getBytes(StandardCharsets.UTF_8);
        yield registry.send(
            registry
                .request(
                    "/v2/" + repo + "/blobs/uploads/?digest=" + AuthFixture.sha256(content), token)
                .POST(HttpRequest.BodyPublishers.ofByteArray(content))
                .build());
      }
      case PUSH_MANIFEST ->
          registry.send(
              registry
                  .request("/v2/" + repo + "/manifests/by-" + p, token)
                  .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                  .PUT(HttpRequest.BodyPublishers.ofString(SEEDED_MANIFEST.get(repo)))
                  .build());
      case MOUNT_FROM_UNREADABLE ->
          registry.send(
              registry
                  .request(
                      "/v2/"
                          + repo
                          + "/blobs/uploads/?mount="
                          + AuthFixture.sha256(VAULT_BLOB)
                          + "&from="
                          + VAULT,
                      token)
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build());
      case DELETE ->
          registry.send(registry.request("/v2/" + repo + "/manifests/v1", token).DELETE().build());
    };
  }
}
