package dev.lading.server.config;

import dev.lading.auth.LoginLimiter;
import dev.lading.auth.Principal;
import dev.lading.core.registry.GcFence;
import dev.lading.core.registry.RegistryOptions;
import dev.lading.events.EventOptions;
import dev.lading.gc.GcOptions;
import dev.lading.storage.s3.S3StoreConfig;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;

/**
 * The configuration schema: every key the server understands, in YAML path form ({@code
 * http.port}), with its default and its grammar. The environment name of a key is derived from the
 * path ({@code LADING_HTTP_PORT}); matching names against this list (instead of splitting them on
 * underscores) is what lets multi-word keys such as {@code limits.manifest_bytes} be set from the
 * environment.
 *
 * <p>A default the module that uses the value declares ({@code GcOptions}, {@code S3StoreConfig},
 * {@code RegistryOptions}, {@code LoginLimiter}) is that module's constant, rendered here in the
 * key's unit: the modules never see this schema, so the constant is the one source and the README's
 * table is checked against what this enum renders.
 */
public enum ConfigKey {
  HTTP_HOST("http.host", "0.0.0.0", ConfigKey::host),
  HTTP_PORT("http.port", "5000", v -> intBetween(v, 0, 65_535)),
  /** Longest request line (method, URI, version) accepted; longer is answered 400. */
  HTTP_MAX_INITIAL_LINE_BYTES(
      "http.max_initial_line_bytes", "8192", v -> intBetween(v, 256, 65_536)),
  /** Largest header block accepted; larger is answered 400. */
  HTTP_MAX_HEADER_BYTES("http.max_header_bytes", "16384", v -> intBetween(v, 1_024, 1_048_576)),
  /** How long {@code close()} lets requests in flight finish before cutting connections. */
  HTTP_SHUTDOWN_TIMEOUT_SECONDS(
      "http.shutdown_timeout_seconds", "30", v -> intBetween(v, 0, 3_600)),
  /**
   * On SIGTERM, how long {@code /readyz} answers 503 while the listener still accepts and serves as
   * usual, before it closes: the time load balancers and Kubernetes endpoints need to stop sending
   * new connections (their probes run every few seconds). 0 skips the wait.
   */
  HTTP_DRAIN_DELAY_SECONDS("http.drain_delay_seconds", "5", v -> intBetween(v, 0, 3_600)),
  /**
   * Peers (IP addresses or CIDR blocks) allowed to say who the client is and which URL it used,
   * with {@code Forwarded} (RFC 7239) or {@code X-Forwarded-For}, {@code -Proto}, {@code -Host} and
   * {@code -Port}: the reverse proxy or ingress in front of the registry. Empty: the TCP peer is
   * the client and this listener the origin. Read by the token challenge's realm, the access and
   * audit logs and login throttling.
   */
  HTTP_TRUSTED_PROXIES("http.trusted_proxies", "[]", AuthSettings::proxies, Shape.LIST),
  /**
   * TLS on the listener: a PEM file with the server's certificate first, then its intermediates.
   * With {@code key_file}, or neither (plain HTTP). Re-read while the server runs.
   */
  HTTP_TLS_CERT_FILE("http.tls.cert_file", "", v -> v),
  /**
   * The PEM private key of {@code cert_file}'s first certificate (PKCS#8, PKCS#1 or SEC1,
   * unencrypted).
   */
  HTTP_TLS_KEY_FILE("http.tls.key_file", "", v -> v),
  /**
   * A request head must arrive whole within this many seconds of its first byte (of the connection,
   * for a connection's first request). A real client sends its head in one write; 30 s still lets a
   * very slow link through while a client trickling bytes to hold the connection loses it.
   */
  HTTP_HEADER_TIMEOUT_SECONDS("http.header_timeout_seconds", "30", v -> intBetween(v, 1, 3_600)),
  /**
   * A kept-alive connection with no new request for this many seconds after its last response is
   * closed. Longer than the 90 s for which Go clients (docker, containerd, podman, skopeo) keep an
   * idle connection, so the client closes first and never sends a request on a connection the
   * server is closing at that moment.
   */
  HTTP_IDLE_TIMEOUT_SECONDS("http.idle_timeout_seconds", "120", v -> intBetween(v, 1, 86_400)),
  /**
   * A request whose body sends no byte for this many seconds while the server is ready to read is
   * cut off; time the server itself holds reading off (a slow store) never counts. Generous,
   * because a client copying from another registry streams at that registry's pace.
   */
  HTTP_BODY_STALL_TIMEOUT_SECONDS(
      "http.body_stall_timeout_seconds", "120", v -> intBetween(v, 1, 86_400)),
  /**
   * Open connections beyond this are answered 503 with {@code Retry-After} and closed. Each one
   * holds a file descriptor and buffers; the ceiling keeps a flood from taking the descriptors the
   * store needs.
   */
  HTTP_MAX_CONNECTIONS("http.max_connections", "4096", v -> intBetween(v, 1, 1_000_000)),
  STORAGE_TYPE("storage.type", "filesystem", ConfigKey::storageType),
  STORAGE_FILESYSTEM_ROOT("storage.filesystem.root", "./data", ConfigKey::nonBlank),
  /**
   * Write uploads with direct I/O where the filesystem supports it (less CPU, no gigabytes of dirty
   * page cache); {@code false} writes through the page cache, which keeps a just-pushed blob cached
   * for its first pull.
   */
  STORAGE_FILESYSTEM_DIRECT_IO("storage.filesystem.direct_io", "true", ConfigKey::bool),
  // ---- the S3 store (storage.type: s3); checked together by S3Settings ----
  /** Where S3 answers ({@code http(s)://host:port}); empty: AWS itself, derived from the region. */
  STORAGE_S3_ENDPOINT("storage.s3.endpoint", "", S3Settings::endpoint),
  STORAGE_S3_REGION("storage.s3.region", "us-east-1", ConfigKey::nonBlank),
  /** An existing bucket; required with {@code storage.type: s3}. */
  STORAGE_S3_BUCKET("storage.s3.bucket", "", v -> v),
  /** Key prefix inside the bucket: empty, or segments each ending in {@code /}. */
  STORAGE_S3_PREFIX("storage.s3.prefix", "", v -> v),
  STORAGE_S3_PATH_STYLE(
      "storage.s3.path_style", String.valueOf(S3StoreConfig.DEFAULT_PATH_STYLE), ConfigKey::bool),
  /** The access key id, or {@code access_key_file}, a file holding it. */
  STORAGE_S3_ACCESS_KEY("storage.s3.access_key", "", v -> v, Shape.SCALAR_SECRET),
  STORAGE_S3_ACCESS_KEY_FILE("storage.s3.access_key_file", "", v -> v),
  /** The secret, or {@code secret_key_file}, a file holding it; never printed. */
  STORAGE_S3_SECRET_KEY("storage.s3.secret_key", "", v -> v, Shape.SCALAR_SECRET),
  STORAGE_S3_SECRET_KEY_FILE("storage.s3.secret_key_file", "", v -> v),
  /** {@code when_required} (what Ceph RGW 16 accepts) or {@code when_supported}. */
  STORAGE_S3_CHECKSUM_MODE(
      "storage.s3.checksum_mode",
      S3StoreConfig.ChecksumMode.DEFAULT.configName(),
      S3Settings::checksumMode),
  /** Bytes of every multipart part but the last, in MiB. */
  STORAGE_S3_PART_SIZE_MIB(
      "storage.s3.part_size_mib", mib(S3StoreConfig.DEFAULT_PART_SIZE), v -> intBetween(v, 5, 128)),
  /**
   * Part buffers all uploads may hold at once, in MiB; 0: a quarter of the heap (1 GiB at most),
   * but at least one part filling plus {@code parts_in_flight} uploading.
   */
  STORAGE_S3_MEMORY_BUDGET_MIB(
      "storage.s3.memory_budget_mib", "0", v -> intBetween(v, 0, 1_048_576)),
  /** Bytes per ranged GET when streaming a blob out, in MiB. */
  STORAGE_S3_READ_WINDOW_MIB(
      "storage.s3.read_window_mib",
      mib(S3StoreConfig.DEFAULT_READ_WINDOW),
      v -> intBetween(v, 1, 1_024)),
  /** Parts one upload sends to S3 at once while the next fills (memory budget permitting). */
  STORAGE_S3_PARTS_IN_FLIGHT(
      "storage.s3.parts_in_flight",
      String.valueOf(S3StoreConfig.DEFAULT_PARTS_IN_FLIGHT),
      v -> intBetween(v, 1, 16)),
  STORAGE_S3_MAX_CONNECTIONS(
      "storage.s3.max_connections",
      String.valueOf(S3StoreConfig.DEFAULT_MAX_CONNECTIONS),
      v -> intBetween(v, 1, 10_000)),
  /** Answer blob GETs with 307 to a presigned S3 URL (HEAD never is). */
  STORAGE_S3_REDIRECT("storage.s3.redirect", "false", ConfigKey::bool),
  /** Life of a redirect's presigned URL. */
  STORAGE_S3_REDIRECT_TTL_SECONDS(
      "storage.s3.redirect_ttl_seconds", "300", v -> intBetween(v, 10, 604_800)),
  /** Manifests above this many bytes are refused with 413 before more is read. */
  LIMITS_MANIFEST_BYTES(
      "limits.manifest_bytes",
      String.valueOf(RegistryOptions.DEFAULT_MAX_MANIFEST_BYTES),
      v -> longBetween(v, 1_024, 268_435_456)),
  /**
   * The most byte ranges one blob GET may name ({@code Range: bytes=0-9,100-109,...}); more are
   * answered 416. 1024 is the most containers/storage asks for in one request (zstd:chunked and
   * eStargz partial pulls).
   */
  LIMITS_MAX_RANGES(
      "limits.max_ranges",
      String.valueOf(LadingConfig.Limits.DEFAULT_MAX_RANGES),
      v -> intBetween(v, 1, 65_536)),
  /**
   * Accept an index whose child manifests are not all in the repository (a sparse index, optional
   * in the specs); off: such an index is refused with MANIFEST_BLOB_UNKNOWN.
   */
  MANIFESTS_ALLOW_SPARSE_INDEX(
      "manifests.allow_sparse_index",
      String.valueOf(RegistryOptions.DEFAULT_ALLOW_SPARSE_INDEX),
      ConfigKey::bool),
  /**
   * Take blobs and manifests under {@code blake3:} digests (registered in image-spec, optional
   * there); off: any request naming one is refused with 400 DIGEST_INVALID.
   */
  DIGESTS_ALLOW_BLAKE3(
      "digests.allow_blake3",
      String.valueOf(RegistryOptions.DEFAULT_ALLOW_BLAKE3),
      ConfigKey::bool),
  // ---- garbage collection (module gc) ----
  /** Minutes between online GC runs; 0: only on demand (admin endpoint, {@code gc} command). */
  GC_INTERVAL_MINUTES("gc.interval_minutes", "0", v -> intBetween(v, 0, 525_600)),
  /** Objects younger than this are never swept (a layer whose manifest is still coming). */
  GC_GRACE_MINUTES(
      "gc.grace_minutes",
      whole(GcOptions.DEFAULT_GRACE, ChronoUnit.MINUTES),
      v -> intBetween(v, 0, 10_080)),
  /** Upload sessions started longer ago are aborted and removed. */
  GC_UPLOAD_EXPIRY_HOURS(
      "gc.upload_expiry_hours",
      whole(GcOptions.DEFAULT_UPLOAD_EXPIRY, ChronoUnit.HOURS),
      v -> intBetween(v, 1, 8_760)),
  /** Sweep untagged manifests that no tag, index or referrer keeps (default: keep them). */
  GC_DELETE_UNTAGGED(
      "gc.delete_untagged", String.valueOf(GcOptions.DEFAULT_DELETE_UNTAGGED), ConfigKey::bool),
  /**
   * Seconds a run waits after announcing itself before it marks: every instance's pushers must have
   * seen the run by then, so it must exceed their cache of the run list (5 s).
   */
  GC_FENCE_DELAY_SECONDS(
      "gc.fence_delay_seconds",
      whole(GcOptions.DEFAULT_FENCE_DELAY, ChronoUnit.SECONDS),
      v -> intBetween(v, (int) GcFence.DEFAULT_TTL.toSeconds() + 1, 3_600)),
  /** Online runs only report what they would sweep. */
  GC_DRY_RUN("gc.dry_run", String.valueOf(GcOptions.DEFAULT_DRY_RUN), ConfigKey::bool),
  // ---- lifecycle policies ---------------------------------------------------------------------
  /**
   * Retention: a list of {@code {repositories: [pattern], tags: [pattern], keep_last: N,
   * keep_pushed_within_hours: H, untagged_for_hours: H}}, evaluated at the start of every GC run
   * (see {@code RetentionSettings} and the gc module's {@code RetentionPlan}).
   */
  POLICIES_RETENTION("policies.retention", "[]", RetentionSettings::retention, Shape.LIST),
  /**
   * How often an instance writes the pulls it saw to the store (only while a retention policy keeps
   * tags by pulls): "last pulled" is at most this stale, and each pulled repository costs one write
   * per interval.
   */
  POLICIES_PULLS_FLUSH_SECONDS(
      "policies.pulls_flush_seconds",
      whole(LadingConfig.Policies.DEFAULT_PULLS_FLUSH, ChronoUnit.SECONDS),
      v -> intBetween(v, 1, 3_600)),
  /** Refuse every write with 405 UNSUPPORTED (pulls keep working). */
  READ_ONLY("read_only", "false", ConfigKey::bool),

