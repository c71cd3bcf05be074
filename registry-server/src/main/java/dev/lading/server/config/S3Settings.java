package dev.lading.server.config;

import dev.lading.storage.s3.S3StoreConfig;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code storage.s3.*} keys checked together and turned into the S3 store's own validated
 * {@link S3StoreConfig}, so a missing bucket, a credential given twice or a prefix the store would
 * refuse stops the start with the key's name. Credentials come from the value, from a file it names
 * ({@code *_file}, for mounted secrets) or from the environment ({@code
 * LADING_STORAGE_S3_SECRET_KEY}); their values never go into a message.
 */
final class S3Settings {
  private S3Settings() {}

  static Object endpoint(String v) {
    if (v.isEmpty()) {
      return v;
    }
    try {
      URI uri = new URI(v);
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          || uri.getHost() == null) {
        throw new IllegalArgumentException("must be an http(s) URL such as http://127.0.0.1:7480");
      }
      if (uri.getUserInfo() != null) {
        throw new IllegalArgumentException(
            "must not carry credentials (use access_key and secret_key)");
      }
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("must be an http(s) URL such as http://127.0.0.1:7480");
    }
    return v;
  }

  static Object checksumMode(String v) {
    try {
      return S3StoreConfig.ChecksumMode.parse(v);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("must be when_required or when_supported");
    }
  }

  /**
   * The S3 settings when {@code storage.type} is {@code s3}, else empty.
   *
   * @throws ConfigException naming every key that is missing or wrong
   */
  static Optional<LadingConfig.S3> from(
      Map<ConfigKey, Object> typed, Map<ConfigKey, ConfigLoader.Setting> raw) {
    if (typed.get(ConfigKey.STORAGE_TYPE) != StorageType.S3) {
      return Optional.empty();
    }
    List<String> problems = new ArrayList<>();
    String bucket = (String) typed.get(ConfigKey.STORAGE_S3_BUCKET);
    if (bucket.isEmpty()) {
      problems.add(
          ConfigKey.STORAGE_S3_BUCKET.path()
              + ": required with storage.type s3 (set it or "
              + ConfigKey.STORAGE_S3_BUCKET.envName()
              + ")");
    }
    String accessKey =
        credential(
            typed,
            raw,
            ConfigKey.STORAGE_S3_ACCESS_KEY,
            ConfigKey.STORAGE_S3_ACCESS_KEY_FILE,
            problems);
    String secretKey =
        credential(
            typed,
            raw,
            ConfigKey.STORAGE_S3_SECRET_KEY,
            ConfigKey.STORAGE_S3_SECRET_KEY_FILE,
            problems);
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    String endpoint = (String) typed.get(ConfigKey.STORAGE_S3_ENDPOINT);
    S3StoreConfig store;
    try {
      store =
          S3StoreConfig.of(
                  endpoint.isEmpty() ? Optional.empty() : Optional.of(URI.create(endpoint)),
                  (String) typed.get(ConfigKey.STORAGE_S3_REGION),
                  bucket,
                  accessKey,
                  secretKey)
              .withPrefix((String) typed.get(ConfigKey.STORAGE_S3_PREFIX))
              .withPathStyle((Boolean) typed.get(ConfigKey.STORAGE_S3_PATH_STYLE))
              .withChecksumMode(
                  (S3StoreConfig.ChecksumMode) typed.get(ConfigKey.STORAGE_S3_CHECKSUM_MODE))
              .withPartSize(
                  (Integer) typed.get(ConfigKey.STORAGE_S3_PART_SIZE_MIB) * S3StoreConfig.MIB)
              .withReadWindow(
                  (Integer) typed.get(ConfigKey.STORAGE_S3_READ_WINDOW_MIB) * S3StoreConfig.MIB)
              .withMaxConnections((Integer) typed.get(ConfigKey.STORAGE_S3_MAX_CONNECTIONS))
              .withPartsInFlight((Integer) typed.get(ConfigKey.STORAGE_S3_PARTS_IN_FLIGHT));
      int budgetMib = (Integer) typed.get(ConfigKey.STORAGE_S3_MEMORY_BUDGET_MIB);
      // 0 is the default: sized for the part size and depth configured here.
      store =
          store.withMemoryBudget(
              budgetMib > 0
                  ? budgetMib * S3StoreConfig.MIB
                  : S3StoreConfig.defaultMemoryBudget(store.partSize(), store.partsInFlight()));
    } catch (IllegalArgumentException e) {
      // S3StoreConfig's messages start with its field's name; say which key that is.
      throw new ConfigException(
          keyOfField(e.getMessage())
              + ": "
              + afterField(e.getMessage())
              + " (from "
              + raw.get(keyOfFieldKey(e.getMessage())).source()
              + ")");
    }
    return Optional.of(
        new LadingConfig.S3(
            store,
            (Boolean) typed.get(ConfigKey.STORAGE_S3_REDIRECT),
            Duration.ofSeconds((Integer) typed.get(ConfigKey.STORAGE_S3_REDIRECT_TTL_SECONDS))));
  }

  /** Exactly one of the value and the file; the file's content with surrounding blanks dropped. */
  private static String credential(
      Map<ConfigKey, Object> typed,
      Map<ConfigKey, ConfigLoader.Setting> raw,
      ConfigKey valueKey,
      ConfigKey fileKey,
      List<String> problems) {
    String value = (String) typed.get(valueKey);
    String file = (String) typed.get(fileKey);
    if (!value.isEmpty() && !file.isEmpty()) {
      problems.add(valueKey.path() + ": give it or " + fileKey.path() + ", not both");
      return "";
    }
    if (!file.isEmpty()) {
      try {
        String read = Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
        if (read.isEmpty()) {
          problems.add(
              fileKey.path() + ": " + file + " is empty (from " + raw.get(fileKey).source() + ")");
        }
        return read;
      } catch (IOException | RuntimeException e) {
        problems.add(
            fileKey.path()
                + ": cannot read "
                + file
                + " ("
                + e.getClass().getSimpleName()
                + ") (from "
                + raw.get(fileKey).source()
                + ")");
        return "";
      }
    }
    if (value.isEmpty()) {
      problems.add(
          valueKey.path()
              + ": required with storage.type s3 (set it, "
              + fileKey.path()
              + ", or "
              + valueKey.envName()
              + ")");
    }
    return value;
  }

  private static final Map<String, ConfigKey> FIELDS =
      Map.ofEntries(
          Map.entry("endpoint", ConfigKey.STORAGE_S3_ENDPOINT),
          Map.entry("region", ConfigKey.STORAGE_S3_REGION),
          Map.entry("bucket", ConfigKey.STORAGE_S3_BUCKET),
          Map.entry("prefix", ConfigKey.STORAGE_S3_PREFIX),
          Map.entry("accessKey", ConfigKey.STORAGE_S3_ACCESS_KEY),
          Map.entry("secretKey", ConfigKey.STORAGE_S3_SECRET_KEY),
          Map.entry("partSize", ConfigKey.STORAGE_S3_PART_SIZE_MIB),
          Map.entry("memoryBudget", ConfigKey.STORAGE_S3_MEMORY_BUDGET_MIB),
          Map.entry("readWindow", ConfigKey.STORAGE_S3_READ_WINDOW_MIB),
          Map.entry("maxConnections", ConfigKey.STORAGE_S3_MAX_CONNECTIONS),
          Map.entry("partsInFlight", ConfigKey.STORAGE_S3_PARTS_IN_FLIGHT));

  private static ConfigKey keyOfFieldKey(String message) {
    String field = message == null ? "" : message.split(":", 2)[0].strip();
    // StorageKeys' messages about the prefix do not start with a field name.
    return FIELDS.getOrDefault(field, ConfigKey.STORAGE_S3_PREFIX);
  }

  private static String keyOfField(String message) {
    return keyOfFieldKey(message).path();
  }

  private static String afterField(String message) {
    if (message == null) {
      return "invalid";
    }
    String[] parts = message.split(":", 2);
    return parts.length == 2 && FIELDS.containsKey(parts[0].strip()) ? parts[1].strip() : message;
  }
}
