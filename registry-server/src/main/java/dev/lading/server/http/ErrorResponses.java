package dev.lading.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place a failure becomes an HTTP answer: the status registered with the
 * {@link ErrorCode} and the spec's body {@code {"errors":[{"code","message","detail"}]}}.
 * Jackson writes the strings, so nothing a client sent is echoed unescaped. A store failure is
 * {@code 503 STORAGE_UNAVAILABLE}; anything unforeseen is logged with its stack and answered
 * {@code 500 UNKNOWN} without internals.
 */
public final class ErrorResponses {
  private static final Logger log = LoggerFactory.getLogger(ErrorResponses.class);
  static final ObjectMapper JSON = new ObjectMapper();

  /** The status and JSON body for a failure. */
  public record Rendered(HttpResponseStatus status, byte[] body) {}

  private ErrorResponses() {}

  public static Rendered render(Throwable failure) {
    if (failure instanceof RegistryException e) {
      return of(e.code().httpStatus(), e.code().code(), e.getMessage(), e.detail());
    }
    if (failure instanceof IOException || failure instanceof UncheckedIOException) {
      log.warn("storage failure", failure);
      ErrorCode c = ErrorCode.STORAGE_UNAVAILABLE;
      return of(c.httpStatus(), c.code(), c.message(), null);
    }
    log.error("unexpected failure", failure);
    ErrorCode c = ErrorCode.UNKNOWN;
    return of(c.httpStatus(), c.code(), c.message(), null);
  }

  private static Rendered of(int status, String code, String message, Object detail) {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode errors = root.putArray("errors");
    ObjectNode error = errors.addObject();
    error.put("code", code);
    error.put("message", message);
    if (detail != null) {
      error.set("detail", JSON.valueToTree(detail));
    }
    try {
      return new Rendered(HttpResponseStatus.valueOf(status), JSON.writeValueAsBytes(root));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
