package dev.lading.server.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * The validated configuration the server runs with. Built by {@link ConfigLoader} from the
 * schema ({@link ConfigKey}); tests and benchmarks start from {@link #defaults()} and change
 * what they need with the {@code with*} methods.
 */
public record LadingConfig(Http http, Storage storage, Limits limits, boolean readOnly, Gc gc) {

  public LadingConfig {
    Objects.requireNonNull(http, "http");
    Objects.requireNonNull(storage, "storage");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(gc, "gc");
  }

  /** Garbage collection: schedule ({@code interval} zero: on demand only) and policy. */
  public record Gc(
      Duration interval, Duration grace, Duration uploadExpiry, boolean deleteUntagged, boolean dryRun) {
    public Gc {
      Objects.requireNonNull(interval, "interval");
      Objects.requireNonNull(grace, "grace");
      Objects.requireNonNull(uploadExpiry, "uploadExpiry");
    }
  }

  public LadingConfig withGc(Gc value) {
    return new LadingConfig(http, storage, limits, readOnly, value);
  }

  /** The listening socket and HTTP parsing bounds. */
  public record Http(
      String host, int port, int maxInitialLineBytes, int maxHeaderBytes, Duration shutdownTimeout) {
    public Http {
      Objects.requireNonNull(host, "host");
      if (port < 0 || port > 65_535) {
        throw new IllegalArgumentException("port out of range: " + port);
      }
    }
  }

  public record Storage(StorageType type, Filesystem filesystem) {
    public Storage {
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(filesystem, "filesystem");
    }
  }

  public record Filesystem(Path root) {
    public Filesystem {
      Objects.requireNonNull(root, "root");
    }
  }

  public record Limits(long manifestBytes) {
    public Limits {
      if (manifestBytes <= 0) {
        throw new IllegalArgumentException("manifestBytes must be positive");
      }
    }
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
    return new LadingConfig(
        new Http(http.host, port, http.maxInitialLineBytes, http.maxHeaderBytes, http.shutdownTimeout),
        storage, limits, readOnly, gc);
  }

  public LadingConfig withHttpHost(String host) {
    return new LadingConfig(
        new Http(host, http.port, http.maxInitialLineBytes, http.maxHeaderBytes, http.shutdownTimeout),
        storage, limits, readOnly, gc);
  }

  public LadingConfig withShutdownTimeout(Duration timeout) {
    return new LadingConfig(
        new Http(http.host, http.port, http.maxInitialLineBytes, http.maxHeaderBytes, timeout),
        storage, limits, readOnly, gc);
  }

  public LadingConfig withFilesystemRoot(Path root) {
    return new LadingConfig(http, new Storage(storage.type, new Filesystem(root)), limits, readOnly, gc);
  }

  public LadingConfig withManifestLimit(long bytes) {
    return new LadingConfig(http, storage, new Limits(bytes), readOnly, gc);
  }

  public LadingConfig withReadOnly(boolean readOnly) {
    return new LadingConfig(http, storage, limits, readOnly, gc);
  }

  static LadingConfig from(Map<ConfigKey, Object> v) {
    return new LadingConfig(
        new Http(
            (String) v.get(ConfigKey.HTTP_HOST),
            (Integer) v.get(ConfigKey.HTTP_PORT),
            (Integer) v.get(ConfigKey.HTTP_MAX_INITIAL_LINE_BYTES),
            (Integer) v.get(ConfigKey.HTTP_MAX_HEADER_BYTES),
            Duration.ofSeconds((Integer) v.get(ConfigKey.HTTP_SHUTDOWN_TIMEOUT_SECONDS))),
        new Storage(
            (StorageType) v.get(ConfigKey.STORAGE_TYPE),
            new Filesystem(Path.of((String) v.get(ConfigKey.STORAGE_FILESYSTEM_ROOT)))),
        new Limits((Long) v.get(ConfigKey.LIMITS_MANIFEST_BYTES)),
        (Boolean) v.get(ConfigKey.READ_ONLY),
        new Gc(
            Duration.ofMinutes((Integer) v.get(ConfigKey.GC_INTERVAL_MINUTES)),
            Duration.ofMinutes((Integer) v.get(ConfigKey.GC_GRACE_MINUTES)),
            Duration.ofHours((Integer) v.get(ConfigKey.GC_UPLOAD_EXPIRY_HOURS)),
            (Boolean) v.get(ConfigKey.GC_DELETE_UNTAGGED),
            (Boolean) v.get(ConfigKey.GC_DRY_RUN)));
  }
}
