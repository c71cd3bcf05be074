package dev.lading.server.auth;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.SecurityContext;
import dev.lading.auth.AccessRule;
import dev.lading.auth.AccessRules;
import dev.lading.auth.Account;
import dev.lading.auth.Authenticator;
import dev.lading.auth.ExternalKeySet;
import dev.lading.auth.KeyRing;
import dev.lading.auth.KeySetStorage;
import dev.lading.auth.LoginLimiter;
import dev.lading.auth.TokenIssuer;
import dev.lading.auth.TokenVerifier;
import dev.lading.core.storage.ObjectStore;
import dev.lading.server.config.ConfigException;
import dev.lading.server.config.LadingConfig;
import dev.lading.server.config.StorageType;
import dev.lading.server.http.RequestAuthorizer;
import dev.lading.server.http.ResourceHandler;
import java.io.IOException;
import java.net.MalformedURLException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Token auth assembled from the configuration: the authorizer for {@code /v2/}, and with the
 * built-in issuer the token and JWKS endpoints plus a timer that re-reads the signing key set
 * ({@code auth.token.key_reload_seconds}), so {@code lading keys rotate} reaches a running server.
 * With an external issuer there is no endpoint here; the challenge's realm points at the issuer.
 * {@link #close} stops the timer.
 */
public final class TokenAuth implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TokenAuth.class);

  private final RequestAuthorizer authorizer;
  private final Map<String, ResourceHandler> endpoints;
  private final Optional<KeyRing> keys;
  private final Optional<ScheduledExecutorService> reloader;

  /** The built-in issuer's accounts and rules, replaceable by a configuration reload. */
  private final Optional<Authenticator> accounts;

  private final Optional<AccessRules> rules;

  private TokenAuth(
      RequestAuthorizer authorizer,
      Map<String, ResourceHandler> endpoints,
      Optional<KeyRing> keys,
      Optional<ScheduledExecutorService> reloader) {
    this(authorizer, endpoints, keys, reloader, Optional.empty(), Optional.empty());
  }

  private TokenAuth(
      RequestAuthorizer authorizer,
      Map<String, ResourceHandler> endpoints,
      Optional<KeyRing> keys,
      Optional<ScheduledExecutorService> reloader,
      Optional<Authenticator> accounts,
      Optional<AccessRules> rules) {
    this.authorizer = authorizer;
    this.endpoints = Map.copyOf(endpoints);
    this.keys = keys;
    this.reloader = reloader;
    this.accounts = accounts;
    this.rules = rules;
  }

  /**
   * True when accounts and rules are this server's own (the built-in issuer), so a reload can
   * replace them; with an external issuer its tokens alone decide.
   */
  public boolean reloadable() {
    return accounts.isPresent() && rules.isPresent();
  }

  /**
   * Puts new accounts and rules (the anonymous pull patterns among them) in force without a
   * restart: logins and token requests from now on are decided by them. The signing keys stay, so
   * every token issued before stays valid until it expires, with what it holds.
   *
   * @throws IllegalStateException with an external issuer (see {@link #reloadable})
   */
  public void replacePrincipals(List<Account> nextAccounts, List<AccessRule> nextRules) {
    if (!reloadable()) {
      throw new IllegalStateException("accounts and rules belong to the external issuer");
    }
    // Accounts first: a rule naming a new account must never meet an authenticator without it
    // (harmless either way, since rules only grant, but this order never grants to nobody).
    accounts.get().replaceAccounts(nextAccounts);
    rules.get().replace(nextRules);
  }

  public RequestAuthorizer authorizer() {
    return authorizer;
  }

  public Map<String, ResourceHandler> endpoints() {
    return endpoints;
  }

  /** The built-in issuer's keys (empty with an external issuer). */
  public Optional<KeyRing> keys() {
    return keys;
  }

  /**
   * The default key file: under the filesystem store's root, beside the registry's data, where the
   * layout keeps the signing key set.
   */
  public static Path defaultKeyFile(LadingConfig config) {
    return config.storage().filesystem().root().resolve(StoredKeySet.KEY);
  }

  /**
   * Where the built-in issuer's keys live: the operator's {@code auth.token.key_file} when set
   * (read-only, outside the store); else with the filesystem store a file under its root
   * (owner-only, which the store's own objects are not); else (a shared store such as S3) an object
   * in {@code store}, so every instance on the bucket uses the same keys. See {@code
   * dev.lading.auth}'s package notes.
   */
  public static KeySetStorage keyStorage(LadingConfig config, Optional<ObjectStore> store) {
    return keyStorage(
        config.auth(),
        config.storage().type() == StorageType.FILESYSTEM,
        defaultKeyFile(config),
        store);
  }

  static KeySetStorage keyStorage(
      LadingConfig.Auth auth,
      boolean filesystemStore,
      Path filesystemKeyFile,
      Optional<ObjectStore> store) {
    if (auth.keyFile().isPresent()) {
      return new ExternalKeySet(auth.keyFile().get(), auth.keyFileGroupReadable());
    }
    if (filesystemStore) {
      return KeySetStorage.file(filesystemKeyFile);
    }
    return new StoredKeySet(
        store.orElseThrow(
            () ->
                new ConfigException(
                    "auth.token.key_file: required when the registry's store is not open here")));
  }

  /** The configuration key an operator changes when the keys at {@code storage} are wrong. */
  private static String keyNaming(KeySetStorage storage) {
    if (storage instanceof ExternalKeySet) {
      return "auth.token.key_file";
    }
    return storage instanceof StoredKeySet ? "storage.s3" : "storage.filesystem.root";
  }

  /**
   * Says at every start where the keys are and what that means: keys in the store are the quick
   * start's convenience, and whoever can read the store or a backup of it can mint tokens with
   * them. With a key file, a key set left behind in the store is pointed out, so the migration to
   * the file can finish by deleting it.
   */
  private static void warnAboutKeyLocation(
      LadingConfig config, KeySetStorage storage, Optional<ObjectStore> store) {
    if (!(storage instanceof ExternalKeySet)) {
      log.warn(
          "token auth: the signing keys are kept in the store ({}); whoever can read the store or a backup"
              + " of it can mint tokens. For production keep them outside the store with auth.token.key_file"
              + " (a read-only file or Kubernetes Secret; 'lading keys rotate --output FILE' makes one from the"
              + " current keys){}",
          storage.describe(),
          storage instanceof StoredKeySet
              ? "; S3 objects have no file modes, so only the bucket's policy and its backups decide who can read it"
              : "");
      return;
    }
    try {
      boolean leftover =
          config.storage().type() == StorageType.FILESYSTEM
              ? Files.exists(defaultKeyFile(config))
              : store.isPresent() && new StoredKeySet(store.get()).read().isPresent();
      if (leftover) {
        log.warn(
            "token auth: signing with {}, but the store still holds a signing key set ({}) that store"
                + " backups carry; delete it once no token it signed is needed",
            storage.describe(),
            config.storage().type() == StorageType.FILESYSTEM
                ? defaultKeyFile(config)
                : "the object " + StoredKeySet.KEY);
      }
    } catch (IOException | RuntimeException e) {
      log.debug("token auth: could not look for a key set left in the store", e);
    }
  }

  /**
   * Token auth over {@code store} (where keys live when the store is shared and no key file is
   * set).
   */
  public static TokenAuth from(LadingConfig config, Clock clock, Optional<ObjectStore> store) {
    LadingConfig.Auth a = config.auth();
    if (a.external()) {
      TokenVerifier verifier =
          TokenVerifier.forExternal(
              externalKeys(a), a.externalAlgorithm(), a.issuer(), a.service(), clock);
      log.info("token auth: trusting external issuer {} for service {}", a.issuer(), a.service());
      return new TokenAuth(
          new TokenAuthorizer(verifier, Optional.empty(), a.realm(), a.service()),
          Map.of(),
          Optional.empty(),
          Optional.empty());
    }
    KeySetStorage storage = keyStorage(config, store);
    KeyRing keys;
    try {
      keys = KeyRing.open(storage, clock);
    } catch (IOException | IllegalArgumentException e) {
      throw new ConfigException(keyNaming(storage) + ": " + e.getMessage());
    }
    warnAboutKeyLocation(config, storage, store);
    AccessRules rules = new AccessRules(a.rules());
    TokenIssuer issuer =
        new TokenIssuer(keys, a.issuer(), a.service(), a.ttl(), a.refreshTtl(), clock);
    TokenVerifier verifier = TokenVerifier.forKeyRing(keys, a.issuer(), a.service(), clock);
    Authenticator authenticator =
        new Authenticator(
            a.accounts(),
            new LoginLimiter(
                clock,
                a.login().maxBackoff(),
                a.login().addressFailures(),
                LoginLimiter.DEFAULT_ADDRESS_REFILL,
                100_000));
    log.info(
        "token auth: issuer {}, service {}, {} accounts, {} rules, signing key {} ({}) from {}",
        a.issuer(),
        a.service(),
        a.accounts().size(),
        a.rules().size(),
        keys.keys().current().getKeyID(),
        keys.keys().algorithm(),
        storage.describe());
    ScheduledExecutorService reloader =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("lading-key-reload").factory());
    long every = a.keyReload().toMillis();
    reloader.scheduleWithFixedDelay(() -> reload(keys), every, every, TimeUnit.MILLISECONDS);
    return new TokenAuth(
        new TokenAuthorizer(verifier, Optional.of(rules), a.realm(), a.service()),
        Map.of(
            TokenEndpoint.PATH, new TokenEndpoint(authenticator, rules, issuer, verifier),
            JwksEndpoint.PATH, new JwksEndpoint(keys)),
        Optional.of(keys),
        Optional.of(reloader),
        Optional.of(authenticator),
        Optional.of(rules));
  }

  private static void reload(KeyRing keys) {
    try {
      if (keys.reload()) {
        log.info(
            "token auth: signing keys reloaded, now signing with {}; verifying {}",
            keys.keys().current().getKeyID(),
            keys.keys().all().stream().map(k -> k.getKeyID()).toList());
      }
    } catch (IOException | RuntimeException e) {
      log.warn(
          "token auth: cannot re-read the signing keys, keeping {}: {}",
          keys.keys().current().getKeyID(),
          e.getMessage());
    }
  }

  @Override
  public void close() {
    reloader.ifPresent(ScheduledExecutorService::shutdownNow);
  }

  private static JWKSource<SecurityContext> externalKeys(LadingConfig.Auth a) {
    try {
      if (a.externalJwksUrl().isPresent()) {
        // Cached, refreshed when a token names an unknown kid (rate-limited), retried once on a
        // network error: an issuer's rotation reaches us without a restart.
        return JWKSourceBuilder.create(a.externalJwksUrl().get().toURL()).retrying(true).build();
      }
      JWKSet set = JWKSet.load(a.externalKeyFile().orElseThrow().toFile());
      return new ImmutableJWKSet<>(set.toPublicJWKSet());
    } catch (MalformedURLException e) {
      throw new ConfigException("auth.token.external.jwks_url: " + e.getMessage());
    } catch (IOException | ParseException e) {
      throw new ConfigException(
          "auth.token.external.key_file: cannot read a JWK set: " + e.getMessage());
    }
  }
}
