package dev.lading.core.error;

/**
 * Every error the registry can answer, registered once: the distribution-spec code, the HTTP
 * status and the spec's message. Handlers never choose a status; they throw a
 * {@link RegistryException} carrying one of these and the server writes the JSON body.
 */
public enum ErrorCode {
  BLOB_UNKNOWN(404, "blob unknown to registry"),
  BLOB_UPLOAD_INVALID(400, "blob upload invalid"),
  BLOB_UPLOAD_UNKNOWN(404, "blob upload unknown to registry"),
  DIGEST_INVALID(400, "provided digest did not match uploaded content"),
  MANIFEST_BLOB_UNKNOWN(404, "manifest references a manifest or blob unknown to registry"),
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
  /** Pagination parameter or other query argument that fails validation. */
  PAGINATION_NUMBER_INVALID(400, "invalid number of results requested"),
  TAG_INVALID(400, "manifest tag did not match URI"),
  /** No route matches the request's path. */
  NOT_FOUND(404, "page not found"),
  /** The route exists but not for this HTTP method. */
  METHOD_NOT_ALLOWED(405, "method not allowed"),
  /** A malformed request: bad header, query parameter or body framing. */
  BAD_REQUEST(400, "bad request"),
  /** The store failed; the request changed nothing visible. */
  STORAGE_UNAVAILABLE(503, "storage temporarily unavailable");

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
}