  // ---- what operators see: metrics and logs --------------------------------------------------
  /**
   * Serve {@code /metrics} only on this port, on a listener of its own bound to {@code http.host}
   * (the registry's port then answers 404 there); empty: on the registry's port. 0: any free port.
   */
  METRICS_PORT("metrics.port", "", ConfigKey::optionalPort),
  /**
   * {@code text} (readable lines) or {@code json} (one object per line, every field its own key).
   */
  LOG_FORMAT("log.format", "text", ConfigKey::logFormat),
  /**
   * The least severe level written: {@code trace}, {@code debug}, {@code info}, {@code warn} or
   * {@code error}.
   */
  LOG_LEVEL("log.level", "info", ConfigKey::logLevel),

  // ---- auth (token auth; "none" keeps every request allowed) ---------------------------------
  /** {@code none} (default: no auth, the embedded quick start) or {@code token}. */
  AUTH_MODE("auth.mode", "none", AuthSettings::mode),
  /** The {@code iss} of tokens the registry issues or, with an external issuer, trusts. */
  AUTH_TOKEN_ISSUER("auth.token.issuer", "lading", AuthSettings::printable),
  /** The {@code service} of the challenge and the tokens' audience. */
  AUTH_TOKEN_SERVICE("auth.token.service", "lading", AuthSettings::printable),
  /** The token endpoint the challenge names; empty: {@code http://<Host>/auth/token}. */
  AUTH_TOKEN_REALM("auth.token.realm", "", AuthSettings::realm),
  AUTH_TOKEN_TTL_SECONDS("auth.token.ttl_seconds", "300", v -> intBetween(v, 60, 86_400)),
  /** Life of refresh tokens (docker login's identity token); the rules apply again at each use. */
  AUTH_TOKEN_REFRESH_TTL_SECONDS(
      "auth.token.refresh_ttl_seconds", "2592000", v -> intBetween(v, 60, 31_536_000)),
  /**
   * The signing keys, kept by the operator outside the store and only read by Lading: a JWK set
   * file (current key first) or a directory holding {@code current.jwk} and optionally {@code
   * previous.jwk}; owner-only. Empty: the keys live in the store (with the filesystem store {@code
   * <storage root>/auth/signing-keys.jwks}, with S3 the object {@code auth/signing-keys.jwks}),
   * created when missing, rotated by {@code lading keys rotate}.
   */
  AUTH_TOKEN_KEY_FILE("auth.token.key_file", "", v -> v),
  /**
   * Let {@code key_file}'s group read it (never write it; others never): Kubernetes adds group read
   * to a Secret's files when the pod sets {@code fsGroup}.
   */
  AUTH_TOKEN_KEY_FILE_GROUP_READABLE(
      "auth.token.key_file_group_readable", "false", ConfigKey::bool),
  /**
   * How often a running server re-reads the signing key set, so a rotation reaches it without a
   * restart.
   */
  AUTH_TOKEN_KEY_RELOAD_SECONDS(
      "auth.token.key_reload_seconds", "30", v -> intBetween(v, 1, 3_600)),
  /** Trust an external issuer instead: its JWKS URL ... */
  AUTH_TOKEN_EXTERNAL_JWKS_URL("auth.token.external.jwks_url", "", AuthSettings::url),
  /** ... or a file holding its public JWK set. */
  AUTH_TOKEN_EXTERNAL_KEY_FILE("auth.token.external.key_file", "", v -> v),
  AUTH_TOKEN_EXTERNAL_ALGORITHM("auth.token.external.algorithm", "RS256", AuthSettings::algorithm),
  /**
   * The longest wait after failed logins of one account from one address: 1 s after the first,
   * doubling with each further failure in a row, reset by a success.
   */
  AUTH_LOGIN_MAX_BACKOFF_SECONDS(
      "auth.login.max_backoff_seconds",
      whole(LoginLimiter.DEFAULT_MAX_BACKOFF, ChronoUnit.SECONDS),
      v -> intBetween(v, 1, 86_400)),
  /**
   * Accounts that may fail from one address before every login from it waits (password spraying);
   * one more every 30 s. 0: no limit per address (only per account and address).
   */
  AUTH_LOGIN_ADDRESS_FAILURES(
      "auth.login.address_failures",
      String.valueOf(LoginLimiter.DEFAULT_ADDRESS_BURST),
      v -> intBetween(v, 0, 1_000_000)),
  /** Users: a list of {@code {name, password_hash | password_hash_file}} (bcrypt). */
  AUTH_USERS(
      "auth.users", "[]", v -> AuthSettings.accounts(v, Principal.Kind.USER), Shape.LIST_SECRET),
  /**
   * Robot accounts: a list of {@code {name, secret_hash | secret_hash_file}} ({@code lading robot
   * create}).
   */
  AUTH_ROBOTS(
      "auth.robots", "[]", v -> AuthSettings.accounts(v, Principal.Kind.ROBOT), Shape.LIST_SECRET),
  /**
   * Grants: a list of {@code {subjects: [name | anonymous | *], repositories: [pattern], actions:
   * [pull, push, delete]}}.
   */
  AUTH_RULES("auth.rules", "[]", AuthSettings::rules, Shape.LIST),
  /** Repository patterns anyone may pull without credentials. */
  AUTH_ANONYMOUS_PULL("auth.anonymous_pull", "[]", AuthSettings::patterns, Shape.LIST),

