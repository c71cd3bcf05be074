package dev.lading.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lading.auth.LoginLimiter;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenEndpointTest {
  @TempDir Path root;
  AuthFixture registry;
  AuditCapture audit;

  @BeforeEach
  void start() {
    registry = new AuthFixture(root);
    audit = new AuditCapture();
  }

  @AfterEach
  void stop() {
    audit.close();
    registry.close();
  }

  @Test
  void baseEndpointChallengesWithoutScopeThenAcceptsAnyValidToken() throws Exception {
    HttpResponse<String> r = registry.send(registry.request("/v2/", null).GET().build());
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("WWW-Authenticate"))
        .contains(
            "Bearer realm=\"http://127.0.0.1:"
                + registry.server.port()
                + "/auth/token\",service=\"lading.test\"");
    String anonymous = registry.token(null);
    assertThat(registry.send(registry.request("/v2/", anonymous).GET().build()).statusCode())
        .isEqualTo(200);
  }

  @Test
  void invalidTokenIsChallengedWithInvalidTokenError() throws Exception {
    HttpResponse<String> r =
        registry.send(registry.request("/v2/ml/vllm/tags/list", "not.a.jwt").GET().build());
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("WWW-Authenticate").orElseThrow())
        .endsWith("scope=\"repository:ml/vllm:pull\",error=\"invalid_token\"");
  }

  @Test
  void shortTokenOfAnAccountThatCouldHaveMoreGetsInsufficientScope() throws Exception {
    String pullOnly = registry.token("ml-builder", "repository:ml/vllm:pull");
    HttpResponse<String> r =
        registry.send(
            registry
                .request("/v2/ml/vllm/blobs/uploads/", pullOnly)
                .POST(HttpRequest.BodyPublishers.noBody())
                .build());
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("WWW-Authenticate").orElseThrow())
        .endsWith("scope=\"repository:ml/vllm:pull,push\",error=\"insufficient_scope\"");
  }

  @Test
  void tokenHoldsTheIntersectionOfAskedAndAllowed() throws Exception {
    HttpResponse<String> r =
        registry.tokenResponse(
            "ml-builder",
            AuthFixture.SECRETS.get("ml-builder"),
            "repository:ml/vllm:pull,push,delete",
            "repository:other/app:pull,push");
    JsonNode body = registry.json(r.body());
    assertThat(body.get("expires_in").asInt()).isEqualTo(300);
    assertThat(body.get("issued_at").asText()).endsWith("Z");
    assertThat(body.get("access_token").asText()).isEqualTo(body.get("token").asText());
    assertThat(body.has("refresh_token")).isFalse();
    String payload =
        new String(
            Base64.getUrlDecoder().decode(body.get("token").asText().split("\\.")[1]),
            StandardCharsets.UTF_8);
    assertThat(registry.json(payload).get("access").toString())
        .isEqualTo(
            "[{\"type\":\"repository\",\"name\":\"ml/vllm\",\"actions\":[\"pull\",\"push\"]}]");
  }

  @Test
  void oauthPasswordGrantReturnsARefreshTokenThatBuysNewAccessTokens() throws Exception {
    HttpResponse<String> login =
        postForm(
            "grant_type=password&username=ml-builder&password="
                + URLEncoder.encode(AuthFixture.SECRETS.get("ml-builder"), StandardCharsets.UTF_8)
                + "&service=lading.test&client_id=docker&access_type=offline&scope="
                + URLEncoder.encode("repository:ml/a:pull,push", StandardCharsets.UTF_8));
    assertThat(login.statusCode()).isEqualTo(200);
    JsonNode body = registry.json(login.body());
    assertThat(body.get("scope").asText()).isEqualTo("repository:ml/a:pull,push");
    String refresh = body.get("refresh_token").asText();
    // The refresh token is no access token.
    assertThat(registry.send(registry.request("/v2/", refresh).GET().build()).statusCode())
        .isEqualTo(401);
    HttpResponse<String> again =
        postForm(
            "grant_type=refresh_token&service=lading.test&client_id=docker&refresh_token="
                + refresh
                + "&scope="
                + URLEncoder.encode("repository:ml/b:push other", StandardCharsets.UTF_8)
                    .replace("+other", ""));
    assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
    assertThat(registry.json(again.body()).get("scope").asText()).isEqualTo("repository:ml/b:push");
    HttpResponse<String> bad =
        postForm("grant_type=password&username=ml-builder&password=nope&service=lading.test");
    assertThat(bad.statusCode()).isEqualTo(401);
    assertThat(bad.body()).doesNotContain("nope");
  }

  @Test
  void bearerExchangeNeverWidensThePresentedTokenNorOutlivesIt() throws Exception {
    String pullOnly = registry.token("ml-builder", "repository:ml/a:pull");
    HttpResponse<String> r =
        exchange(
            pullOnly,
            "repository:ml/a:pull,push,delete",
            "repository:ml/b:pull,push",
            "repository:other/app:push",
            "registry:catalog:*");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode body = registry.json(r.body());
    assertThat(body.get("expires_in").asLong()).isLessThanOrEqualTo(300);
    String exchanged = body.get("token").asText();
    assertThat(claims(exchanged).get("exp").asLong())
        .isLessThanOrEqualTo(claims(pullOnly).get("exp").asLong());
    assertThat(claims(exchanged).get("access").toString())
        .isEqualTo("[{\"type\":\"repository\",\"name\":\"ml/a\",\"actions\":[\"pull\"]}]");

    // Exchanging the exchanged token again gains nothing either.
    String twice =
        registry
            .json(exchange(exchanged, "repository:ml/a:pull,push").body())
            .get("token")
            .asText();
    assertThat(claims(twice).get("access").toString())
        .isEqualTo("[{\"type\":\"repository\",\"name\":\"ml/a\",\"actions\":[\"pull\"]}]");

    // And the registry refuses the push: the robot could push with its secret, so 401 says "log
    // in".
    Map<String, Long> before = registry.storeSnapshot();
    byte[] content = "escalated".getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> push =
        registry.send(
            registry
                .request("/v2/ml/a/blobs/uploads/?digest=" + AuthFixture.sha256(content), twice)
                .POST(HttpRequest.BodyPublishers.ofByteArray(content))
                .build());
    assertThat(push.statusCode()).isEqualTo(401);
    assertThat(push.headers().firstValue("WWW-Authenticate").orElseThrow())
        .endsWith("error=\"insufficient_scope\"");
    assertThat(registry.storeSnapshot()).isEqualTo(before);
  }

  @Test
  void bearerExchangeKeepsWhatThePresentedTokenHoldsSoTheOrasSdkCanRepeatItsAsk() throws Exception {
    String pushToken = registry.token("ml-builder", "repository:ml/a:pull,push");
    HttpResponse<String> r = exchange(pushToken, "repository:ml/a:pull,push");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(claims(registry.json(r.body()).get("token").asText()).get("access").toString())
        .isEqualTo("[{\"type\":\"repository\",\"name\":\"ml/a\",\"actions\":[\"pull\",\"push\"]}]");
  }

  @Test
  void anonymousTokenExchangeStaysAnonymousAndWithinItsToken() throws Exception {
    String anonymous = registry.token(null, "repository:other/app:pull");
    HttpResponse<String> r =
        exchange(anonymous, "repository:other/app:pull,push", "repository:ml/a:pull");
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode claims = claims(registry.json(r.body()).get("token").asText());
    assertThat(claims.get("kind").asText()).isEqualTo("anonymous");
    assertThat(claims.get("access").toString())
        .isEqualTo("[{\"type\":\"repository\",\"name\":\"other/app\",\"actions\":[\"pull\"]}]");
  }

  @Test
  void forgedOrRefreshTokensAreNoBearerForTheTokenEndpoint() throws Exception {
    assertThat(exchange("forged.token.here", "repository:ml/a:pull").statusCode()).isEqualTo(401);
    HttpResponse<String> login =
        postForm(
            "grant_type=password&username=ml-builder&password="
                + URLEncoder.encode(AuthFixture.SECRETS.get("ml-builder"), StandardCharsets.UTF_8)
                + "&service=lading.test");
    String refresh = registry.json(login.body()).get("refresh_token").asText();
    assertThat(exchange(refresh, "repository:ml/a:pull,push").statusCode()).isEqualTo(401);
  }

  private HttpResponse<String> exchange(String bearer, String... scopes) throws Exception {
    StringBuilder q = new StringBuilder("/auth/token?service=lading.test");
    for (String s : scopes) {
      q.append("&scope=").append(URLEncoder.encode(s, StandardCharsets.UTF_8));
    }
    return registry.send(registry.request(q.toString(), bearer).GET().build());
  }

  private JsonNode claims(String jwt) throws Exception {
    return registry.json(
        new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]), StandardCharsets.UTF_8));
  }

  @Test
  void failedLoginsPastTheFreeOnesHoldTheNextOneFromThatAddressBackWith429() throws Exception {
    for (int i = 0; i <= LoginLimiter.FREE_FAILURES; i++) {
      assertThat(registry.tokenResponse("reader", "guess-" + i).statusCode()).isEqualTo(401);
    }
    HttpResponse<String> r = registry.tokenResponse("reader", AuthFixture.SECRETS.get("reader"));
    assertThat(r.statusCode()).isEqualTo(429);
    assertThat(r.body()).contains("TOOMANYREQUESTS");
    assertThat(r.headers().firstValue("Retry-After")).contains("1");
  }

  @Test
  void tokenForAnotherServiceOrWithABadScopeIsRefused() throws Exception {
    HttpResponse<String> r =
        registry.send(registry.request("/auth/token?service=elsewhere", null).GET().build());
    assertThat(r.statusCode()).isEqualTo(400);
    r = registry.send(registry.request("/auth/token?scope=repository:ML:pull", null).GET().build());
    assertThat(r.statusCode()).isEqualTo(400);
  }

  @Test
  void jwksPublishesOnlyPublicKeys() throws Exception {
    HttpResponse<String> r = registry.send(registry.request("/auth/jwks.json", null).GET().build());
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode key = registry.json(r.body()).get("keys").get(0);
    assertThat(key.get("kty").asText()).isEqualTo("EC");
    assertThat(key.has("d")).isFalse();
  }

  @Test
  void catalogListsOnlyWhatTheCallerMayPull() throws Exception {
    String admin =
        registry.token(
            "admin",
            "repository:ml/a:push,pull",
            "repository:other/b:push,pull",
            "repository:zeta/c:push,pull");
    byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
    for (String repo : List.of("ml/a", "other/b", "zeta/c")) {
      byte[] layer = repo.getBytes(StandardCharsets.UTF_8);
      assertThat(registry.pushBlob(repo, config, admin)).isEqualTo(201);
      assertThat(registry.pushBlob(repo, layer, admin)).isEqualTo(201);
      assertThat(
              registry.putManifest(
                  repo,
                  "v1",
                  AuthFixture.manifest(
                      AuthFixture.sha256(config),
                      config.length,
                      AuthFixture.sha256(layer),
                      layer.length),
                  admin))
          .isEqualTo(201);
    }
    assertThat(catalog(registry.token("ml-builder", "registry:catalog:*"))).containsExactly("ml/a");
    assertThat(catalog(registry.token(null, "registry:catalog:*"))).containsExactly("other/b");
    assertThat(catalog(registry.token("reader", "registry:catalog:*")))
        .containsExactly("ml/a", "other/b", "zeta/c");
    HttpResponse<String> noScope =
        registry.send(registry.request("/v2/_catalog", registry.token("reader")).GET().build());
    assertThat(noScope.statusCode()).isEqualTo(401);
    assertThat(noScope.headers().firstValue("WWW-Authenticate").orElseThrow())
        .contains("scope=\"registry:catalog:*\"");
  }

  @Test
  void auditLogRecordsPushesTagMovesDeletesAndRefusalsWithoutSecrets() throws Exception {
    String t = registry.token("admin", "repository:ml/a:pull,push,delete");
    byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
    byte[] layer1 = "one".getBytes(StandardCharsets.UTF_8);
    byte[] layer2 = "two".getBytes(StandardCharsets.UTF_8);
    for (byte[] b : List.of(config, layer1, layer2)) {
      registry.pushBlob("ml/a", b, t);
    }
    registry.putManifest(
        "ml/a",
        "latest",
        AuthFixture.manifest(AuthFixture.sha256(config), 2, AuthFixture.sha256(layer1), 3),
        t);
    registry.putManifest(
        "ml/a",
        "latest",
        AuthFixture.manifest(AuthFixture.sha256(config), 2, AuthFixture.sha256(layer2), 3),
        t);
    registry.send(registry.request("/v2/ml/a/manifests/latest", t).DELETE().build());
    registry.send(
        registry.request("/v2/ml/a/manifests/latest", registry.token("reader")).DELETE().build());
    registry.tokenResponse("reader", "wrong-secret");

    List<String> lines = audit.drain();
    assertThat(lines)
        .anyMatch(
            l ->
                l.startsWith("action=push-blob outcome=201 who=admin kind=user remote=/127.0.0.1")
                    && l.contains("repository=ml/a digest=" + AuthFixture.sha256(layer1)));
    assertThat(lines)
        .anyMatch(
            l ->
                l.startsWith("action=push-manifest outcome=201 who=admin")
                    && l.contains("tag=latest"));
    assertThat(lines)
        .anyMatch(
            l ->
                l.startsWith("action=tag-move outcome=201 who=admin")
                    && l.contains("previous=sha256:"));
    assertThat(lines).anyMatch(l -> l.startsWith("action=delete-tag outcome=202 who=admin"));
    assertThat(lines)
        .anyMatch(
            l ->
                l.startsWith("action=denied outcome=403 who=reader kind=user")
                    && l.contains("repository=ml/a"));
    assertThat(lines).anyMatch(l -> l.startsWith("action=login outcome=401 who=reader"));
    assertThat(String.join("\n", lines))
        .doesNotContain(t)
        .doesNotContain("wrong-secret")
        .doesNotContain("$2");
  }

  private List<String> catalog(String token) throws Exception {
    HttpResponse<String> r = registry.send(registry.request("/v2/_catalog", token).GET().build());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    List<String> out = new ArrayList<>();
    registry.json(r.body()).get("repositories").forEach(n -> out.add(n.asText()));
    return out;
  }

  private HttpResponse<String> postForm(String form) throws Exception {
    return registry.send(
        registry
            .request("/auth/token", null)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form))
            .build());
  }
}
