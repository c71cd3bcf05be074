package dev.lading.server.config;

import com.nimbusds.jose.JWSAlgorithm;
import dev.lading.auth.AccessRule;
import dev.lading.auth.Account;
import dev.lading.auth.Action;
import dev.lading.auth.Principal;
import dev.lading.auth.RepositoryPattern;
import dev.lading.core.policy.ImmutableTags;
import dev.lading.core.policy.Quotas;
import dev.lading.core.registry.RegistryOptions;
import dev.lading.events.EventOptions;
import dev.lading.gc.GcOptions;
import dev.lading.gc.RetentionPolicy;
import dev.lading.storage.s3.S3StoreConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The validated configuration the server runs with. Built by {@link ConfigLoader} from the schema
 * ({@link ConfigKey}); tests and benchmarks start from {@link #defaults()} and change what they
 * need with the {@code with*} methods.
 */
public record LadingConfig(
    Http http,
    Storage storage,
    Limits limits,
    boolean readOnly,
    Gc gc,
    Auth auth,
    Telemetry telemetry,
    Policies policies,
    EventOptions events) {

  public LadingConfig {
    Objects.requireNonNull(policies, "policies");
    Objects.requireNonNull(events, "events");
    Objects.requireNonNull(telemetry, "telemetry");
    Objects.requireNonNull(http, "http");
    Objects.requireNonNull(storage, "storage");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(gc, "gc");
    Objects.requireNonNull(auth, "auth");
  }

  /**
   * The one place besides the record header that names every field: each {@code with*} method
   * changes what it is about in a copy.
   */
  private final class Builder {
    Http http = LadingConfig.this.http;
    Storage storage = LadingConfig.this.storage;
    Limits limits = LadingConfig.this.limits;
    boolean readOnly = LadingConfig.this.readOnly;
    Gc gc = LadingConfig.this.gc;
    Auth auth = LadingConfig.this.auth;
    Telemetry telemetry = LadingConfig.this.telemetry;
    Policies policies = LadingConfig.this.policies;
    EventOptions events = LadingConfig.this.events;

    LadingConfig build(Consumer<Builder> change) {
      change.accept(this);
      return new LadingConfig(
          http, storage, limits, readOnly, gc, auth, telemetry, policies, events);
    }
  }

  /** A copy with {@code change} made, validated as any config is. */
  private LadingConfig copy(Consumer<Builder> change) {
    return new Builder().build(change);
  }

  /**
   * Garbage collection: schedule ({@code interval} zero: on demand only), policy, and the wait
   * after announcing a run before marking ({@code fenceDelay}, see {@code dev.lading.gc}).
   */
  public record Gc(
      Duration interval,
      Duration grace,
      Duration uploadExpiry,
      boolean deleteUntagged,
      boolean dryRun,
      Duration fenceDelay) {
    public Gc {
      Objects.requireNonNull(interval, "interval");
      Objects.requireNonNull(grace, "grace");
      Objects.requireNonNull(uploadExpiry, "uploadExpiry");
      Objects.requireNonNull(fenceDelay, "fenceDelay");
    }

    /** With the default fence delay ({@link GcOptions#DEFAULT_FENCE_DELAY}). */
    public Gc(
        Duration interval,
        Duration grace,
        Duration uploadExpiry,
        boolean deleteUntagged,
        boolean dryRun) {
      this(interval, grace, uploadExpiry, deleteUntagged, dryRun, GcOptions.DEFAULT_FENCE_DELAY);
    }
  }

  public LadingConfig withGc(Gc value) {
    return copy(b -> b.gc = value);
  }

  /**
   * The listening socket, HTTP parsing bounds, and what a connection may cost: how long its request
   * head, its idle time between requests and a stall of its body may last, and how many connections
   * may be open at once.
   */
  public record Http(
      String host,
      int port,
      int maxInitialLineBytes,
      int maxHeaderBytes,
      Duration shutdownTimeout,
      Duration headerTimeout,
      Duration idleTimeout,
      Duration bodyStallTimeout,
      int maxConnections,
      List<TrustedProxy> trustedProxies,
      Optional<Tls> tls,
      Duration drainDelay) {
    public Http {
      Objects.requireNonNull(drainDelay, "drainDelay");
      Objects.requireNonNull(host, "host");
      trustedProxies = List.copyOf(trustedProxies);
      Objects.requireNonNull(tls, "tls");
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("port out of range: " + port);
      }
      for (Duration d : new Duration[] {headerTimeout, idleTimeout, bodyStallTimeout}) {
        if (!d.isPositive()) {
          throw new IllegalArgumentException("timeouts must be positive");
        }
      }
      if (maxConnections < 1) {
        throw new IllegalArgumentException("maxConnections must be positive");
      }
    }

    /** Every field of {@link Http} once, for the copies {@link LadingConfig}'s withers make. */
    private final class Builder {
      String host = Http.this.host;
      int port = Http.this.port;
      int maxInitialLineBytes = Http.this.maxInitialLineBytes;
      int maxHeaderBytes = Http.this.maxHeaderBytes;
      Duration shutdownTimeout = Http.this.shutdownTimeout;
      Duration headerTimeout = Http.this.headerTimeout;
      Duration idleTimeout = Http.this.idleTimeout;
      Duration bodyStallTimeout = Http.this.bodyStallTimeout;
      int maxConnections = Http.this.maxConnections;
      List<TrustedProxy> trustedProxies = Http.this.trustedProxies;
      Optional<Tls> tls = Http.this.tls;
      Duration drainDelay = Http.this.drainDelay;

      Http build(Consumer<Builder> change) {
        change.accept(this);
        return new Http(
            host,
            port,
            maxInitialLineBytes,
            maxHeaderBytes,
            shutdownTimeout,
            headerTimeout,
            idleTimeout,
            bodyStallTimeout,
            maxConnections,
            trustedProxies,
            tls,
            drainDelay);
      }
    }

    private Http copy(Consumer<Builder> change) {
      return new Builder().build(change);
    }
  }

  /**
   * TLS on the listener from PEM files, re-read every {@code reloadInterval} (5 s; shorter only in
   * tests, which is why it is no configuration key).
   */
  public record Tls(Path certFile, Path keyFile, Duration reloadInterval) {
    public static final Duration DEFAULT_RELOAD = Duration.ofSeconds(5);

    public Tls {
      Objects.requireNonNull(certFile, "certFile");
      Objects.requireNonNull(keyFile, "keyFile");
      if (!reloadInterval.isPositive()) {
        throw new IllegalArgumentException("reloadInterval must be positive");
      }
    }

    public Tls(Path certFile, Path keyFile) {
      this(certFile, keyFile, DEFAULT_RELOAD);
    }
  }

  /** TLS on the listener; empty: plain HTTP. */
  public LadingConfig withTls(Optional<Tls> tls) {
    return withHttp(http.copy(b -> b.tls = tls));
  }

  /** The reverse proxies whose {@code X-Forwarded-*} headers are believed. */
  public LadingConfig withTrustedProxies(List<TrustedProxy> proxies) {
    return withHttp(http.copy(b -> b.trustedProxies = proxies));
  }

  private LadingConfig withHttp(Http value) {
    return copy(b -> b.http = value);
  }

  /** Connection timeouts: request head, idle between requests, body stall. */
  public LadingConfig withHttpTimeouts(Duration header, Duration idle, Duration bodyStall) {
    return withHttp(
        http.copy(
            b -> {
              b.headerTimeout = header;
              b.idleTimeout = idle;
              b.bodyStallTimeout = bodyStall;
            }));
  }

  public LadingConfig withMaxConnections(int max) {
    return withHttp(http.copy(b -> b.maxConnections = max));
  }

  /** The store: its type, the filesystem root, and the S3 settings when the type is S3. */
  public record Storage(StorageType type, Filesystem filesystem, Optional<S3> s3) {
    public Storage {
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(filesystem, "filesystem");
      Objects.requireNonNull(s3, "s3");
      if ((type == StorageType.S3) != s3.isPresent()) {
        throw new IllegalArgumentException("S3 settings are given exactly when the type is s3");
      }
    }
  }

  /**
   * The S3 store's settings and how blob GETs are served: streamed by the server, or answered with
   * {@code 307} to a presigned URL valid for {@code redirectTtl} when {@code redirect}. {@link
   * S3StoreConfig#toString()} masks the secret, so this record may be logged.
   */
  public record S3(S3StoreConfig store, boolean redirect, Duration redirectTtl) {
    public S3 {
      Objects.requireNonNull(store, "store");
      Objects.requireNonNull(redirectTtl, "redirectTtl");
    }
  }

  /** The S3 store instead of the filesystem. */
  public LadingConfig withS3(S3 s3) {
    return copy(b -> b.storage = new Storage(StorageType.S3, storage.filesystem, Optional.of(s3)));
  }

  /**
   * @param directIo write uploads with direct I/O where the filesystem allows it
   */
  public record Filesystem(Path root, boolean directIo) {
    public Filesystem {
      Objects.requireNonNull(root, "root");
    }
  }

  /** {@code maxRanges}: the most byte ranges one blob GET may name ({@code limits.max_ranges}). */
  /** {@code allowSparseIndex}: {@code manifests.allow_sparse_index}. */
  /** {@code allowBlake3}: {@code digests.allow_blake3}. */
  public record Limits(
      long manifestBytes, int maxRanges, boolean allowSparseIndex, boolean allowBlake3) {
    /** {@code limits.max_ranges}'s default. */
    public static final int DEFAULT_MAX_RANGES = 1024;

    public Limits {
      if (manifestBytes <= 0) {
        throw new IllegalArgumentException("manifestBytes must be positive");
      }
      if (maxRanges <= 0) {
        throw new IllegalArgumentException("maxRanges must be positive");
      }
    }

    public Limits(long manifestBytes) {
      this(manifestBytes, DEFAULT_MAX_RANGES);
    }

    public Limits(long manifestBytes, int maxRanges) {
      this(
          manifestBytes,
          maxRanges,
          RegistryOptions.DEFAULT_ALLOW_SPARSE_INDEX,
          RegistryOptions.DEFAULT_ALLOW_BLAKE3);
    }
  }

  /**
   * Token auth, or none ({@link #enabled} false: every request allowed, as before auth existed).
   * {@code rules} already include the {@code auth.anonymous_pull} patterns as rules for {@code
   * anonymous}; {@code accounts} are users and robots together.
   */
  public record Auth(
      boolean enabled,
      String issuer,
      String service,
      Optional<String> realm,
      Duration ttl,
      Duration refreshTtl,
      Optional<Path> keyFile,
      boolean keyFileGroupReadable,
      Duration keyReload,
      Optional<URI> externalJwksUrl,
      Optional<Path> externalKeyFile,
      JWSAlgorithm externalAlgorithm,
      List<Account> accounts,
      List<AccessRule> rules,
      Login login) {
    public Auth {
      Objects.requireNonNull(login, "login");
      Objects.requireNonNull(issuer, "issuer");
      Objects.requireNonNull(keyReload, "keyReload");
      Objects.requireNonNull(service, "service");
      accounts = List.copyOf(accounts);
      rules = List.copyOf(rules);
    }

    /** Every field of {@link Auth} once, for the copies its withers and factories make. */
    private final class Builder {
      boolean enabled = Auth.this.enabled;
      String issuer = Auth.this.issuer;
      String service = Auth.this.service;
      Optional<String> realm = Auth.this.realm;
      Duration ttl = Auth.this.ttl;
      Duration refreshTtl = Auth.this.refreshTtl;
      Optional<Path> keyFile = Auth.this.keyFile;
      boolean keyFileGroupReadable = Auth.this.keyFileGroupReadable;
      Duration keyReload = Auth.this.keyReload;
      Optional<URI> externalJwksUrl = Auth.this.externalJwksUrl;
      Optional<Path> externalKeyFile = Auth.this.externalKeyFile;
      JWSAlgorithm externalAlgorithm = Auth.this.externalAlgorithm;
      List<Account> accounts = Auth.this.accounts;
      List<AccessRule> rules = Auth.this.rules;
      Login login = Auth.this.login;

      Auth build(Consumer<Builder> change) {
        change.accept(this);
        return new Auth(
            enabled,
            issuer,
            service,
            realm,
            ttl,
            refreshTtl,
            keyFile,
            keyFileGroupReadable,
            keyReload,
            externalJwksUrl,
            externalKeyFile,
            externalAlgorithm,
            accounts,
            rules,
            login);
      }
    }

    private Auth copy(Consumer<Builder> change) {
      return new Builder().build(change);
    }

    /** True when tokens come from another issuer (no token endpoint here). */
    public boolean external() {
      return externalJwksUrl.isPresent() || externalKeyFile.isPresent();
    }

    /** Built-in token auth with these accounts and rules, everything else at its default. */
    public static Auth token(String service, List<Account> accounts, List<AccessRule> rules) {
      return defaults()
          .auth()
          .copy(
              b -> {
                b.enabled = true;
                b.service = service;
                b.realm = Optional.empty();
                b.keyFile = Optional.empty();
                b.keyFileGroupReadable = false;
                b.externalJwksUrl = Optional.empty();
                b.externalKeyFile = Optional.empty();
                b.accounts = accounts;
                b.rules = rules;
              });
    }

    /** Trusting only an external issuer's tokens, its keys at {@code jwksUrl}. */
    public static Auth external(
        String service, String issuer, URI jwksUrl, JWSAlgorithm algorithm, String realm) {
      return defaults()
          .auth()
          .copy(
              b -> {
                b.enabled = true;
                b.issuer = issuer;
                b.service = service;
                b.realm = Optional.of(realm);
                b.keyFile = Optional.empty();
                b.keyFileGroupReadable = false;
                b.externalJwksUrl = Optional.of(jwksUrl);
                b.externalKeyFile = Optional.empty();
                b.externalAlgorithm = algorithm;
                b.accounts = List.of();
                b.rules = List.of();
              });
    }

    public Auth withRealm(String realm) {
      return copy(b -> b.realm = Optional.of(realm));
    }

    public Auth withKeyFile(Path file) {
      return copy(b -> b.keyFile = Optional.of(file));
    }

    public Auth withLogin(Login value) {
      return copy(b -> b.login = value);
    }

    public Auth withKeyFileGroupReadable(boolean value) {
      return copy(b -> b.keyFileGroupReadable = value);
    }

    public Auth withKeyReload(Duration every) {
      return copy(b -> b.keyReload = every);
    }

    @SuppressWarnings("unchecked")
    static Auth from(Map<ConfigKey, Object> v) {
      List<Account> accounts = new ArrayList<>((List<Account>) v.get(ConfigKey.AUTH_USERS));
      accounts.addAll((List<Account>) v.get(ConfigKey.AUTH_ROBOTS));
      List<AccessRule> rules = new ArrayList<>((List<AccessRule>) v.get(ConfigKey.AUTH_RULES));
      List<RepositoryPattern> anonymous =
          (List<RepositoryPattern>) v.get(ConfigKey.AUTH_ANONYMOUS_PULL);
      if (!anonymous.isEmpty()) {
        rules.add(new AccessRule(Set.of(Principal.ANONYMOUS_NAME), anonymous, Set.of(Action.PULL)));
      }
      return new Auth(
          v.get(ConfigKey.AUTH_MODE) == AuthSettings.Mode.TOKEN,
          (String) v.get(ConfigKey.AUTH_TOKEN_ISSUER),
          (String) v.get(ConfigKey.AUTH_TOKEN_SERVICE),
          optional((String) v.get(ConfigKey.AUTH_TOKEN_REALM)),
          Duration.ofSeconds((Integer) v.get(ConfigKey.AUTH_TOKEN_TTL_SECONDS)),
          Duration.ofSeconds((Integer) v.get(ConfigKey.AUTH_TOKEN_REFRESH_TTL_SECONDS)),
          optional((String) v.get(ConfigKey.AUTH_TOKEN_KEY_FILE)).map(Path::of),
          (Boolean) v.get(ConfigKey.AUTH_TOKEN_KEY_FILE_GROUP_READABLE),
          Duration.ofSeconds((Integer) v.get(ConfigKey.AUTH_TOKEN_KEY_RELOAD_SECONDS)),
          optional((String) v.get(ConfigKey.AUTH_TOKEN_EXTERNAL_JWKS_URL)).map(URI::create),
          optional((String) v.get(ConfigKey.AUTH_TOKEN_EXTERNAL_KEY_FILE)).map(Path::of),
          (JWSAlgorithm) v.get(ConfigKey.AUTH_TOKEN_EXTERNAL_ALGORITHM),
          accounts,
          rules,
          new Login(
              Duration.ofSeconds((Integer) v.get(ConfigKey.AUTH_LOGIN_MAX_BACKOFF_SECONDS)),
              (Integer) v.get(ConfigKey.AUTH_LOGIN_ADDRESS_FAILURES)));
    }

    private static Optional<String> optional(String s) {
      return s == null || s.isEmpty() ? Optional.empty() : Optional.of(s);
    }
  }

  /**
   * Login throttling at the token endpoint: the longest back-off of one account from one address,
   * and how many accounts may fail from one address (0: no such limit). The client's address is the
   * request's ({@code http.trusted_proxies} decides whom to believe).
   */
  public record Login(Duration maxBackoff, int addressFailures) {
    public Login {
      Objects.requireNonNull(maxBackoff, "maxBackoff");
    }
  }

  public LadingConfig withAuth(Auth auth) {
    return copy(b -> b.auth = auth);
  }

  /** Every key at its default. */
  public static LadingConfig defaults() {
    return ConfigLoader.load(null, Map.of()).config();
  }

  /** Defaults with the filesystem store at {@code root}, listening on an ephemeral port. */
  public static LadingConfig forTests(Path root) {
    return defaults().withHttpPort(0).withHttpHost("127.0.0.1").withFilesystemRoot(root);
  }

  public LadingConfig withHttpPort(int port) {
    return withHttp(http.copy(b -> b.port = port));
  }

  public LadingConfig withHttpHost(String host) {
    return withHttp(http.copy(b -> b.host = host));
  }

  public LadingConfig withShutdownTimeout(Duration timeout) {
    return withHttp(http.copy(b -> b.shutdownTimeout = timeout));
  }

  /** How long readiness reports draining before the listener closes on SIGTERM. */
  public LadingConfig withDrainDelay(Duration delay) {
    return withHttp(http.copy(b -> b.drainDelay = delay));
  }

  public LadingConfig withFilesystemRoot(Path root) {
    Filesystem filesystem = new Filesystem(root, storage.filesystem.directIo);
    return copy(b -> b.storage = new Storage(storage.type, filesystem, storage.s3));
  }

  public LadingConfig withManifestLimit(long bytes) {
    return withLimits(
        new Limits(bytes, limits.maxRanges, limits.allowSparseIndex, limits.allowBlake3));
  }

  public LadingConfig withMaxRanges(int maxRanges) {
    return withLimits(
        new Limits(limits.manifestBytes, maxRanges, limits.allowSparseIndex, limits.allowBlake3));
  }

  public LadingConfig withAllowSparseIndex(boolean allow) {
    return withLimits(
        new Limits(limits.manifestBytes, limits.maxRanges, allow, limits.allowBlake3));
  }

  public LadingConfig withAllowBlake3(boolean allow) {
    return withLimits(
        new Limits(limits.manifestBytes, limits.maxRanges, limits.allowSparseIndex, allow));
  }

  private LadingConfig withLimits(Limits value) {
    return copy(b -> b.limits = value);
  }

  public LadingConfig withReadOnly(boolean readOnly) {
    return copy(b -> b.readOnly = readOnly);
  }

  @SuppressWarnings("unchecked")
  static LadingConfig from(Map<ConfigKey, Object> v, Optional<S3> s3) {
    return new LadingConfig(
        new Http(
            (String) v.get(ConfigKey.HTTP_HOST),
            (Integer) v.get(ConfigKey.HTTP_PORT),
            (Integer) v.get(ConfigKey.HTTP_MAX_INITIAL_LINE_BYTES),
            (Integer) v.get(ConfigKey.HTTP_MAX_HEADER_BYTES),
            Duration.ofSeconds((Integer) v.get(ConfigKey.HTTP_SHUTDOWN_TIMEOUT_SECONDS)),
            Duration.ofSeconds((Integer) v.get(ConfigKey.HTTP_HEADER_TIMEOUT_SECONDS)),
            Duration.ofSeconds((Integer) v.get(ConfigKey.HTTP_IDLE_TIMEOUT_SECONDS)),
            Duration.ofSeconds((Integer) v.get(ConfigKey.HTTP_BODY_STALL_TIMEOUT_SECONDS)),
            (Integer) v.get(ConfigKey.HTTP_MAX_CONNECTIONS),
            (List<TrustedProxy>) v.get(ConfigKey.HTTP_TRUSTED_PROXIES),
            TlsSettings.from(v),
            Duration.ofSeconds((Integer) v.get(ConfigKey.HTTP_DRAIN_DELAY_SECONDS))),
        new Storage(
            (StorageType) v.get(ConfigKey.STORAGE_TYPE),
            new Filesystem(
                Path.of((String) v.get(ConfigKey.STORAGE_FILESYSTEM_ROOT)),
                (Boolean) v.get(ConfigKey.STORAGE_FILESYSTEM_DIRECT_IO)),
            s3),
        new Limits(
            (Long) v.get(ConfigKey.LIMITS_MANIFEST_BYTES),
            (Integer) v.get(ConfigKey.LIMITS_MAX_RANGES),
            (Boolean) v.get(ConfigKey.MANIFESTS_ALLOW_SPARSE_INDEX),
            (Boolean) v.get(ConfigKey.DIGESTS_ALLOW_BLAKE3)),
        (Boolean) v.get(ConfigKey.READ_ONLY),
        new Gc(
            Duration.ofMinutes((Integer) v.get(ConfigKey.GC_INTERVAL_MINUTES)),
            Duration.ofMinutes((Integer) v.get(ConfigKey.GC_GRACE_MINUTES)),
            Duration.ofHours((Integer) v.get(ConfigKey.GC_UPLOAD_EXPIRY_HOURS)),
            (Boolean) v.get(ConfigKey.GC_DELETE_UNTAGGED),
            (Boolean) v.get(ConfigKey.GC_DRY_RUN),
            Duration.ofSeconds((Integer) v.get(ConfigKey.GC_FENCE_DELAY_SECONDS))),
        Auth.from(v),
        new Telemetry(
            (OptionalInt) v.get(ConfigKey.METRICS_PORT),
            (Telemetry.LogFormat) v.get(ConfigKey.LOG_FORMAT),
            (String) v.get(ConfigKey.LOG_LEVEL)),
        Policies.from(v),
        EventSettings.from(v));
  }

  /** Events: where they go and their bounds ({@code events.*}). */
  public LadingConfig withEvents(EventOptions value) {
    return copy(b -> b.events = value);
  }

  /**
   * Lifecycle policies ({@code policies.*}): the immutable tag rules ({@code immutable_tags}) and
   * the accounts whose requests may override them when they ask to ({@code
   * immutable_tags_override}, by name; empty: nobody); the retention policies every GC run applies
   * first, in the order configured ({@code retention}), and how often an instance writes the pulls
   * it saw when a policy keeps tags by pulls ({@code pulls_flush_seconds}), which bounds how stale
   * "last pulled" is; the quotas ({@code quotas}) and how often their usage is recounted ({@code
   * quotas_scan_seconds}). All but {@code pulls_flush_seconds} reload without a restart.
   */
  public record Policies(
      ImmutableTags immutableTags,
      Set<String> immutableTagsOverride,
      List<RetentionPolicy> retention,
      Duration pullsFlush,
      Quotas quotas,
      int quotasScanSeconds) {
    /** {@code policies.pulls_flush_seconds}' default. */
    public static final Duration DEFAULT_PULLS_FLUSH = Duration.ofSeconds(60);

    public static final int DEFAULT_QUOTAS_SCAN_SECONDS = 60;

    public Policies {
      Objects.requireNonNull(immutableTags, "immutableTags");
      immutableTagsOverride = Set.copyOf(immutableTagsOverride);
      retention = List.copyOf(retention);
      if (!pullsFlush.isPositive()) {
        throw new IllegalArgumentException("pullsFlush must be positive");
      }
      Objects.requireNonNull(quotas, "quotas");
      if (quotasScanSeconds < 1) {
        throw new IllegalArgumentException("quotasScanSeconds must be at least 1");
      }
    }

    /** No rules, nobody may override, no retention, no quotas. */
    public static final Policies NONE =
        new Policies(
            ImmutableTags.NONE,
            Set.of(),
            List.of(),
            DEFAULT_PULLS_FLUSH,
            Quotas.NONE,
            DEFAULT_QUOTAS_SCAN_SECONDS);

    /** Immutable tag rules only. */
    public Policies(ImmutableTags immutableTags, Set<String> immutableTagsOverride) {
      this(
          immutableTags,
          immutableTagsOverride,
          List.of(),
          DEFAULT_PULLS_FLUSH,
          Quotas.NONE,
          DEFAULT_QUOTAS_SCAN_SECONDS);
    }

    /** Retention policies only. */
    public Policies(List<RetentionPolicy> retention) {
      this(
          ImmutableTags.NONE,
          Set.of(),
          retention,
          DEFAULT_PULLS_FLUSH,
          Quotas.NONE,
          DEFAULT_QUOTAS_SCAN_SECONDS);
    }

    /** Every field of {@link Policies} once, for the copies its withers make. */
    private final class Builder {
      ImmutableTags immutableTags = Policies.this.immutableTags;
      Set<String> immutableTagsOverride = Policies.this.immutableTagsOverride;
      List<RetentionPolicy> retention = Policies.this.retention;
      Duration pullsFlush = Policies.this.pullsFlush;
      Quotas quotas = Policies.this.quotas;
      int quotasScanSeconds = Policies.this.quotasScanSeconds;

      Policies build(Consumer<Builder> change) {
        change.accept(this);
        return new Policies(
            immutableTags, immutableTagsOverride, retention, pullsFlush, quotas, quotasScanSeconds);
      }
    }

    private Policies copy(Consumer<Builder> change) {
      return new Builder().build(change);
    }

    public Policies withImmutableTags(ImmutableTags value) {
      return copy(b -> b.immutableTags = value);
    }

    public Policies withImmutableTagsOverride(Set<String> value) {
      return copy(b -> b.immutableTagsOverride = value);
    }

    public Policies withRetention(List<RetentionPolicy> value) {
      return copy(b -> b.retention = value);
    }

    public Policies withQuotas(Quotas value) {
      return copy(b -> b.quotas = value);
    }

    public Policies withQuotasScanSeconds(int value) {
      return copy(b -> b.quotasScanSeconds = value);
    }

    @SuppressWarnings("unchecked")
    static Policies from(Map<ConfigKey, Object> v) {
      return new Policies(
          (ImmutableTags) v.get(ConfigKey.POLICIES_IMMUTABLE_TAGS),
          (Set<String>) v.get(ConfigKey.POLICIES_IMMUTABLE_TAGS_OVERRIDE),
          (List<RetentionPolicy>) v.get(ConfigKey.POLICIES_RETENTION),
          Duration.ofSeconds((Integer) v.get(ConfigKey.POLICIES_PULLS_FLUSH_SECONDS)),
          (Quotas) v.get(ConfigKey.POLICIES_QUOTAS),
          (Integer) v.get(ConfigKey.POLICIES_QUOTAS_SCAN_SECONDS));
    }
  }

  public LadingConfig withPolicies(Policies value) {
    return copy(b -> b.policies = value);
  }

  /**
   * What the server tells its operators: {@code metricsPort} serves {@code /metrics} on a listener
   * of its own (empty: on the registry's port, 0: any free port); logs as text lines or JSON lines,
   * at {@code logLevel} ({@code trace} to {@code error}) and above.
   */
  public record Telemetry(OptionalInt metricsPort, LogFormat logFormat, String logLevel) {
    public Telemetry {
      Objects.requireNonNull(metricsPort, "metricsPort");
      Objects.requireNonNull(logFormat, "logFormat");
      Objects.requireNonNull(logLevel, "logLevel");
    }

    /**
     * {@code text}: one readable line per event; {@code json}: one JSON object per line, fields as
     * keys.
     */
    public enum LogFormat {
      TEXT,
      JSON
    }
  }

  public LadingConfig withTelemetry(Telemetry value) {
    return copy(b -> b.telemetry = value);
  }

  /**
   * With {@code /metrics} served only on a listener of its own at {@code port} (0: any free port).
   */
  public LadingConfig withMetricsPort(int port) {
    return withTelemetry(
        new Telemetry(OptionalInt.of(port), telemetry.logFormat, telemetry.logLevel));
  }
}