  // ---- policies: what may happen to tags ---------------------------------------------------
  /**
   * Immutable tags: a list of {@code {repositories: [pattern], tags: [glob]}}; a tag a rule covers
   * is never moved or deleted once it exists (403 DENIED naming the rule), a re-push of its digest
   * is accepted.
   */
  POLICIES_IMMUTABLE_TAGS(
      "policies.immutable_tags", "[]", PolicySettings::immutableTags, Shape.LIST),
  /**
   * Users and robots (by name) whose request may override the immutable tag rules when it asks to
   * with the {@code Lading-Override-Immutable: true} header; every use is audited. Needs token
   * auth.
   */
  POLICIES_IMMUTABLE_TAGS_OVERRIDE(
      "policies.immutable_tags_override", "[]", PolicySettings::overrideSubjects, Shape.LIST),
  /**
   * Quotas: a list of {@code {repositories: [pattern], bytes: <whole number>}}; the distinct blobs
   * kept by manifests in the matching repositories (each counted once) may total at most {@code
   * bytes}; a manifest push that would cross it is refused with 403 DENIED and the usage.
   */
  POLICIES_QUOTAS("policies.quotas", "[]", PolicySettings::quotas, Shape.LIST),
  /**
   * Seconds between recounts of the quotas' usage from the store (each instance; what other
   * instances accepted, and what GC freed, shows at the next one).
   */
  POLICIES_QUOTAS_SCAN_SECONDS("policies.quotas_scan_seconds", "60", v -> intBetween(v, 1, 86_400)),

