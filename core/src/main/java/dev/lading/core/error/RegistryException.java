package dev.lading.core.error;

/**
 * A refusal in the spec's terms. {@code detail} is shown to the client: it must never contain a
 * secret, a filesystem path or a storage key.
 */
public final class RegistryException extends RuntimeException {
  private final ErrorCode code;
  private final Object detail;

  public RegistryException(ErrorCode code, String message) {
    this(code, message, null, null);
  }

  public RegistryException(ErrorCode code, String message, Object detail) {
    this(code, message, detail, null);
  }

  public RegistryException(ErrorCode code, String message, Object detail, Throwable cause) {
    super(message == null ? code.message() : message, cause);
    this.code = code;
    this.detail = detail;
  }

  public ErrorCode code() {
    return code;
  }

  /** A JSON-serialisable detail object (string, map, record), or {@code null}. */
  public Object detail() {
    return detail;
  }
}
