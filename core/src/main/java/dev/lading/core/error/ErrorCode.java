package dev.lading.core.error;

/**
 * Every error the registry can answer, registered once: the distribution-spec code, the HTTP status
 * and the spec's message. Handlers never choose a status; they throw a {@link RegistryException}
 * made from one of these ({@link #exception()}) and the server writes the JSON body. Call sites do
 * not restate the message: a code's message is the spec's text, and a refusal carries a message of
 * its own only where it says more.
 *
 * <p>The spec says the {@code code} of a JSON error MUST be one of its fourteen (the first block
 * below), and ties none of them to a status. So every refusal of an API resource ({@code /v2/...})
 * goes out with one of them, e.g. a malformed upload {@code Content-Range} is {@link
 * #BLOB_UPLOAD_INVALID}, a chunk whose length contradicts its range {@link #SIZE_INVALID}, an
 * invalid tag on a manifest push {@link #MANIFEST_INVALID}. Where the spec or HTTP demands a status
 * other than the code's usual one, a constant of its own carries that status and answers with a
 * spec code ({@link #code()}), so the status is still registered here once and a handler still
 * picks a constant, never a number:
 *
 * <ul>
 *   <li>{@link #CHUNK_OUT_OF_ORDER}: 416 (the spec's status for an out-of-order chunk), answered
 *       {@code BLOB_UPLOAD_INVALID}.
 *   <li>{@link #RANGE_NOT_SATISFIABLE}: 416 (RFC 9110 for a blob {@code Range} that no byte of the
 *       blob satisfies, or more ranges than the server serves), answered {@code UNSUPPORTED}: the
 *       blob is known, so no {@code BLOB_} code fits, and Distribution defines {@code UNSUPPORTED}
 *       as "a missing implementation or invalid set of parameters"; the client acts on the 416 and
 *       its {@code Content-Range: bytes *}{@code /<size>}.
 *   <li>{@link #MANIFEST_TOO_LARGE}: 413 (the spec's status for a manifest above the limit),
 *       answered {@code MANIFEST_INVALID}, the detail naming size and limit.
 *   <li>{@link #PARAMETER_INVALID}: 400 for a query parameter that is no valid value (a bad {@code
 *       n}, an overlong {@code last}, an {@code artifactType} that is no media type), answered
 *       {@code UNSUPPORTED} for the same reason. Distribution answers a bad {@code n} with its own
 *       {@code PAGINATION_NUMBER_INVALID}, zot with a bare 400; neither is a spec code.
 *   <li>{@link #UNSUPPORTED} itself is also the 405 of a method an API route does not serve.
 * </ul>
 *
 * <p>The constants after those answer only outside the API or for failures of the server, where no
 * spec code fits:
 *
 * <ul>
 *   <li>{@link #NOT_FOUND}, {@link #METHOD_NOT_ALLOWED}: no route for the path, or a method that a
 *       resource outside {@code /v2/} (health, metrics, admin, token, files) does not serve.
 *   <li>{@link #BAD_REQUEST}: a request that fails before any route is chosen (unreadable framing,
 *       no or several {@code Host} headers, a malformed request target), or a malformed parameter
 *       of an endpoint outside the API (the token endpoint's form, {@code /admin/gc?dry_run}).
 *   <li>{@link #GC_RUNNING} (409): the admin endpoint asked for a second concurrent GC run.
 *   <li>{@link #SHUTTING_DOWN} (503): a request cut off when the shutdown timeout ran out.
 *   <li>{@link #STORAGE_UNAVAILABLE} (503), {@link #UNKNOWN} (500): failures of the server, not of
 *       the request. The spec's rule on the body covers {@code 4XX} answers only and its list has
 *       no code for a server failure; {@code UNKNOWN} is Distribution's code for it, and clients
 *       treat any code they do not know as {@code UNKNOWN} anyway.
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
  CHUNK_OUT_OF_ORDER(416, BLOB_UPLOAD_INVALID, "chunk does not start at the upload's offset"),
  /** A blob {@code Range} no byte of the blob satisfies, or too many ranges (RFC 9110: 416). */
  RANGE_NOT_SATISFIABLE(416, UNSUPPORTED, "requested range not satisfiable"),
  /** A manifest body above the configured limit (spec: 413 for manifests too big). */
  MANIFEST_TOO_LARGE(413, MANIFEST_INVALID, "manifest too large"),
  /** A query parameter of an API route that is no valid value, e.g. {@code n=-1}. */
  PARAMETER_INVALID(400, UNSUPPORTED, "invalid query parameter"),
  /** No route matches the request's path. */
  NOT_FOUND(404, "page not found"),
  /** A resource outside {@code /v2/} exists but not for this HTTP method. */
  METHOD_NOT_ALLOWED(405, "method not allowed"),
  /** A malformed request before any route, or to an endpoint outside the API. */
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
  private final ErrorCode answeredAs;
  private final String message;

  ErrorCode(int httpStatus, String message) {
    this(httpStatus, null, message);
  }

  /** A refusal with a status of its own, answered with the spec code {@code answeredAs}. */
  ErrorCode(int httpStatus, ErrorCode answeredAs, String message) {
    this.httpStatus = httpStatus;
    this.answeredAs = answeredAs;
    this.message = message;
  }

  public int httpStatus() {
    return httpStatus;
  }

  public String message() {
    return message;
  }

  /**
   * The wire form of the code, e.g. {@code BLOB_UNKNOWN}; for a constant that only carries a status
   * of its own, the spec code it answers with ({@code MANIFEST_TOO_LARGE} is {@code
   * MANIFEST_INVALID}).
   */
  public String code() {
    return answeredAs().name();
  }

  /** The constant whose code goes on the wire: this one, or the spec code it answers with. */
  public ErrorCode answeredAs() {
    return answeredAs == null ? this : answeredAs;
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