  // ---- events (module events): CloudEvents POSTed to other systems ---------------------------
  /**
   * Where events go: a list of {@code {name, url, secret | secret_file, repositories: [pattern],
   * types: [type | prefix.* | *]}}; empty: events are off. {@code name} names the endpoint's queue
   * in the store (a-z, 0-9, -); {@code secret} keys the {@code Lading-Signature} HMAC.
   */
  EVENTS_ENDPOINTS("events.endpoints", "[]", EventSettings::endpoints, Shape.LIST_SECRET),
  /** The share of manifest pulls sent as {@code manifest.pulled} events: 0 (none) to 1 (all). */
  EVENTS_PULL_SAMPLE_RATE(
      "events.pull_sample_rate",
      String.valueOf((int) EventOptions.DEFAULT_PULL_SAMPLE_RATE),
      EventSettings::sampleRate),
  /**
   * Events an instance holds in memory on their way to the store; more are dropped (counted in
   * {@code lading_events_dropped_total}), never waited for.
   */
  EVENTS_QUEUE_SIZE(
      "events.queue_size",
      String.valueOf(EventOptions.DEFAULT_QUEUE_SIZE),
      v -> intBetween(v, 1, 1_000_000)),
  /** Undelivered events the store keeps per endpoint; beyond, the oldest are dropped. */
  EVENTS_MAX_STORED(
      "events.max_stored",
      String.valueOf(EventOptions.DEFAULT_MAX_STORED),
      v -> intBetween(v, 1, 100_000_000)),
  /**
   * Given-up events the store keeps per endpoint for {@code POST /admin/events/<name>/replay};
   * beyond, the oldest go; 0 keeps none.
   */
  EVENTS_MAX_FAILED(
      "events.max_failed",
      String.valueOf(EventOptions.DEFAULT_MAX_FAILED),
      v -> intBetween(v, 0, 10_000_000)),
  /** How long an event an endpoint fails to take is retried before it is given up. */
  EVENTS_RETRY_FOR_MINUTES(
      "events.retry_for_minutes",
      whole(EventOptions.DEFAULT_RETRY_FOR, ChronoUnit.MINUTES),
      v -> intBetween(v, 1, 43_200)),
  /** The longest one delivery POST may take, connecting included. */
  EVENTS_REQUEST_TIMEOUT_SECONDS(
      "events.request_timeout_seconds",
      whole(EventOptions.DEFAULT_REQUEST_TIMEOUT, ChronoUnit.SECONDS),
      v -> intBetween(v, 1, 600));

