package dev.lading.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class TokenEndpointTest {
  @TempDir Path root;
  AuthFixture registry;
  ListAppender<ILoggingEvent> audit;

  @BeforeEach
  void start() {
    registry = new AuthFixture(root);
    Logger logger = (Logger) LoggerFactory.getLogger("lading.audit");
    logger.setLevel(ch.qos.logback.classic.Level.INFO);
    audit = new ListAppender<>();
    audit.start();
    logger.addAppender(audit);
  }

  @AfterEach
  void stop() {
    ((Logger) LoggerFactory.getLogger("lading.audit")).detachAppender(audit);
    registry.close();
  }

  @Test
  void baseEndpointChallengesWithoutScopeThenAcceptsAnyValidToken() throws Exception {
    HttpResponse<String> r = registry.send(registry.request("/v2/", null).GET().build());
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("WWW-Authenticate")).contains(
        "Bearer realm=\"http://127.0.0.1:" + registry.server.port() + "/auth/token\",service=\"lading.test\"");
    String anonymous = registry.token(null);
    assertThat(registry.send(registry.request("/v2/", anonymous).GET().build()).statusCode()).isEqualTo(200);
  }

  @Test
  void invalidTokenIsChallengedWithInvalidTokenError() throws Exception {
    HttpResponse<String> r = registry.send(registry.request("/v2/ml/vllm/tags/list", "not.a.jwt").GET().build());
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("WWW-Authenticate").orElseThrow())
        .endsWith("scope=\"repository:ml/vllm:pull\",error=\"invalid_token\"");
  }

  @Test
  void shortTokenOfAnAccountThatCouldHaveMoreGetsInsufficientScope() throws Exception {
    String pullOnly = registry.token("ml-builder", "repository:ml/vllm:pull");
    HttpResponse<String> r = registry.send(registry.request("/v2/ml/vllm/blobs/uploads/", pullOnly)
        .POST(HttpRequest.BodyPublishers.noBody()).build());
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("WWW-Authenticate").orElseThrow())
        .endsWith("scope=\"repository:ml/vllm:pull,push\",error=\"insufficient_scope\"");
  }

  @Test
  void tokenHoldsTheIntersectionOfAskedAndAllowed() throws Exception {
    HttpResponse<String> r = registry.tokenResponse("ml-builder", AuthFixture.SECRETS.get("ml-builder"),
        "repository:ml/vllm:pull,push,delete", "repository:other/app:pull,push");
    JsonNode body = registry.json(r.body());
    assertThat(body.get("expires_in").asInt()).isEqualTo(300);
    assertThat(body.get("issued_at").asText()).endsWith("Z");
    assertThat(body.get("access_token").asText()).isEqualTo(body.get("token").asText());
    assertThat(body.has("refresh_token")).isFalse();
    String payload = new String(java.util.Base64.getUrlDecoder().decode(body.get("token").asText().split("\\.")[1]),
        StandardCharsets.UTF_8);
    assertThat(registry.json(payload).get("access").toString())
        .isEqualTo("[{\"type\":\"repository\",\"name\":\"ml/vllm\",\"actions\":[\"pull\",\"push\"]}]");
  }

  @Test
  void oauthPasswordGrantReturnsARefreshTokenThatBuysNewAccessTokens() throws Exception {
    HttpResponse<String> login = postForm("grant_type=password&username=ml-builder&password="
        + URLEncoder.encode(AuthFixture.SECRETS.get("ml-builder"), StandardCharsets.UTF_8)
        + "&service=lading.test&client_id=docker&access_type=offline&scope="
        + URLEncoder.encode("repository:ml/a:pull,push", StandardCharsets.UTF_8));
    assertThat(login.statusCode()).isEqualTo(200);
    JsonNode body = registry.json(login.body());
    assertThat(body.get("scope").asText()).isEqualTo("repository:ml/a:pull,push");
    String refresh = body.get("refresh_token").asText();
    // The refresh token is no access token.
    assertThat(registry.send(registry.request("/v2/", refresh).GET().build()).statusCode()).isEqualTo(401);
    HttpResponse<String> again = postForm("grant_type=refresh_token&service=lading.test&client_id=docker&refresh_token="
        + refresh + "&scope=" + URLEncoder.encode("repository:ml/b:push other", StandardCharsets.UTF_8).replace("+other", ""));
    assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
    assertThat(registry.json(again.body()).get("scope").asText()).isEqualTo("repository:ml/b:push");
    HttpResponse<String> bad = postForm("grant_type=password&username=ml-builder&password=nope&service=lading.test");
    assertThat(bad.statusCode()).isEqualTo(401);
    assertThat(bad.body()).doesNotContain("nope");
  }

  @Test
  void bearerExchangeStaysWithinTheRulesAndNeverOutlivesThePresentedToken() throws Exception {
    String first = registry.token("ml-builder", "repository:ml/a:pull");
    HttpResponse<String> r = registry.send(registry.request("/auth/token?service=lading.test&scope="
        + URLEncoder.encode("repository:ml/a:pull,push", StandardCharsets.UTF_8) + "&scope="
        + URLEncoder.encode("repository:other/app:push", StandardCharsets.UTF_8), first).GET().build());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode body = registry.json(r.body());
    assertThat(body.get("expires_in").asLong()).isLessThanOrEqualTo(300);
    String payload = new String(java.util.Base64.getUrlDecoder().decode(body.get("token").asText().split("\\.")[1]),
        StandardCharsets.UTF_8);
    JsonNode claims = registry.json(payload);
    String firstPayload = new String(java.util.Base64.getUrlDecoder().decode(first.split("\\.")[1]), StandardCharsets.UTF_8);
    assertThat(claims.get("exp").asLong()).isLessThanOrEqualTo(registry.json(firstPayload).get("exp").asLong());
    assertThat(claims.get("access").toString())
        .isEqualTo("[{\"type\":\"repository\",\"name\":\"ml/a\",\"actions\":[\"pull\",\"push\"]}]");
    assertThat(registry.send(registry.request("/auth/token?service=lading.test", "forged.token.here").GET().build())
        .statusCode()).isEqualTo(401);
  }

  @Test
  void repeatedFailedLoginsAreRateLimitedWith429() throws Exception {
    for (int i = 0; i < 10; i++) {
      assertThat(registry.tokenResponse("reader", "guess-" + i).statusCode()).isEqualTo(401);
    }
    HttpResponse<String> r = registry.tokenResponse("reader", AuthFixture.SECRETS.get("reader"));
    assertThat(r.statusCode()).isEqualTo(429);
    assertThat(r.body()).contains("TOOMANYREQUESTS");
    assertThat(r.headers().firstValue("Retry-After")).isPresent();
  }

  @Test
  void tokenForAnotherServiceOrWithABadScopeIsRefused() throws Exception {
    HttpResponse<String> r = registry.send(registry.request("/auth/token?service=elsewhere", null).GET().build());
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
    String admin = registry.token("admin", "repository:ml/a:push,pull", "repository:other/b:push,pull", "repository:zeta/c:push,pull");
    byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
    for (String repo : List.of("ml/a", "other/b", "zeta/c")) {
      byte[] layer = repo.getBytes(StandardCharsets.UTF_8);
      assertThat(registry.pushBlob(repo, config, admin)).isEqualTo(201);
      assertThat(registry.pushBlob(repo, layer, admin)).isEqualTo(201);
      assertThat(registry.putManifest(repo, "v1", AuthFixture.manifest(
          AuthFixture.sha256(config), config.length, AuthFixture.sha256(layer), layer.length), admin)).isEqualTo(201);
    }
    assertThat(catalog(registry.token("ml-builder", "registry:catalog:*"))).containsExactly("ml/a");
    assertThat(catalog(registry.token(null, "registry:catalog:*"))).containsExactly("other/b");
    assertThat(catalog(registry.token("reader", "registry:catalog:*"))).containsExactly("ml/a", "other/b", "zeta/c");
    HttpResponse<String> noScope = registry.send(registry.request("/v2/_catalog", registry.token("reader")).GET().build());
    assertThat(noScope.statusCode()).isEqualTo(401);
    assertThat(noScope.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("scope=\"registry:catalog:*\"");
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
    registry.putManifest("ml/a", "latest", AuthFixture.manifest(AuthFixture.sha256(config), 2, AuthFixture.sha256(layer1), 3), t);
    registry.putManifest("ml/a", "latest", AuthFixture.manifest(AuthFixture.sha256(config), 2, AuthFixture.sha256(layer2), 3), t);
    registry.send(registry.request("/v2/ml/a/manifests/latest", t).DELETE().build());
    registry.send(registry.request("/v2/ml/a/manifests/latest", registry.token("reader")).DELETE().build());
    registry.tokenResponse("reader", "wrong-secret");

    List<String> lines = new ArrayList<>();
    audit.list.forEach(e -> lines.add(e.getFormattedMessage()));
    assertThat(lines).anyMatch(l -> l.startsWith("action=push-blob outcome=201 who=admin kind=user remote=/127.0.0.1")
        && l.contains("repository=ml/a digest=" + AuthFixture.sha256(layer1)));
    assertThat(lines).anyMatch(l -> l.startsWith("action=push-manifest outcome=201 who=admin") && l.contains("tag=latest"));
    assertThat(lines).anyMatch(l -> l.startsWith("action=tag-move outcome=201 who=admin") && l.contains("previous=sha256:"));
    assertThat(lines).anyMatch(l -> l.startsWith("action=delete-tag outcome=202 who=admin"));
    assertThat(lines).anyMatch(l -> l.startsWith("action=denied outcome=403 who=reader kind=user") && l.contains("repository=ml/a"));
    assertThat(lines).anyMatch(l -> l.startsWith("action=login outcome=401 who=reader"));
    assertThat(String.join("\n", lines)).doesNotContain(t).doesNotContain("wrong-secret").doesNotContain("$2");
  }

  private List<String> catalog(String token) throws Exception {
    HttpResponse<String> r = registry.send(registry.request("/v2/_catalog", token).GET().build());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    List<String> out = new ArrayList<>();
    registry.json(r.body()).get("repositories").forEach(n -> out.add(n.asText()));
    return out;
  }

  private HttpResponse<String> postForm(String form) throws Exception {
    return registry.send(registry.request("/auth/token", null)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form)).build());
  }
}
