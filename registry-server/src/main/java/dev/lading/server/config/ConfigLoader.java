package dev.lading.server.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * Reads the YAML file and the environment against the schema. Precedence: environment over file
 * over default. Every problem is collected, so one start attempt reports them all.
 */
public final class ConfigLoader {
  private static final YAMLMapper YAML = new YAMLMapper();

  private ConfigLoader() {}

  /**
   * One key's effective value and where it came from ({@code default}, the file, or the variable).
   */
  public record Setting(ConfigKey key, String raw, String source) {
    /** The value as it may be printed: secrets masked. */
    public String shown() {
      return key.secret() && !raw.isEmpty() && !raw.equals("[]") ? "********" : raw;
    }
  }

  /** The validated configuration and the settings it was built from, in schema order. */
  public record Loaded(LadingConfig config, List<Setting> settings) {
    public Loaded {
      settings = List.copyOf(settings);
    }
  }

  /**
   * @param file the YAML file, or {@code null} for none
   * @param env the environment (only {@code LADING_*} names are looked at)
   * @throws ConfigException naming every unknown key and invalid value
   */
  public static Loaded load(Path file, Map<String, String> env) {
    List<String> problems = new ArrayList<>();
    Map<ConfigKey, Setting> raw = new EnumMap<>(ConfigKey.class);
    for (ConfigKey k : ConfigKey.values()) {
      raw.put(k, new Setting(k, k.defaultValue(), "default"));
    }
    if (file != null) {
      readFile(file, raw, problems);
    }
    // Sorted so errors come out in a stable order whatever the map's iteration order.
    for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
      String name = e.getKey();
      if (!name.startsWith(ConfigKey.ENV_PREFIX)) {
        continue;
      }
      Optional<ConfigKey> key = ConfigKey.byEnvName(name);
      if (key.isPresent()) {
        raw.put(key.get(), new Setting(key.get(), e.getValue() == null ? "" : e.getValue(), name));
      } else if (!KubernetesServiceLinks.isServiceLink(name, e.getValue())) {
        problems.add(
            name
                + ": unknown environment variable; did you mean "
                + KeySuggestions.closestEnvName(name)
                + "?");
      }
    }
    Map<ConfigKey, Object> typed = new EnumMap<>(ConfigKey.class);
    for (Setting s : raw.values()) {
      try {
        typed.put(s.key(), s.key().parse(s.raw()));
      } catch (IllegalArgumentException ex) {
        problems.add(
            KeySuggestions.listFromEnvironment(s)
                .map(
                    example ->
                        s.source()
                            + ": expects a JSON list, e.g. "
                            + example
                            + " ("
                            + s.key().path()
                            + ": "
                            + ex.getMessage()
                            + ")")
                .orElse(s.key().path() + ": " + ex.getMessage() + " (from " + s.source() + ")"));
      }
    }
    // Checks across keys need every value parsed; once they are, each check runs, so a start
    // attempt reports the problems of all of them (not only those of the first that fails).
    Optional<LadingConfig.S3> s3 = Optional.empty();
    if (problems.isEmpty()) {
      problems.addAll(AuthSettings.crossCheck(typed, raw));
      problems.addAll(TlsSettings.crossCheck(typed, raw));
      problems.addAll(PolicySettings.crossCheck(typed, raw));
      problems.addAll(metricsPortCheck(typed, raw));
      try {
        s3 = S3Settings.from(typed, raw);
      } catch (ConfigException e) {
        problems.addAll(e.problems());
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return new Loaded(LadingConfig.from(typed, s3), List.copyOf(raw.values()));
  }

  /** {@code metrics.port} must differ from {@code http.port}: both listen on {@code http.host}. */
  private static List<String> metricsPortCheck(
      Map<ConfigKey, Object> typed, Map<ConfigKey, Setting> raw) {
    var metricsPort = (OptionalInt) typed.get(ConfigKey.METRICS_PORT);
    int httpPort = (Integer) typed.get(ConfigKey.HTTP_PORT);
    if (metricsPort.isPresent()
        && metricsPort.getAsInt() != 0
        && metricsPort.getAsInt() == httpPort) {
      return List.of(
          ConfigKey.METRICS_PORT.path()
              + ": must differ from http.port ("
              + httpPort
              + "); leave it unset to serve /metrics on the registry's port (from "
              + raw.get(ConfigKey.METRICS_PORT).source()
              + ")");
    }
    return List.of();
  }

  private static void readFile(Path file, Map<ConfigKey, Setting> raw, List<String> problems) {
    JsonNode root;
    try {
      root = YAML.readTree(Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      throw new ConfigException(file + ": no such file");
    } catch (JacksonException e) {
      throw new ConfigException(file + ": not valid YAML: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read: " + e.getMessage());
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      return; // an empty file: every key at its default
    }
    if (!root.isObject()) {
      throw new ConfigException(file + ": must be a YAML mapping of keys");
    }
    walk(root, "", file.toString(), raw, problems);
  }

  private static void walk(
      JsonNode node,
      String prefix,
      String source,
      Map<ConfigKey, Setting> raw,
      List<String> problems) {
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      String path = prefix.isEmpty() ? field.getKey() : prefix + "." + field.getKey();
      JsonNode value = field.getValue();
      var key = ConfigKey.byPath(path);
      if (key.isPresent() && key.get().list()) {
        if (value.isArray() || value.isNull()) {
          raw.put(
              key.get(), new Setting(key.get(), value.isNull() ? "[]" : value.toString(), source));
        } else {
          problems.add(path + ": must be a list (from " + source + ")");
        }
      } else if (key.isPresent()) {
        if (value.isContainerNode()) {
          problems.add(
              path
                  + ": must be a single value, not a "
                  + (value.isArray() ? "list" : "mapping")
                  + " (from "
                  + source
                  + ")");
        } else {
          raw.put(key.get(), new Setting(key.get(), value.isNull() ? "" : value.asText(), source));
        }
      } else if (ConfigKey.isSection(path)) {
        if (value.isObject()) {
          walk(value, path, source, raw, problems);
        } else {
          problems.add(path + ": must be a mapping of keys (from " + source + ")");
        }
      } else {
        problems.add(
            path
                + ": unknown key (from "
                + source
                + "); did you mean "
                + KeySuggestions.closestPath(path)
                + "?");
      }
    }
  }
}
