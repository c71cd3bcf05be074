package dev.lading.server.config;

import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * The configuration schema: every key the server understands, in YAML path form
 * ({@code http.port}), with its default and its grammar. The environment name of a key is
 * derived from the path ({@code LADING_HTTP_PORT}); matching names against this list (instead
 * of splitting them on underscores) is what lets multi-word keys such as
 * {@code limits.manifest_bytes} be set from the environment.
 */
public enum ConfigKey {
  HTTP_HOST("http.host", "0.0.0.0", ConfigKey::host),
  HTTP_PORT("http.port", "5000", v -> intBetween(v, 0, 65_535)),
  /** Longest request line (method, URI, version) accepted; longer is answered 400. */
  HTTP_MAX_INITIAL_LINE_BYTES("http.max_initial_line_bytes", "8192", v -> intBetween(v, 256, 65_536)),
  /** Largest header block accepted; larger is answered 400. */
  HTTP_MAX_HEADER_BYTES("http.max_header_bytes", "16384", v -> intBetween(v, 1_024, 1_048_576)),
  /** How long {@code close()} lets requests in flight finish before cutting connections. */
  HTTP_SHUTDOWN_TIMEOUT_SECONDS("http.shutdown_timeout_seconds", "30", v -> intBetween(v, 0, 3_600)),
  STORAGE_TYPE("storage.type", "filesystem", ConfigKey::storageType),
  STORAGE_FILESYSTEM_ROOT("storage.filesystem.root", "./data", ConfigKey::nonBlank),
  /** Manifests above this many bytes are refused with 413 before more is read. */
  LIMITS_MANIFEST_BYTES("limits.manifest_bytes", "4194304", v -> longBetween(v, 1_024, 268_435_456)),
  // ---- garbage collection (module gc) ----
  /** Minutes between online GC runs; 0: only on demand (admin endpoint, {@code gc} command). */
  GC_INTERVAL_MINUTES("gc.interval_minutes", "0", v -> intBetween(v, 0, 525_600)),
  /** Objects younger than this are never swept (a layer whose manifest is still coming). */
  GC_GRACE_MINUTES("gc.grace_minutes", "60", v -> intBetween(v, 0, 10_080)),
  /** Upload sessions started longer ago are aborted and removed. */
  GC_UPLOAD_EXPIRY_HOURS("gc.upload_expiry_hours", "24", v -> intBetween(v, 1, 8_760)),
  /** Sweep untagged manifests that no tag, index or referrer keeps (default: keep them). */
  GC_DELETE_UNTAGGED("gc.delete_untagged", "false", ConfigKey::bool),
  /** Online runs only report what they would sweep. */
  GC_DRY_RUN("gc.dry_run", "false", ConfigKey::bool),
  /** Refuse every write with 405 UNSUPPORTED (pulls keep working). */
  READ_ONLY("read_only", "false", ConfigKey::bool);

  /** Prefix of every environment variable the server reads. */
  public static final String ENV_PREFIX = "LADING_";

  private final String path;
  private final String defaultValue;
  private final Function<String, Object> parser;
  private final boolean secret;

  ConfigKey(String path, String defaultValue, Function<String, Object> parser) {
    this(path, defaultValue, parser, false);
  }

  ConfigKey(String path, String defaultValue, Function<String, Object> parser, boolean secret) {
    this.path = path;
    this.defaultValue = defaultValue;
    this.parser = parser;
    this.secret = secret;
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
    return secret;
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

  /** True when {@code path} is a section holding keys ({@code storage}, {@code storage.filesystem}). */
  public static boolean isSection(String path) {
    for (ConfigKey k : values()) {
      if (k.path.startsWith(path + ".")) {
        return true;
      }
    }
    return false;
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

  private static Object bool(String v) {
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "true" -> Boolean.TRUE;
      case "false" -> Boolean.FALSE;
      default -> throw new IllegalArgumentException("must be true or false");
    };
  }

  private static Object intBetween(String v, int min, int max) {
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