  /**
   * A key's form in YAML: one scalar, or a list (kept as JSON text, so the environment can set it
   * too: {@code LADING_AUTH_RULES='[{...}]'}). A secret is masked wherever it is printed.
   */
  enum Shape {
    SCALAR,
    SCALAR_SECRET,
    LIST,
    LIST_SECRET
  }

  /** Prefix of every environment variable the server reads. */
  public static final String ENV_PREFIX = "LADING_";

  private final String path;
  private final String defaultValue;
  private final Function<String, Object> parser;
  private final Shape shape;

  ConfigKey(String path, String defaultValue, Function<String, Object> parser) {
    this(path, defaultValue, parser, Shape.SCALAR);
  }

  ConfigKey(String path, String defaultValue, Function<String, Object> parser, Shape shape) {
    this.path = path;
    this.defaultValue = defaultValue;
    this.parser = parser;
    this.shape = shape;
  }

  /** True when the YAML value is a list (its raw form is JSON text). */
  public boolean list() {
    return shape == Shape.LIST || shape == Shape.LIST_SECRET;
  }

  public String path() {
    return path;
  }

  public String envName() {
    return ENV_PREFIX + path.replace('.', '_').toUpperCase(Locale.ROOT);
  }

  public String defaultValue() {
    return defaultValue;
  }

