package dev.lading.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenIssueAndVerifyTest {
  private static final Principal ROBOT = new Principal("ml-builder", Principal.Kind.ROBOT);
  private static final List<Scope> PUSH_VLLM = List.of(Scope.parse("repository:ml/vllm:pull,push"));

  private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T12:00:00Z"));
  private final SigningKeys keys = SigningKeys.generate();
  private final TokenIssuer issuer = issuer(keys, "lading", "registry.test");
  private final TokenVerifier verifier =
      TokenVerifier.forKeys(keys, "lading", "registry.test", clock);

  private TokenIssuer issuer(SigningKeys k, String iss, String service) {
    return new TokenIssuer(k, iss, service, Duration.ofMinutes(5), Duration.ofDays(30), clock);
  }

  @Test
  void issuedTokenVerifiesWithExactlyItsGrant() throws Exception {
    AccessGrant grant = verifier.verify(issuer.issue(ROBOT, PUSH_VLLM).token());
    assertThat(grant.subject()).isEqualTo("ml-builder");
    assertThat(grant.kind()).isEqualTo(Principal.Kind.ROBOT);
    assertThat(grant.allows(RepositoryName.parse("ml/vllm"), Action.PUSH)).isTrue();
    assertThat(grant.allows(RepositoryName.parse("ml/vllm"), Action.DELETE)).isFalse();
    assertThat(grant.allows(RepositoryName.parse("ml/other"), Action.PULL)).isFalse();
    assertThat(grant.allowsCatalog()).isFalse();
  }

  @Test
  void expiredTokenIsRejectedAfterTheSkew() throws Exception {
    String token = issuer.issue(ROBOT, PUSH_VLLM).token();
    clock.advance(Duration.ofMinutes(5).plus(TokenVerifier.CLOCK_SKEW).minusSeconds(1));
    verifier.verify(token); // inside the skew, and now cached
    clock.advance(Duration.ofSeconds(2));
    assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(TokenRejectedException.class);
    TokenVerifier fresh = TokenVerifier.forKeys(keys, "lading", "registry.test", clock);
    assertThatThrownBy(() -> fresh.verify(token)).isInstanceOf(TokenRejectedException.class);
  }

  @Test
  void tokenNotYetValidIsRejected() throws Exception {
    MutableClock future = new MutableClock(clock.instant().plus(Duration.ofMinutes(2)));
    String token =
        new TokenIssuer(
                keys, "lading", "registry.test", Duration.ofMinutes(5), Duration.ofDays(1), future)
            .issue(ROBOT, PUSH_VLLM)
            .token();
    assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(TokenRejectedException.class);
  }

  @Test
  void wrongAudienceOrIssuerIsRejected() {
    assertThatThrownBy(
            () ->
                verifier.verify(
                    issuer(keys, "lading", "other.service").issue(ROBOT, PUSH_VLLM).token()))
        .isInstanceOf(TokenRejectedException.class);
    assertThatThrownBy(
            () ->
                verifier.verify(
                    issuer(keys, "evil", "registry.test").issue(ROBOT, PUSH_VLLM).token()))
        .isInstanceOf(TokenRejectedException.class);
  }

  @Test
  void tokenSignedByAnotherKeyIsRejected() {
    String token =
        issuer(SigningKeys.generate(), "lading", "registry.test").issue(ROBOT, PUSH_VLLM).token();
    assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(TokenRejectedException.class);
  }

  @Test
  void unsecuredAlgNoneTokenIsRejected() {
    String token = new PlainJWT(claims()).serialize();
    assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(TokenRejectedException.class);
    // The same with a signature-looking tail appended.
    assertThatThrownBy(() -> verifier.verify(token + "AAAA"))
        .isInstanceOf(TokenRejectedException.class);
  }

  @Test
  void hs256TokenKeyedWithThePublicKeyIsRejected() throws Exception {
    byte[] secret =
        keys.publicSet().getKeys().get(0).toJSONString().getBytes(StandardCharsets.UTF_8);
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(keys.current().getKeyID()).build(),
            claims());
    jwt.sign(new MACSigner(secret));
    assertThatThrownBy(() -> verifier.verify(jwt.serialize()))
        .isInstanceOf(TokenRejectedException.class);
  }

  @Test
  void tamperedPayloadIsRejected() {
    String[] parts = issuer.issue(ROBOT, PUSH_VLLM).token().split("\\.");
    String payload =
        new String(Base64URL.from(parts[1]).decode(), StandardCharsets.UTF_8)
            .replace("ml/vllm", "ml/other");
    String forged = parts[0] + "." + Base64URL.encode(payload) + "." + parts[2];
    assertThatThrownBy(() -> verifier.verify(forged)).isInstanceOf(TokenRejectedException.class);
  }

  @Test
  void refreshAndAccessTokensCannotPassForEachOther() throws Exception {
    String refresh = issuer.issueRefresh(ROBOT).token();
    String access = issuer.issue(ROBOT, PUSH_VLLM).token();
    assertThatThrownBy(() -> verifier.verify(refresh)).isInstanceOf(TokenRejectedException.class);
    assertThatThrownBy(() -> verifier.verifyRefresh(access))
        .isInstanceOf(TokenRejectedException.class);
    assertThat(verifier.verifyRefresh(refresh).subject()).isEqualTo("ml-builder");
  }

  @Test
  void previousKeyStillVerifiesAfterRotationAndIsPublished() throws Exception {
    String oldToken = issuer.issue(ROBOT, PUSH_VLLM).token();
    SigningKeys rotated = keys.rotate();
    TokenVerifier after = TokenVerifier.forKeys(rotated, "lading", "registry.test", clock);
    assertThat(after.verify(oldToken).subject()).isEqualTo("ml-builder");
    assertThat(
            after
                .verify(issuer(rotated, "lading", "registry.test").issue(ROBOT, PUSH_VLLM).token())
                .subject())
        .isEqualTo("ml-builder");
    assertThat(rotated.publicSet().getKeys()).hasSize(2).allMatch(k -> !k.isPrivate());
    // A second rotation drops the oldest key.
    assertThatThrownBy(
            () ->
                TokenVerifier.forKeys(rotated.rotate(), "lading", "registry.test", clock)
                    .verify(oldToken))
        .isInstanceOf(TokenRejectedException.class);
  }

  @Test
  void externalIssuerTokensVerifyAgainstItsPublicKeys() throws Exception {
    TokenVerifier external =
        TokenVerifier.forExternal(
            keys.publicSet(), JWSAlgorithm.ES256, "lading", "registry.test", clock);
    assertThat(external.verify(issuer.issue(ROBOT, PUSH_VLLM).token()).kind())
        .isEqualTo(Principal.Kind.ROBOT);
    assertThatThrownBy(
            () -> TokenVerifier.forExternal(keys.publicSet(), JWSAlgorithm.HS256, "x", "y", clock))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void keyFileIsCreatedOwnerOnlyAndReloadedUnchanged(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("auth/signing-keys.jwks");
    SigningKeys created = SigningKeys.loadOrCreate(file);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    SigningKeys again = SigningKeys.loadOrCreate(file);
    assertThat(again.current().getKeyID()).isEqualTo(created.current().getKeyID());
    try (var listing = Files.list(file.getParent())) {
      assertThat(listing).hasSize(1);
    }
  }

  private JWTClaimsSet claims() {
    Instant now = clock.instant();
    return new JWTClaimsSet.Builder()
        .issuer("lading")
        .subject("ml-builder")
        .audience("registry.test")
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plusSeconds(300)))
        .jwtID("x")
        .claim(
            "access",
            TokenIssuer.accessClaim(List.of(Scope.parse("repository:ml/vllm:pull,push,delete"))))
        .build();
  }
}
