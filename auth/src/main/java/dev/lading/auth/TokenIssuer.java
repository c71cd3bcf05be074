package dev.lading.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.factories.DefaultJWSSignerFactory;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Signs tokens with the current key. An access token carries the Docker token claims ({@code iss},
 * {@code sub}, {@code aud} = the service, {@code exp}, {@code nbf}, {@code iat}, {@code jti},
 * {@code access}) plus {@code kind} (user, robot, anonymous) for the audit log. A refresh token is
 * a long-lived signed JWT with {@code token_use: refresh} and no {@code access}: it proves a past
 * login, and the rules are applied again each time it is exchanged, so a rule change or a removed
 * account takes effect at the next access token.
 */
public final class TokenIssuer {
  /** Clients older than the spec's note treat less than 60 s as 60 s anyway. */
  public static final Duration MIN_TTL = Duration.ofSeconds(60);

  private final KeyRing keys;

  /** The signer of the current key, rebuilt when a reload brings a new set. */
  private volatile Signing signing;

  private final String issuer;
  private final String service;
  private final Duration ttl;
  private final Duration refreshTtl;
  private final Clock clock;

  private record Signing(SigningKeys keys, JWSSigner signer) {
    static Signing of(SigningKeys keys) {
      try {
        return new Signing(
            keys, new DefaultJWSSignerFactory().createJWSSigner(keys.current(), keys.algorithm()));
      } catch (JOSEException e) {
        throw new IllegalArgumentException(
            "cannot sign with the current key: " + e.getMessage(), e);
      }
    }
  }

  public TokenIssuer(
      SigningKeys keys,
      String issuer,
      String service,
      Duration ttl,
      Duration refreshTtl,
      Clock clock) {
    this(KeyRing.fixed(keys), issuer, service, ttl, refreshTtl, clock);
  }

  /** Signs with whatever {@code keys} holds as current at each issue (it changes on rotation). */
  public TokenIssuer(
      KeyRing keys, String issuer, String service, Duration ttl, Duration refreshTtl, Clock clock) {
    this.keys = Objects.requireNonNull(keys, "keys");
    this.issuer = requireText(issuer, "issuer");
    this.service = requireText(service, "service");
    if (ttl.compareTo(MIN_TTL) < 0 || refreshTtl.compareTo(ttl) < 0) {
      throw new IllegalArgumentException("ttl must be >= 60 s and the refresh ttl >= ttl");
    }
    this.ttl = ttl;
    this.refreshTtl = refreshTtl;
    this.clock = clock;
    this.signing = Signing.of(keys.keys());
  }

  public String service() {
    return service;
  }

  public String issuer() {
    return issuer;
  }

  /** An access token holding exactly {@code granted} (already intersected with the rules). */
  public IssuedToken issue(Principal principal, List<Scope> granted) {
    return issue(principal, granted, Instant.MAX);
  }

  /**
   * An access token that expires no later than {@code notAfter}: used when a client exchanges a
   * still-valid access token for another scope, so an exchange never extends a token's life.
   */
  public IssuedToken issue(Principal principal, List<Scope> granted, Instant notAfter) {
    Instant now = clock.instant();
    Duration life = notAfter.isBefore(now.plus(ttl)) ? Duration.between(now, notAfter) : ttl;
    if (life.isNegative() || life.isZero()) {
      throw new IllegalArgumentException("the token to exchange has expired");
    }
    JWTClaimsSet.Builder claims =
        base(principal, now, life)
            .notBeforeTime(Date.from(now))
            .claim(TokenClaims.ACCESS, accessClaim(granted));
    return new IssuedToken(sign(claims.build()), now, life, granted);
  }

  public IssuedToken issueRefresh(Principal principal) {
    if (principal.anonymous()) {
      throw new IllegalArgumentException("anonymous callers get no refresh token");
    }
    Instant now = clock.instant();
    JWTClaimsSet claims =
        base(principal, now, refreshTtl).claim(TokenClaims.TOKEN_USE, TokenClaims.REFRESH).build();
    return new IssuedToken(sign(claims), now, refreshTtl, List.of());
  }

  private JWTClaimsSet.Builder base(Principal principal, Instant now, Duration life) {
    return new JWTClaimsSet.Builder()
        .issuer(issuer)
        .subject(principal.name())
        .audience(service)
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plus(life)))
        .jwtID(UUID.randomUUID().toString())
        .claim(TokenClaims.KIND, principal.kind().wire());
  }

  private String sign(JWTClaimsSet claims) {
    Signing s = signing;
    SigningKeys now = keys.keys();
    if (s.keys() != now) {
      s = Signing.of(now);
      signing = s;
    }
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(now.algorithm())
                .keyID(now.current().getKeyID())
                .type(JOSEObjectType.JWT)
                .build(),
            claims);
    try {
      jwt.sign(s.signer());
    } catch (JOSEException e) {
      throw new IllegalStateException("signing failed", e);
    }
    return jwt.serialize();
  }

  static List<Object> accessClaim(List<Scope> scopes) {
    List<Object> out = new ArrayList<>();
    for (Scope s : scopes) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("type", s.resource().type());
      entry.put("name", s.resource().name());
      entry.put("actions", s.actions().stream().sorted().map(Action::wire).toList());
      out.add(entry);
    }
    return out;
  }

  private static String requireText(String s, String what) {
    if (s == null
        || s.isBlank()
        || s.chars().anyMatch(c -> c < 0x20 || c == '"' || c == '\\' || c > 0x7e)) {
      throw new IllegalArgumentException(
          what + " must be printable ASCII without quotes or backslashes");
    }
    return s;
  }
}
