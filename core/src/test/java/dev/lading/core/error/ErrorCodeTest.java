package dev.lading.core.error;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ErrorCodeTest {

  @ParameterizedTest
  @EnumSource(ErrorCode.class)
  void everyCodeHasAStatusASpecCodeAndAMessage(ErrorCode code) {
    assertThat(code.httpStatus()).as("status").isBetween(400, 599);
    assertThat(code.code()).as("wire code").matches("[A-Z][A-Z_]*");
    assertThat(code.message()).as("message").isNotBlank();
    RegistryException e = code.exception();
    assertThat(e.code()).isSameAs(code);
    assertThat(e.getMessage()).isEqualTo(code.message());
    assertThat(e.detail()).isNull();
    assertThat(e.headers()).isEmpty();
  }

  /**
   * The distribution-spec's codes and messages verbatim, with the status clients expect for each.
   */
  @Test
  void theSpecCodesCarryTheSpecsStatusAndMessage() {
    Map<ErrorCode, Object[]> spec =
        Map.ofEntries(
            Map.entry(ErrorCode.BLOB_UNKNOWN, new Object[] {404, "blob unknown to registry"}),
            Map.entry(ErrorCode.BLOB_UPLOAD_INVALID, new Object[] {400, "blob upload invalid"}),
            Map.entry(
                ErrorCode.BLOB_UPLOAD_UNKNOWN,
                new Object[] {404, "blob upload unknown to registry"}),
            Map.entry(
                ErrorCode.DIGEST_INVALID,
                new Object[] {400, "provided digest did not match uploaded content"}),
            Map.entry(
                ErrorCode.MANIFEST_BLOB_UNKNOWN,
                new Object[] {400, "manifest references a manifest or blob unknown to registry"}),
            Map.entry(ErrorCode.MANIFEST_INVALID, new Object[] {400, "manifest invalid"}),
            Map.entry(
                ErrorCode.MANIFEST_UNKNOWN, new Object[] {404, "manifest unknown to registry"}),
            Map.entry(ErrorCode.NAME_INVALID, new Object[] {400, "invalid repository name"}),
            Map.entry(
                ErrorCode.NAME_UNKNOWN,
                new Object[] {404, "repository name not known to registry"}),
            Map.entry(
                ErrorCode.SIZE_INVALID,
                new Object[] {400, "provided length did not match content length"}),
            Map.entry(ErrorCode.UNAUTHORIZED, new Object[] {401, "authentication required"}),
            Map.entry(
                ErrorCode.DENIED, new Object[] {403, "requested access to the resource is denied"}),
            Map.entry(ErrorCode.UNSUPPORTED, new Object[] {405, "the operation is unsupported"}),
            Map.entry(ErrorCode.TOOMANYREQUESTS, new Object[] {429, "too many requests"}));
    spec.forEach(
        (code, statusAndMessage) -> {
          assertThat(code.httpStatus()).as(code.code()).isEqualTo(statusAndMessage[0]);
          assertThat(code.message()).as(code.code()).isEqualTo(statusAndMessage[1]);
        });
  }

  /** The spec's fourteen codes (distribution-spec, "Error Codes"): a JSON error MUST use one. */
  private static final Set<String> SPEC_CODES =
      Set.of(
          "BLOB_UNKNOWN",
          "BLOB_UPLOAD_INVALID",
          "BLOB_UPLOAD_UNKNOWN",
          "DIGEST_INVALID",
          "MANIFEST_BLOB_UNKNOWN",
          "MANIFEST_INVALID",
          "MANIFEST_UNKNOWN",
          "NAME_INVALID",
          "NAME_UNKNOWN",
          "SIZE_INVALID",
          "UNAUTHORIZED",
          "DENIED",
          "UNSUPPORTED",
          "TOOMANYREQUESTS");

  /**
   * The codes that may go out with a code outside the spec's list: refusals outside the API or
   * before any route, and failures of the server (5xx, which the spec's rule on the body does not
   * cover). Anything else an API route can throw must answer with a spec code.
   */
  private static final Set<ErrorCode> OUTSIDE_THE_API_OR_SERVER_FAILURES =
      EnumSet.of(
          ErrorCode.NOT_FOUND,
          ErrorCode.METHOD_NOT_ALLOWED,
          ErrorCode.BAD_REQUEST,
          ErrorCode.GC_RUNNING,
          ErrorCode.SHUTTING_DOWN,
          ErrorCode.STORAGE_UNAVAILABLE,
          ErrorCode.UNKNOWN);

  @ParameterizedTest
  @EnumSource(ErrorCode.class)
  void everyCodeAnAPIRouteCanAnswerIsOnTheSpecsList(ErrorCode code) {
    if (OUTSIDE_THE_API_OR_SERVER_FAILURES.contains(code)) {
      assertThat(SPEC_CODES).doesNotContain(code.code());
      return;
    }
    assertThat(SPEC_CODES).as(code.name()).contains(code.code());
    assertThat(code.answeredAs().answeredAs()).isSameAs(code.answeredAs());
  }

  @Test
  void aStatusOfItsOwnKeepsTheSpecCodeOnTheWire() {
    assertThat(ErrorCode.MANIFEST_TOO_LARGE.httpStatus()).isEqualTo(413);
    assertThat(ErrorCode.MANIFEST_TOO_LARGE.code()).isEqualTo("MANIFEST_INVALID");
    assertThat(ErrorCode.CHUNK_OUT_OF_ORDER.httpStatus()).isEqualTo(416);
    assertThat(ErrorCode.CHUNK_OUT_OF_ORDER.code()).isEqualTo("BLOB_UPLOAD_INVALID");
    assertThat(ErrorCode.RANGE_NOT_SATISFIABLE.httpStatus()).isEqualTo(416);
    assertThat(ErrorCode.RANGE_NOT_SATISFIABLE.code()).isEqualTo("UNSUPPORTED");
    assertThat(ErrorCode.PARAMETER_INVALID.httpStatus()).isEqualTo(400);
    assertThat(ErrorCode.PARAMETER_INVALID.code()).isEqualTo("UNSUPPORTED");
    assertThat(ErrorCode.BLOB_UNKNOWN.answeredAs()).isSameAs(ErrorCode.BLOB_UNKNOWN);
  }

  @Test
  void aMessageOfItsOwnReplacesTheCodesOnlyWhereGiven() {
    assertThat(ErrorCode.PARAMETER_INVALID.exception("last is too long").getMessage())
        .isEqualTo("last is too long");
    assertThat(new RegistryException(ErrorCode.PARAMETER_INVALID, null).getMessage())
        .isEqualTo("invalid query parameter");
    assertThat(new RegistryException(ErrorCode.BLOB_UNKNOWN).getMessage())
        .isEqualTo("blob unknown to registry");
  }

  @Test
  void withReturnsANewRefusalAndKeepsWhatTheOriginalCarried() {
    RegistryException base = ErrorCode.UNAUTHORIZED.exception("invalid credentials");
    RegistryException challenged = base.withHeader("WWW-Authenticate", "Basic realm=\"x\"");
    RegistryException detailed = challenged.withDetail(Map.of("why", "test"));
    IllegalStateException cause = new IllegalStateException("inner");
    RegistryException caused = detailed.withCause(cause);

    assertThat(base.headers()).isEmpty();
    assertThat(base.detail()).isNull();
    assertThat(challenged).isNotSameAs(base);
    assertThat(challenged.headers())
        .containsExactly(Map.entry("WWW-Authenticate", "Basic realm=\"x\""));
    assertThat(detailed.detail()).isEqualTo(Map.of("why", "test"));
    assertThat(caused.getCause()).isSameAs(cause);
    for (RegistryException e : new RegistryException[] {challenged, detailed, caused}) {
      assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHORIZED);
      assertThat(e.getMessage()).isEqualTo("invalid credentials");
    }
    assertThat(caused.headers()).isEqualTo(challenged.headers());
    assertThat(caused.detail()).isEqualTo(detailed.detail());
  }

  @Test
  void aHeaderOfTheSameNameInAnyCaseIsReplacedOthersKeepTheirOrder() {
    RegistryException e =
        ErrorCode.CHUNK_OUT_OF_ORDER
            .exception()
            .withHeader("Location", "/v2/a/blobs/uploads/x")
            .withHeader("Range", "0-1")
            .withHeader("range", "0-9");
    assertThat(e.headers())
        .containsExactly(Map.entry("Location", "/v2/a/blobs/uploads/x"), Map.entry("range", "0-9"));
    assertThat(e.headers()).isUnmodifiable();
  }
}
