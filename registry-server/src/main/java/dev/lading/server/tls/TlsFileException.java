package dev.lading.server.tls;

/** A certificate or key file that cannot be used; the message starts with its configuration key. */
public final class TlsFileException extends RuntimeException {
  private final String configKey;

  TlsFileException(String configKey, String message) {
    super(configKey + ": " + message);
    this.configKey = configKey;
  }

  /** {@code http.tls.cert_file} or {@code http.tls.key_file}. */
  public String configKey() {
    return configKey;
  }
}
