package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lading.core.error.ErrorCode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ErrorResponsesTest {

  @Test
  void unforeseenFailureIs500UnknownWithoutInternals() throws Exception {
    ErrorResponses.Rendered r =
        ErrorResponses.render(new IllegalStateException("secret /var/lib/x"));
    assertThat(r.status().code()).isEqualTo(500);
    JsonNode error = onlyError(r);
    assertThat(error.get("code").asText()).isEqualTo(ErrorCode.UNKNOWN.code()).isEqualTo("UNKNOWN");
    assertThat(error.get("message").asText()).isEqualTo("unknown error");
    assertThat(error.has("detail")).isFalse();
    assertThat(new String(r.body(), StandardCharsets.UTF_8)).doesNotContain("secret");
  }

  @Test
  void storeFailureIs503StorageUnavailable() throws Exception {
    ErrorResponses.Rendered r = ErrorResponses.render(new IOException("disk /data full"));
    assertThat(r.status().code()).isEqualTo(503);
    assertThat(onlyError(r).get("code").asText()).isEqualTo("STORAGE_UNAVAILABLE");
    assertThat(new String(r.body(), StandardCharsets.UTF_8)).doesNotContain("/data");
  }

  @Test
  void refusalCarriesItsRegisteredStatusCodeAndDetail() throws Exception {
    ErrorResponses.Rendered r =
        ErrorResponses.render(
            ErrorCode.BLOB_UPLOAD_INVALID
                .exception("malformed Content-Range header")
                .withDetail("x-y"));
    assertThat(r.status().code()).isEqualTo(400);
    JsonNode error = onlyError(r);
    assertThat(error.get("code").asText()).isEqualTo("BLOB_UPLOAD_INVALID");
    assertThat(error.get("message").asText()).isEqualTo("malformed Content-Range header");
    assertThat(error.get("detail").asText()).isEqualTo("x-y");
  }

  @Test
  void aHeadsRefusalHasTheStatusAndHeadersOfAGetsWithoutItsBody() throws Exception {
    RuntimeException refusal =
        ErrorCode.BLOB_UNKNOWN.exception().withHeader("X-Test", "kept").withDetail("d");
    ErrorResponses.Rendered get = ErrorResponses.render(refusal, true);
    ErrorResponses.Rendered head = ErrorResponses.render(refusal, false);
    assertThat(head.status()).isEqualTo(get.status());
    assertThat(head.status().code()).isEqualTo(404);
    assertThat(head.headers().entries()).hasToString(get.headers().entries().toString());
    assertThat(head.headers().get("X-Test")).isEqualTo("kept");
    assertThat(head.body()).isEmpty();
    assertThat(onlyError(get).get("code").asText()).isEqualTo("BLOB_UNKNOWN");
  }

  @Test
  void theRefusalsHeadersGoOutWithTheJsonContentType() {
    ErrorResponses.Rendered r =
        ErrorResponses.render(
            ErrorCode.UNAUTHORIZED
                .exception()
                .withHeader("WWW-Authenticate", "Basic realm=\"lading\"")
                .withHeader("Content-Type", "text/plain"));
    assertThat(r.status().code()).isEqualTo(401);
    assertThat(r.headers().get("WWW-Authenticate")).isEqualTo("Basic realm=\"lading\"");
    assertThat(r.headers().getAll("Content-Type")).containsExactly("application/json");
    assertThat(ErrorResponses.render(new IOException("x")).headers().names())
        .containsExactly("content-type");
  }

  @Test
  void every429CarriesRetryAfterInSeconds() {
    ErrorResponses.Rendered bare =
        ErrorResponses.render(ErrorCode.TOOMANYREQUESTS.exception("slow down"));
    assertThat(bare.status().code()).isEqualTo(429);
    assertThat(bare.headers().get("Retry-After")).isEqualTo("1");
    ErrorResponses.Rendered named =
        ErrorResponses.render(
            ErrorCode.TOOMANYREQUESTS.exception("slow down").withHeader("Retry-After", "7"));
    assertThat(named.headers().getAll("Retry-After")).containsExactly("7");
    // Only a 429 gets one by default.
    assertThat(
            ErrorResponses.render(ErrorCode.DENIED.exception()).headers().contains("Retry-After"))
        .isFalse();
  }

  private static JsonNode onlyError(ErrorResponses.Rendered r) throws IOException {
    JsonNode errors = ErrorResponses.JSON.readTree(r.body()).get("errors");
    assertThat(errors).hasSize(1);
    return errors.get(0);
  }
}
