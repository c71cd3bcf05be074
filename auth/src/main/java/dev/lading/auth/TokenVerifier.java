package dev.lading.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.lading.core.model.RepositoryName;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Verifies bearer tokens with Nimbus's {@link DefaultJWTProcessor}: the key selector is pinned to
 * ONE asymmetric algorithm, so a token with {@code alg: none} (rejected as unsecured) or an HMAC
 * algorithm keyed with the public key (no key for that algorithm) cannot pass; the claims verifier
 * demands the exact issuer, the service as audience, {@code exp} (and honours {@code nbf}) with a
 * small clock skew, and {@code sub}, {@code iat} and {@code jti}.
 *
 * <p>Clients send the same token with every request of a push (one per chunk), so a verified
 * token's grant is cached by its exact text until it expires; expiry is re-checked on every hit.
 */
public final class TokenVerifier {
  /** How far apart the issuer's and the registry's clocks may be. */
  public static final Duration CLOCK_SKEW = Duration.ofSeconds(30);

  private static final int MAX_TOKEN_CHARS = 16 * 1024;

  private final DefaultJWTProcessor<SecurityContext> access;
  private final DefaultJWTProcessor<SecurityContext> refresh;
  private final Clock clock;
  private final Cache<String, AccessGrant> verified;

  /** The built-in issuer's ring, when this verifier trusts it; null for an external issuer. */
  private final KeyRing ring;

  /** The key set the cached grants were verified against: a new set (rotation) clears them. */
  private volatile SigningKeys cachedUnder;

  private TokenVerifier(
      JWKSource<SecurityContext> keys,
      JWSAlgorithm algorithm,
      String issuer,
      String service,
      Clock clock,
      KeyRing ring) {
    this.clock = clock;
    this.ring = ring;
    this.cachedUnder = ring == null ? null : ring.keys();
    this.access =
        processor(keys, algorithm, verifier(issuer, service, Set.of(TokenClaims.TOKEN_USE), null));
    this.refresh =
        processor(
            keys,
            algorithm,
            verifier(issuer, service, Set.of(TokenClaims.ACCESS), TokenClaims.REFRESH));
    this.verified =
        Caffeine.newBuilder().maximumSize(20_000).expireAfterWrite(Duration.ofMinutes(2)).build();
  }

  /** Trusts the built-in issuer's keys (current and previous). */
  public static TokenVerifier forKeys(
      SigningKeys keys, String issuer, String service, Clock clock) {
    return forKeyRing(KeyRing.fixed(keys), issuer, service, clock);
  }

  /**
   * Trusts the built-in issuer's keys as the ring holds them now. A token naming a key id the ring
   * does not know makes it reload (rate-limited): another instance may have rotated first.
   */
  public static TokenVerifier forKeyRing(KeyRing ring, String issuer, String service, Clock clock) {
    JWKSource<SecurityContext> source =
        (selector, context) -> {
          List<JWK> found = selector.select(ring.keys().publicSet());
          if (found.isEmpty() && ring.reloadAfterMiss()) {
            found = selector.select(ring.keys().publicSet());
          }
          return found;
        };
    return new TokenVerifier(source, ring.keys().algorithm(), issuer, service, clock, ring);
  }

  /** Trusts an external issuer: its published keys (a JWKS URL source or a fixed set). */
  public static TokenVerifier forExternal(
      JWKSource<SecurityContext> keys,
      JWSAlgorithm algorithm,
      String issuer,
      String service,
      Clock clock) {
    if (!JWSAlgorithm.Family.SIGNATURE.contains(algorithm)) {
      throw new IllegalArgumentException(
          "an external issuer must sign with an asymmetric algorithm (RS*, PS*, ES*, EdDSA)");
    }
    return new TokenVerifier(keys, algorithm, issuer, service, clock, null);
  }

  public static TokenVerifier forExternal(
      JWKSet publicKeys, JWSAlgorithm algorithm, String issuer, String service, Clock clock) {
    return forExternal(
        new ImmutableJWKSet<>(publicKeys.toPublicJWKSet()), algorithm, issuer, service, clock);
  }

