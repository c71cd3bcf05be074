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
public record LadingConfig(Http http, Storage storage, Limits limits, boolean readOnly) {

  public LadingConfig {
    Objects.requireNonNull(http, "http");
    Objects.requireNonNull(storage, "storage");
    Objects.requireNonNull(limits, "limits");
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
        storage, limits, readOnly);
  }

  public LadingConfig withHttpHost(String host) {
    return new LadingConfig(
        new Http(host, http.port, http.maxInitialLineBytes, http.maxHeaderBytes, http.shutdownTimeout),
        storage, limits, readOnly);
  }

  public LadingConfig withShutdownTimeout(Duration timeout) {
    return new LadingConfig(
        new Http(http.host, http.port, http.maxInitialLineBytes, http.maxHeaderBytes, timeout),
        storage, limits, readOnly);
  }

  public LadingConfig withFilesystemRoot(Path root) {
    return new LadingConfig(http, new Storage(storage.type, new Filesystem(root)), limits, readOnly);
  }

  public LadingConfig withManifestLimit(long bytes) {
    return new LadingConfig(http, storage, new Limits(bytes), readOnly);
  }

  public LadingConfig withReadOnly(boolean readOnly) {
    return new LadingConfig(http, storage, limits, readOnly);
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
        (Boolean) v.get(ConfigKey.READ_ONLY));
  }
}
