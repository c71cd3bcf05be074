package dev.lading.server.http;

import java.io.IOException;

/**
 * The request body broke on the client's side: its framing did not decode (a chunk size that is no
 * hex number, a chunk longer than it said), or the connection ended before the body did. It is an
 * {@link IOException} because {@link RequestBodyStream} is an {@code InputStream}, but it is never
 * a storage failure: {@link Exchange#fail} finds it anywhere in a failure's causes (the registry
 * may have wrapped it) and answers the client's error, logged at debug, so a client cannot make the
 * server report a storage outage or fill its log with stack traces.
 */
public final class RequestBodyException extends IOException {
  private final boolean byShutdown;

  private RequestBodyException(String message, Throwable cause) {
    this(message, cause, false);
  }

  private RequestBodyException(String message, Throwable cause, boolean byShutdown) {
    super(message, cause);
    this.byShutdown = byShutdown;
  }

  /**
   * The server itself cut the connection because its shutdown timeout ran out: the client did
   * nothing wrong, so this is no client error (see {@link ShutdownCut}).
   */
  static RequestBodyException cutByShutdown() {
    return new RequestBodyException(
        "the server shut down before the request body ended", null, true);
  }

  /** True when the server's shutdown, not the client, ended the body. */
  boolean byShutdown() {
    return byShutdown;
  }

  /** The decoder could not make sense of the body; the connection's framing is lost. */
  static RequestBodyException malformed(Throwable cause) {
    return new RequestBodyException("malformed request body", cause);
  }

  /** The connection ended (or was ended) before the body did. */
  static RequestBodyException connectionLost() {
    return new RequestBodyException("connection closed before the request body ended", null);
  }

  /** The first {@code RequestBodyException} among {@code failure} and its causes, or null. */
  static RequestBodyException findIn(Throwable failure) {
    Throwable t = failure;
    // Bounded: a cause chain can be made circular.
    for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
      if (t instanceof RequestBodyException e) {
        return e;
      }
    }
    return null;
  }
}
