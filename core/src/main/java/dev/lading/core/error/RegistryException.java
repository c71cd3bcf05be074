package dev.lading.core.error;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A refusal in the spec's terms: an {@link ErrorCode} (which brings the status and the spec's
 * message), and optionally the spec's {@code detail}, response headers the refusal needs ({@code
 * WWW-Authenticate} on a 401, {@code Retry-After} on a 429 or 503, {@code Allow} on a 405, where an
 * upload stands on a 416) and a message of its own where that says more than the code's (which rule
 * refused, which limit was exceeded).
 *
 * <pre>{@code
 * throw ErrorCode.BLOB_UNKNOWN.exception().withDetail(Map.of("digest", digest.toString()));
 * throw ErrorCode.UNAUTHORIZED.exception().withHeader("WWW-Authenticate", challenge);
 * }</pre>
 *
 * <p>Immutable: each {@code with...} returns a new exception. {@code detail} and the message are
 * shown to the client: they must never contain a secret, a filesystem path or a storage key. Header
 * names are plain strings; this package imports nothing from HTTP.
 */
public final class RegistryException extends RuntimeException {
  private final ErrorCode code;
  private final transient Object detail;
  private final transient Map<String, String> headers;

  /** A refusal with the code's own message. */
  public RegistryException(ErrorCode code) {
    this(code, null);
  }

  /** A refusal whose message says more than the code's; {@code null} means the code's. */
  public RegistryException(ErrorCode code, String message) {
    this(code, message, null, Map.of(), null);
  }

  private RegistryException(
      ErrorCode code, String message, Object detail, Map<String, String> headers, Throwable cause) {
    // No stack trace of its own: a refusal is an answer to the client, not a fault of the
    // server, and filling one in on every 404 of a push (a HEAD before each blob) costs more than
    // the answer; a cause keeps its own trace for the log.
    super(
        message == null ? Objects.requireNonNull(code, "code").message() : message,
        cause,
        true,
        false);
    this.code = code;
    this.detail = detail;
    this.headers = headers;
  }

  /**
   * This refusal with the spec's {@code detail}: a JSON-serialisable value (string, map, record).
   */
  public RegistryException withDetail(Object detail) {
    return new RegistryException(code, getMessage(), detail, headers, getCause());
  }

  /**
   * This refusal with one more response header; a header of the same name (in any case) is
   * replaced.
   */
  public RegistryException withHeader(String name, String value) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
    Map<String, String> more = new LinkedHashMap<>();
    headers.forEach(
        (n, v) -> {
          if (!n.equalsIgnoreCase(name)) {
            more.put(n, v);
          }
        });
    more.put(name, value);
    return new RegistryException(
        code, getMessage(), detail, Collections.unmodifiableMap(more), getCause());
  }

  /** This refusal caused by {@code cause} (for the log; the client never sees it). */
  public RegistryException withCause(Throwable cause) {
    return new RegistryException(code, getMessage(), detail, headers, cause);
  }

  public ErrorCode code() {
    return code;
  }

  /** A JSON-serialisable detail object (string, map, record), or {@code null}. */
  public Object detail() {
    return detail;
  }

  /** The response headers this refusal needs, by name in the order added; empty for most. */
  public Map<String, String> headers() {
    return headers;
  }
}
