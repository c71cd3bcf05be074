package dev.lading.server.auth;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.SecurityContext;
import dev.lading.auth.AccessRules;
import dev.lading.auth.Authenticator;
import dev.lading.auth.LoginLimiter;
import dev.lading.auth.SigningKeys;
import dev.lading.auth.TokenIssuer;
import dev.lading.auth.TokenVerifier;
import dev.lading.server.config.ConfigException;
import dev.lading.server.config.LadingConfig;
import dev.lading.server.http.RequestAuthorizer;
import dev.lading.server.http.ResourceHandler;
import java.io.IOException;
import java.net.MalformedURLException;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Token auth assembled from the configuration: the authorizer for {@code /v2/}, and with the
 * built-in issuer the token and JWKS endpoints. With an external issuer there is no endpoint
 * here; the challenge's realm points at the issuer.
 */
public record TokenAuth(RequestAuthorizer authorizer, Map<String, ResourceHandler> endpoints) {
  private static final Logger log = LoggerFactory.getLogger(TokenAuth.class);

  /** The default key file: under the filesystem store's root, beside the registry's data. */
  public static Path defaultKeyFile(LadingConfig config) {
    return config.storage().filesystem().root().resolve("auth").resolve("signing-keys.jwks");
  }

  public static TokenAuth from(LadingConfig config, Clock clock) {
    LadingConfig.Auth a = config.auth();
    if (a.external()) {
      TokenVerifier verifier = TokenVerifier.forExternal(externalKeys(a), a.externalAlgorithm(), a.issuer(), a.service(), clock);
      log.info("token auth: trusting external issuer {} for service {}", a.issuer(), a.service());
      return new TokenAuth(new TokenAuthorizer(verifier, Optional.empty(), a.realm(), a.service()), Map.of());
    }
    Path keyFile = a.keyFile().orElse(defaultKeyFile(config));
    SigningKeys keys;
    try {
      keys = SigningKeys.loadOrCreate(keyFile);
    } catch (IOException | IllegalArgumentException e) {
      throw new ConfigException("auth.token.key_file: " + e.getMessage());
    }
    AccessRules rules = new AccessRules(a.rules());
    TokenIssuer issuer = new TokenIssuer(keys, a.issuer(), a.service(), a.ttl(), a.refreshTtl(), clock);
    TokenVerifier verifier = TokenVerifier.forKeys(keys, a.issuer(), a.service(), clock);
    Authenticator authenticator = new Authenticator(a.accounts(), LoginLimiter.standard(clock));
    log.info("token auth: issuer {}, service {}, {} accounts, {} rules, signing key {} ({})",
        a.issuer(), a.service(), a.accounts().size(), a.rules().size(), keys.current().getKeyID(), keys.algorithm());
    return new TokenAuth(
        new TokenAuthorizer(verifier, Optional.of(rules), a.realm(), a.service()),
        Map.of(
            TokenEndpoint.PATH, new TokenEndpoint(authenticator, rules, issuer, verifier).handleWith(),
            JwksEndpoint.PATH, new JwksEndpoint(keys)));
  }

  private static JWKSource<SecurityContext> externalKeys(LadingConfig.Auth a) {
    try {
      if (a.externalJwksUrl().isPresent()) {
        return JWKSourceBuilder.create(a.externalJwksUrl().get().toURL()).retrying(true).build();
      }
      JWKSet set = JWKSet.load(a.externalKeyFile().orElseThrow().toFile());
      return new com.nimbusds.jose.jwk.source.ImmutableJWKSet<>(set.toPublicJWKSet());
    } catch (MalformedURLException e) {
      throw new ConfigException("auth.token.external.jwks_url: " + e.getMessage());
    } catch (IOException | ParseException e) {
      throw new ConfigException("auth.token.external.key_file: cannot read a JWK set: " + e.getMessage());
    }
  }
}
