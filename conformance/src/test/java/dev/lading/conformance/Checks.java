package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** Assertions and names every conformance test shares. */
public final class Checks {
  private Checks() {}

  /** A repository name no other test uses, so tests sharing one server stay independent. */
  public static String uniqueRepo(String purpose) {
    byte[] suffix = new byte[4];
    ThreadLocalRandom.current().nextBytes(suffix);
    return "conformance/" + purpose + "-" + HexFormat.of().formatHex(suffix);
  }

  /**
   * The spec's error answer: the status, a JSON body whose {@code errors} list carries {@code
   * code}, and nothing else the client could mistake for success.
   */
  public static void assertError(Reply reply, int status, String code) {
    assertThat(reply.status()).as("status of %s", reply).isEqualTo(status);
    assertErrorBody(reply, code);
  }

  /**
   * The JSON {@code errors} body carrying exactly one error, {@code code}: Lading answers one error
   * per refusal, so a second code (or none) is a change of behaviour the tests must see.
   */
  public static void assertErrorBody(Reply reply, String code) {
    if (reply.method().equals("HEAD")) {
      return; // a HEAD answer has no body to carry the code
    }
    assertThat(reply.headerOrNull("Content-Type"))
        .as("Content-Type of %s", reply)
        .startsWith("application/json");
    assertThat(reply.errorCodes()).as("error codes of %s", reply).containsExactly(code);
  }

  /** The spec's list of error codes (distribution-spec, "Error Codes"). */
  public static final List<String> SPEC_ERROR_CODES =
      List.of(
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
}