  /** Secrets are masked wherever the effective configuration is printed or logged. */
  public boolean secret() {
    return shape == Shape.SCALAR_SECRET || shape == Shape.LIST_SECRET;
  }

  /**
   * The typed value of {@code raw}.
   *
   * @throws IllegalArgumentException with a message saying what the value must be
   */
  Object parse(String raw) {
    return parser.apply(raw.strip());
  }

  public static Optional<ConfigKey> byPath(String path) {
    for (ConfigKey k : values()) {
      if (k.path.equals(path)) {
        return Optional.of(k);
      }
    }
    return Optional.empty();
  }

  public static Optional<ConfigKey> byEnvName(String name) {
    for (ConfigKey k : values()) {
      if (k.envName().equals(name)) {
        return Optional.of(k);
      }
    }
    return Optional.empty();
  }

  /**
   * True when {@code path} is a section holding keys ({@code storage}, {@code storage.filesystem}).
   */
  public static boolean isSection(String path) {
    for (ConfigKey k : values()) {
      if (k.path.startsWith(path + ".")) {
        return true;
      }
    }
    return false;
  }

  /** {@code bytes} as a whole number of MiB, as the {@code *_mib} keys take it. */
  private static String mib(long bytes) {
    if (bytes % S3StoreConfig.MIB != 0) {
      throw new IllegalStateException(bytes + " bytes is no whole number of MiB");
    }
    return Long.toString(bytes / S3StoreConfig.MIB);
  }

