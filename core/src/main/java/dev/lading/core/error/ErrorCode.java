package dev.lading.core.error;

/**
 * Every error the registry can answer, registered once: the distribution-spec code, the HTTP status
 * and the spec's message. Handlers never choose a status; they throw a {@link RegistryException}
 * made from one of these ({@link #exception()}) and the server writes the JSON body. Call sites do
 * not restate the message: a code's message is the spec's text, and a refusal carries a message of
 * its own only where it says more.
 *
 * <p>The spec says the {@code code} MUST be one of its fourteen (the first block below), so a
 * refusal uses a spec code whenever one fits, e.g. a malformed upload {@code Content-Range} is
 * {@link #BLOB_UPLOAD_INVALID}, a chunk whose length contradicts its range {@link #SIZE_INVALID},
 * an invalid tag on a manifest push {@link #MANIFEST_INVALID}. The codes after it exist only where
 * no spec code fits, because the status the spec or HTTP demands belongs to none of them or the
 * request never reached an API resource:
 *
 * <ul>
 *   <li>{@link #RANGE_INVALID} (416): the spec demands 416 for an out-of-order chunk and HTTP for
 *       an unsatisfiable blob {@code Range}; no spec code carries 416.
 *   <li>{@link #MANIFEST_TOO_LARGE} (413): the spec's status for a manifest above the limit.
 *   <li>{@link #PAGINATION_NUMBER_INVALID} (400): a bad {@code n}, Distribution's own code.
 *   <li>{@link #NOT_FOUND}, {@link #METHOD_NOT_ALLOWED}: no route, or not this method.
 *   <li>{@link #BAD_REQUEST}: a malformed header, query parameter or request framing that no spec
 *       code names (e.g. {@code last} too long, an {@code artifactType} that is no media type).
 *   <li>{@link #GC_RUNNING} (409): the admin endpoint asked for a second concurrent GC run.
 *   <li>{@link #SHUTTING_DOWN} (503): a request cut off when the shutdown timeout ran out.
 *   <li>{@link #STORAGE_UNAVAILABLE} (503), {@link #UNKNOWN} (500): failures of the server, not of
 *       the request; clients treat unknown codes as {@code UNKNOWN} anyway.
 * </ul>
 */
public enum ErrorCode {
  BLOB_UNKNOWN(404, "blob unknown to registry"),
  BLOB_UPLOAD_INVALID(400, "blob upload invalid"),
  BLOB_UPLOAD_UNKNOWN(404, "blob upload unknown to registry"),
  DIGEST_INVALID(400, "provided digest did not match uploaded content"),
  /**
   * 400, not 404: the spec gives no status per code (its endpoint table's 404 for a manifest {@code
   * PUT} is the unknown repository), and Distribution, zot and Harbor answer 400 here, which
   * clients and independent conformance suites expect: the request is what is wrong.
   */
  MANIFEST_BLOB_UNKNOWN(400, "manifest references a manifest or blob unknown to registry"),
  MANIFEST_INVALID(400, "manifest invalid"),
  MANIFEST_UNKNOWN(404, "manifest unknown to registry"),
  NAME_INVALID(400, "invalid repository name"),
  NAME_UNKNOWN(404, "repository name not known to registry"),
  SIZE_INVALID(400, "provided length did not match content length"),
  UNAUTHORIZED(401, "authentication required"),
  DENIED(403, "requested access to the resource is denied"),
  UNSUPPORTED(405, "the operation is unsupported"),
  TOOMANYREQUESTS(429, "too many requests"),
  /** An upload chunk that does not start at the session's current offset (spec: 416). */
  RANGE_INVALID(416, "requested range not satisfiable"),
  /** A manifest body above the configured limit (spec: 413 for manifests too big). */
  MANIFEST_TOO_LARGE(413, "manifest too large"),
  /** Pagination parameter {@code n} that is not a non-negative number. */
  PAGINATION_NUMBER_INVALID(400, "invalid number of results requested"),
  /** No route matches the request's path. */
  NOT_FOUND(404, "page not found"),
  /** The route exists but not for this HTTP method. */
  METHOD_NOT_ALLOWED(405, "method not allowed"),
  /** A malformed request: bad header, query parameter or body framing. */
  BAD_REQUEST(400, "bad request"),
  /** {@code POST /admin/gc} while this instance runs GC already (not an API resource). */
  GC_RUNNING(409, "a garbage collection run is in progress"),
  /**
   * The server stopped reading the request because it is shutting down (the shutdown timeout ran
   * out); an upload keeps the bytes received and resumes on the next start.
   */
  SHUTTING_DOWN(503, "the server is shutting down"),
  /** The store failed; the request changed nothing visible. */
  STORAGE_UNAVAILABLE(503, "storage temporarily unavailable"),
  /** A failure nobody foresaw; the answer carries no internals (the log has the stack). */
  UNKNOWN(500, "unknown error");

  private final int httpStatus;
  private final String message;

  ErrorCode(int httpStatus, String message) {
    this.httpStatus = httpStatus;
    this.message = message;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public String message() {
    return message;
  }

  /** The wire form of the code, e.g. {@code BLOB_UNKNOWN}. */
  public String code() {
    return name();
  }

  /** A refusal with this code and its message (add {@code withDetail}, {@code withHeader}). */
  public RegistryException exception() {
    return new RegistryException(this);
  }

  /** A refusal with this code and a message that says more than the code's own. */
  public RegistryException exception(String message) {
    return new RegistryException(this, message);
  }
}