  /** Verifies an access token and returns what it grants. */
  public AccessGrant verify(String token) throws TokenRejectedException {
    if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_CHARS) {
      throw new TokenRejectedException("token missing or too long");
    }
    if (ring != null && ring.keys() != cachedUnder) {
      // A rotation may have dropped the key a cached token was signed with: verify afresh.
      cachedUnder = ring.keys();
      verified.invalidateAll();
    }
    AccessGrant cached = verified.getIfPresent(token);
    Instant now = clock.instant();
    if (cached != null) {
      if (now.isBefore(cached.expiresAt().plus(CLOCK_SKEW))) {
        return cached;
      }
      verified.invalidate(token);
    }
    JWTClaimsSet claims = process(access, token);
    AccessGrant grant;
    try {
      grant =
          new AccessGrant(
              claims.getSubject(),
              kindOf(claims),
              parseAccess(claims.getClaim(TokenClaims.ACCESS)),
              claims.getExpirationTime().toInstant(),
              claims.getJWTID());
    } catch (IllegalArgumentException | ClassCastException e) {
      throw new TokenRejectedException("malformed claims: " + e.getMessage());
    }
    verified.put(token, grant);
    return grant;
  }

  /** Verifies a refresh token and returns its subject's name and kind. */
  public AccessGrant verifyRefresh(String token) throws TokenRejectedException {
    if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_CHARS) {
      throw new TokenRejectedException("refresh token missing or too long");
    }
    JWTClaimsSet claims = process(refresh, token);
    try {
      return new AccessGrant(
          claims.getSubject(),
          kindOf(claims),
          List.of(),
          claims.getExpirationTime().toInstant(),
          claims.getJWTID());
    } catch (IllegalArgumentException e) {
      throw new TokenRejectedException("malformed claims: " + e.getMessage());
    }
  }

  private static JWTClaimsSet process(DefaultJWTProcessor<SecurityContext> p, String token)
      throws TokenRejectedException {
    try {
      return p.process(token, null);
    } catch (ParseException | BadJOSEException | JOSEException e) {
      throw new TokenRejectedException(e.getMessage());
    }
  }

  private DefaultJWTProcessor<SecurityContext> processor(
      JWKSource<SecurityContext> keys,
      JWSAlgorithm algorithm,
      DefaultJWTClaimsVerifier<SecurityContext> claims) {
    DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
    p.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithm, keys));
    p.setJWTClaimsSetVerifier(claims);
    return p;
  }

  private DefaultJWTClaimsVerifier<SecurityContext> verifier(
      String issuer, String service, Set<String> prohibited, String tokenUse) {
    JWTClaimsSet.Builder exact = new JWTClaimsSet.Builder().issuer(issuer);
    if (tokenUse != null) {
      exact.claim(TokenClaims.TOKEN_USE, tokenUse);
    }
    DefaultJWTClaimsVerifier<SecurityContext> v =
        new DefaultJWTClaimsVerifier<>(
            // Mutable sets: Nimbus probes them with contains(null), which Set.of refuses.
            new HashSet<>(Set.of(service)),
            exact.build(),
            new HashSet<>(Set.of("sub", "exp", "iat")),
            new HashSet<>(prohibited)) {
          @Override
          protected Date currentTime() {
            return Date.from(clock.instant());
          }
        };
    v.setMaxClockSkew((int) CLOCK_SKEW.toSeconds());
    return v;
  }

  private static Principal.Kind kindOf(JWTClaimsSet claims) throws TokenRejectedException {
    Object kind = claims.getClaim(TokenClaims.KIND);
    String sub = claims.getSubject();
    if (sub == null || sub.length() > 256 || sub.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw new TokenRejectedException("unusable subject");
    }
    if (kind == null) {
      // External issuers: Distribution's convention is an empty subject for anonymous.
      return sub.isEmpty() ? Principal.Kind.ANONYMOUS : Principal.Kind.USER;
    }
    try {
      return Principal.Kind.parse(String.valueOf(kind));
    } catch (IllegalArgumentException e) {
      throw new TokenRejectedException("unknown principal kind");
    }
  }

  /**
   * The {@code access} claim: entries of a type we do not serve are ignored (an external issuer may
   * add its own); a malformed entry of ours rejects the whole token.
   */
  static List<Scope> parseAccess(Object claim) {
    if (claim == null) {
      return List.of();
    }
    if (!(claim instanceof List<?> entries)) {
      throw new IllegalArgumentException("access must be a list");
    }
    List<Scope> out = new ArrayList<>();
    for (Object e : entries) {
      if (!(e instanceof Map<?, ?> m)
          || !(m.get("type") instanceof String type)
          || !(m.get("name") instanceof String name)
          || !(m.get("actions") instanceof List<?> actions)) {
        throw new IllegalArgumentException("access entries need type, name and actions");
      }
      EnumSet<Action> parsed = EnumSet.noneOf(Action.class);
      for (Object a : actions) {
        if (!(a instanceof String s)) {
          throw new IllegalArgumentException("actions must be strings");
        }
        try {
          parsed.add(Action.parse(s));
        } catch (IllegalArgumentException unknown) {
          // An action we do not serve (e.g. an issuer's "metadata-read") grants nothing here.
        }
      }
      switch (type) {
        case "repository" -> {
          if (parsed.remove(Action.ALL)) {
            parsed.addAll(Action.REPOSITORY_ACTIONS);
          }
          if (!parsed.isEmpty()) {
            out.add(Scope.repository(RepositoryName.parse(requireName(name)), parsed));
          }
        }
        case "registry" -> {
          if (name.equals("catalog") && parsed.contains(Action.ALL)) {
            out.add(Scope.catalog());
          } else if (name.equals("gc") && parsed.contains(Action.DELETE)) {
            out.add(Scope.gc());
          }
        }
        default -> {}
      }
    }
    return AccessRules.merge(out);
  }

  private static String requireName(String name) {
    if (!RepositoryName.isValid(name)) {
      throw new IllegalArgumentException("invalid repository name in access claim");
    }
    return name;
  }
}