  /** {@code d} as a whole number of {@code unit}s, as a key named for that unit takes it. */
  private static String whole(Duration d, ChronoUnit unit) {
    long n = d.dividedBy(unit.getDuration());
    if (!unit.getDuration().multipliedBy(n).equals(d)) {
      throw new IllegalStateException(d + " is no whole number of " + unit);
    }
    return Long.toString(n);
  }

  private static Object host(String v) {
    if (v.isEmpty() || v.chars().anyMatch(c -> c <= ' ' || c == '/' || c > '~')) {
      throw new IllegalArgumentException("must be a host name or IP address");
    }
    return v;
  }

  private static Object nonBlank(String v) {
    if (v.isEmpty()) {
      throw new IllegalArgumentException("must not be empty");
    }
    return v;
  }

  private static Object storageType(String v) {
    return switch (v) {
      case "filesystem" -> StorageType.FILESYSTEM;
      case "s3" -> StorageType.S3;
      default -> throw new IllegalArgumentException("must be one of filesystem, s3");
    };
  }

  private static Object optionalPort(String v) {
    return v.isEmpty() ? OptionalInt.empty() : OptionalInt.of(intBetween(v, 0, 65_535));
  }

  private static Object logFormat(String v) {
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "text" -> LadingConfig.Telemetry.LogFormat.TEXT;
      case "json" -> LadingConfig.Telemetry.LogFormat.JSON;
      default -> throw new IllegalArgumentException("must be one of text, json");
    };
  }

  private static Object logLevel(String v) {
    String level = v.toLowerCase(Locale.ROOT);
    return switch (level) {
      case "trace", "debug", "info", "warn", "error" -> level;
      default ->
          throw new IllegalArgumentException("must be one of trace, debug, info, warn, error");
    };
  }

  private static Object bool(String v) {
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "true" -> Boolean.TRUE;
      case "false" -> Boolean.FALSE;
      default -> throw new IllegalArgumentException("must be true or false");
    };
  }

  private static int intBetween(String v, int min, int max) {
    return (int) longBetween(v, min, max);
  }

  private static long longBetween(String v, long min, long max) {
    String must = "must be between " + min + " and " + max;
    long n;
    try {
      n = Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("must be a whole number (" + must.substring(5) + ")");
    }
    if (n < min || n > max) {
      throw new IllegalArgumentException(must);
    }
    return n;
  }
}
