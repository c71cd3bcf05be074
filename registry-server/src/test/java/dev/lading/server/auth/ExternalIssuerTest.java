package dev.lading.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.lading.auth.Principal;
import dev.lading.auth.Scope;
import dev.lading.auth.SigningKeys;
import dev.lading.auth.TokenIssuer;
import dev.lading.server.LadingServer;
import dev.lading.server.config.LadingConfig;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A registry that trusts an external issuer ({@code auth.token.external.jwks_url}): a second issuer
 * in this test, with its own RSA key, publishes its JWKS over a real socket. Its tokens work as
 * their {@code access} claims say; tokens of a built-in issuer, of another key, of the wrong issuer
 * or for another service are refused; the registry serves no token endpoint.
 */
class ExternalIssuerTest {
  static final String ISSUER = "idp.example";
  static final String SERVICE = "lading.test";

  @TempDir Path root;
  HttpServer idp;
  RSAKey idpKey;
  final AtomicInteger jwksFetches = new AtomicInteger();
  LadingServer registry;
  final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void start() throws Exception {
    idpKey =
        new RSAKeyGenerator(2048)
            .keyUse(KeyUse.SIGNATURE)
            .algorithm(JWSAlgorithm.RS256)
            .keyID(UUID.randomUUID().toString())
            .generate();
    byte[] jwks = new JWKSet(idpKey).toPublicJWKSet().toString().getBytes(StandardCharsets.UTF_8);
    idp = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    idp.createContext(
        "/jwks.json",
        exchange -> {
          jwksFetches.incrementAndGet();
          exchange.getResponseHeaders().set("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, jwks.length);
          exchange.getResponseBody().write(jwks);
          exchange.close();
        });
    idp.start();
    String base = "http://127.0.0.1:" + idp.getAddress().getPort();
    registry =
        LadingServer.start(
            LadingConfig.forTests(root)
                .withAuth(
                    LadingConfig.Auth.external(
                        SERVICE,
                        ISSUER,
                        URI.create(base + "/jwks.json"),
                        JWSAlgorithm.RS256,
                        base + "/token")));
  }

  @AfterEach
  void stop() {
    registry.close();
    idp.stop(0);
  }

  /** A token as the external issuer signs it (Distribution's token server shape). */
  String idpToken(RSAKey key, String issuer, String audience, String repo, String... actions)
      throws Exception {
    Instant now = Instant.now();
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(issuer)
            .subject("ci-bot")
            .audience(audience)
            .issueTime(Date.from(now))
            .notBeforeTime(Date.from(now))
            .expirationTime(Date.from(now.plusSeconds(300)))
            .jwtID(UUID.randomUUID().toString())
            .claim(
                "access",
                List.of(Map.of("type", "repository", "name", repo, "actions", List.of(actions))))
            .build();
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.RS256)
                .keyID(key.getKeyID())
                .type(JOSEObjectType.JWT)
                .build(),
            claims);
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }

  HttpResponse<String> pushBlob(String repo, String token) throws Exception {
    byte[] content = ("layer " + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
    return client.send(
        request("/v2/" + repo + "/blobs/uploads/?digest=" + AuthFixture.sha256(content), token)
            .POST(HttpRequest.BodyPublishers.ofByteArray(content))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> tags(String repo, String token) throws Exception {
    return client.send(
        request("/v2/" + repo + "/tags/list", token).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpRequest.Builder request(String path, String token) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + registry.port() + path));
    return token == null ? b : b.header("Authorization", "Bearer " + token);
  }

  @Test
  void tokensOfTheExternalIssuerWorkAsTheirAccessClaimSays() throws Exception {
    String push = idpToken(idpKey, ISSUER, SERVICE, "ml/x", "pull", "push");
    assertThat(pushBlob("ml/x", push).statusCode()).isEqualTo(201);
    assertThat(tags("ml/x", push).statusCode()).isEqualTo(404); // allowed: no tags yet
    assertThat(jwksFetches.get()).as("the JWKS came over the socket").isPositive();

    String pullOnly = idpToken(idpKey, ISSUER, SERVICE, "ml/x", "pull");
    HttpResponse<String> refused = pushBlob("ml/x", pullOnly);
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(refused.headers().firstValue("WWW-Authenticate").orElseThrow())
        .startsWith(
            "Bearer realm=\"http://127.0.0.1:"
                + idp.getAddress().getPort()
                + "/token\",service=\"lading.test\"")
        .endsWith("error=\"insufficient_scope\"");
    assertThat(tags("ml/other", push).statusCode()).isEqualTo(401);
  }

  @Test
  void builtInOtherKeyWrongIssuerAndOtherServiceTokensAreRefused() throws Exception {
    String builtIn =
        new TokenIssuer(
                SigningKeys.generate(),
                ISSUER,
                SERVICE,
                Duration.ofMinutes(5),
                Duration.ofDays(1),
                Clock.systemUTC())
            .issue(
                new Principal("ci-bot", Principal.Kind.USER),
                List.of(Scope.parse("repository:ml/x:pull,push")))
            .token();
    RSAKey stranger = new RSAKeyGenerator(2048).keyID(idpKey.getKeyID()).generate();
    Map<String, String> tokens =
        Map.of(
            "built-in issuer (ES256, same iss)", builtIn,
            "another RSA key under the issuer's kid",
                idpToken(stranger, ISSUER, SERVICE, "ml/x", "pull", "push"),
            "the issuer's key, wrong iss",
                idpToken(idpKey, "evil.example", SERVICE, "ml/x", "pull", "push"),
            "the issuer's key, another service",
                idpToken(idpKey, ISSUER, "other.registry", "ml/x", "pull", "push"));
    for (Map.Entry<String, String> t : tokens.entrySet()) {
      HttpResponse<String> r = pushBlob("ml/x", t.getValue());
      assertThat(r.statusCode()).as(t.getKey()).isEqualTo(401);
      assertThat(r.headers().firstValue("WWW-Authenticate").orElseThrow())
          .as(t.getKey())
          .endsWith("error=\"invalid_token\"");
      assertThat(tags("ml/x", t.getValue()).statusCode()).as(t.getKey()).isEqualTo(401);
    }
  }

  @Test
  void theRegistryServesNoTokenEndpointOfItsOwn() throws Exception {
    HttpResponse<String> r =
        client.send(
            request("/auth/token?service=lading.test", null).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(404);
    HttpResponse<String> jwks =
        client.send(
            request("/auth/jwks.json", null).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(jwks.statusCode()).isEqualTo(404);
  }
}
