package dev.lading.server.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code http.tls.*}: both files or neither, each a readable file when given. Checked when the
 * configuration loads (so {@code config check} catches a wrong path too); whether the files hold a
 * usable pair is found out when the server reads them ({@code dev.lading.server.tls}).
 */
final class TlsSettings {
  private TlsSettings() {}

  static Optional<LadingConfig.Tls> from(Map<ConfigKey, Object> v) {
    String cert = (String) v.get(ConfigKey.HTTP_TLS_CERT_FILE);
    String key = (String) v.get(ConfigKey.HTTP_TLS_KEY_FILE);
    if (cert.isEmpty() || key.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new LadingConfig.Tls(Path.of(cert), Path.of(key)));
  }

  static List<String> crossCheck(
      Map<ConfigKey, Object> v, Map<ConfigKey, ConfigLoader.Setting> raw) {
    List<String> problems = new ArrayList<>();
    String cert = (String) v.get(ConfigKey.HTTP_TLS_CERT_FILE);
    String key = (String) v.get(ConfigKey.HTTP_TLS_KEY_FILE);
    if (cert.isEmpty() != key.isEmpty()) {
      ConfigKey missing =
          cert.isEmpty() ? ConfigKey.HTTP_TLS_CERT_FILE : ConfigKey.HTTP_TLS_KEY_FILE;
      ConfigKey given = cert.isEmpty() ? ConfigKey.HTTP_TLS_KEY_FILE : ConfigKey.HTTP_TLS_CERT_FILE;
      problems.add(
          missing.path()
              + ": required with "
              + given.path()
              + " (TLS needs both files, or neither for plain HTTP)");
      return problems;
    }
    for (ConfigKey k : List.of(ConfigKey.HTTP_TLS_CERT_FILE, ConfigKey.HTTP_TLS_KEY_FILE)) {
      String file = (String) v.get(k);
      if (file.isEmpty()) {
        continue;
      }
      Path p = Path.of(file);
      String why =
          !Files.exists(p)
              ? "no such file"
              : !Files.isRegularFile(p)
                  ? "not a regular file"
                  : !Files.isReadable(p) ? "not readable by this process" : null;
      if (why != null) {
        problems.add(k.path() + ": " + file + ": " + why + " (from " + raw.get(k).source() + ")");
      }
    }
    return problems;
  }
}
