package dev.lading.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place a failure becomes an HTTP answer: the status registered with the {@link ErrorCode},
 * the headers the {@link RegistryException} carries (a challenge, a {@code Retry-After}, an {@code
 * Allow}) with {@code Content-Type: application/json}, and the spec's body {@code
 * {"errors":[{"code","message","detail"}]}}. Jackson writes the strings, so nothing a client sent
 * is echoed unescaped. A store failure is {@code 503 STORAGE_UNAVAILABLE}; anything unforeseen is
 * logged with its stack and answered {@code 500 UNKNOWN} without internals. {@link Exchange#fail}
 * sends the result for a routed request, and the connection handler for one refused before it
 * became an exchange; neither adds to the error.
 */
public final class ErrorResponses {
  private static final Logger log = LoggerFactory.getLogger(ErrorResponses.class);
  static final ObjectMapper JSON = new ObjectMapper();

  /**
   * A failure as it goes on the wire: status, headers (fresh, the caller's to add to) and JSON
   * body.
   */
  public record Rendered(HttpResponseStatus status, HttpHeaders headers, byte[] body) {}

  private ErrorResponses() {}

  public static Rendered render(Throwable failure) {
    return render(failure, true);
  }

  /**
   * As {@link #render(Throwable)}; without its JSON body unless {@code withBody}: the answer to a
   * {@code HEAD} sends none, and a push makes a {@code HEAD} that is refused with 404 before every
   * blob it uploads.
   */
  public static Rendered render(Throwable failure, boolean withBody) {
    RegistryException e = refusal(failure);
    HttpHeaders headers = new DefaultHttpHeaders();
    e.headers().forEach(headers::set);
    headers.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    if (e.code().httpStatus() == 429 && !headers.contains(HttpHeaderNames.RETRY_AFTER)) {
      // Every 429 tells the client when to come back (RFC 6585 says it MAY; clients such as
      // containers/image and regclient back off by it). The login limiter sets its own wait;
      // a 429 raised anywhere else without one gets this floor rather than none.
      headers.set(HttpHeaderNames.RETRY_AFTER, Long.toString(DEFAULT_RETRY_AFTER_SECONDS));
    }
    return new Rendered(
        HttpResponseStatus.valueOf(e.code().httpStatus()),
        headers,
        withBody ? body(e) : new byte[0]);
  }

  /** The {@code Retry-After} of a 429 whose thrower named no wait, in seconds. */
  static final long DEFAULT_RETRY_AFTER_SECONDS = 1;

  /**
   * The refusal a failure is answered with: itself, or what a store or an unforeseen failure
   * becomes.
   */
  private static RegistryException refusal(Throwable failure) {
    if (failure instanceof RegistryException e) {
      return e;
    }
    if (failure instanceof IOException || failure instanceof UncheckedIOException) {
      log.warn("storage failure", failure);
      return ErrorCode.STORAGE_UNAVAILABLE.exception();
    }
    log.error("unexpected failure", failure);
    return ErrorCode.UNKNOWN.exception();
  }

  private static byte[] body(RegistryException e) {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode errors = root.putArray("errors");
    ObjectNode error = errors.addObject();
    error.put("code", e.code().code());
    error.put("message", e.getMessage());
    if (e.detail() != null) {
      error.set("detail", JSON.valueToTree(e.detail()));
    }
    try {
      return JSON.writeValueAsBytes(root);
    } catch (IOException io) {
      throw new UncheckedIOException(io);
    }
  }
}
