package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lading.server.config.LadingConfig;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A chunked body whose framing does not decode is the client's error on every route that reads a
 * body: {@code 400} with the spec's JSON body, the connection closed after it (its framing is
 * lost), and nothing logged at WARN, where a storage outage would be reported.
 */
class BrokenRequestBodyTest {
  private static final String DIGEST = RunningRegistry.sha256(new byte[] {1, 2, 3});
  @TempDir Path root;
  RunningRegistry registry;
  LogCapture log;

  @BeforeEach
  void start() {
    log = new LogCapture();
  }

  @AfterEach
  void stop() {
    if (registry != null) {
      registry.close();
    }
    log.close();
  }

  /** Where a body is read, and the code its refusal carries. */
  enum Target {
    MANIFEST_PUT("PUT", "MANIFEST_INVALID"),
    MONOLITHIC_UPLOAD("POST", "BLOB_UPLOAD_INVALID"),
    CHUNK_PATCH("PATCH", "BLOB_UPLOAD_INVALID"),
    FINAL_CHUNK_PUT("PUT", "BLOB_UPLOAD_INVALID");

    final String method;
    final String code;

    Target(String method, String code) {
      this.method = method;
      this.code = code;
    }
  }

  static Stream<Arguments> brokenBodies() {
    List<String> bodies =
        List.of(
            "zz\r\nab\r\n0\r\n\r\n", // chunk size is no hex number
            "-1\r\nab\r\n0\r\n\r\n", // negative
            "fffffffffffffffffffffffff\r\nab\r\n0\r\n\r\n", // beyond any length
            "2\r\nabcdefgh\r\n0\r\n\r\n"); // longer than its size
    return Stream.of(Target.values()).flatMap(t -> bodies.stream().map(b -> Arguments.of(t, b)));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("brokenBodies")
  void aBrokenChunkedBodyIs400AndEndsTheConnection(Target target, String body) throws Exception {
    registry = new RunningRegistry(root);
    String path =
        switch (target) {
          case MANIFEST_PUT -> "/v2/a/manifests/t";
          case MONOLITHIC_UPLOAD -> "/v2/a/blobs/uploads/?digest=" + DIGEST;
          case CHUNK_PATCH -> session();
          case FINAL_CHUNK_PUT -> session() + "?digest=" + DIGEST;
        };
    try (RawConnection c = new RawConnection(registry.server.port())) {
      c.send(
          target.method
              + " "
              + path
              + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              + "Content-Type: application/vnd.oci.image.manifest.v1+json\r\n"
              + "Transfer-Encoding: chunked\r\n\r\n"
              + body);
      RawConnection.Response r = c.read();
      assertThat(r.status()).as(r.head() + r.body()).isEqualTo(400);
      assertThat(new ObjectMapper().readTree(r.body()).at("/errors/0/code").asText())
          .isEqualTo(target.code);
      assertThat(r.closesConnection()).as(r.head()).isTrue();
      assertThat(c.endsWithin(Duration.ofSeconds(10))).isTrue();
    }
    assertThat(log.warnings()).isEmpty();
  }

  @Test
  void aBrokenTokenFormIs400BadRequest() throws Exception {
    registry =
        new RunningRegistry(
            LadingConfig.forTests(root)
                .withAuth(LadingConfig.Auth.token("lading.test", List.of(), List.of())));
    log.clear(); // token auth's start-up advice about where its keys live is not the request's
    try (RawConnection c = new RawConnection(registry.server.port())) {
      c.send(
          "POST /auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              + "Content-Type: application/x-www-form-urlencoded\r\n"
              + "Transfer-Encoding: chunked\r\n\r\nzz\r\ngrant_type=password\r\n0\r\n\r\n");
      RawConnection.Response r = c.read();
      assertThat(r.status()).as(r.head() + r.body()).isEqualTo(400);
      assertThat(new ObjectMapper().readTree(r.body()).at("/errors/0/code").asText())
          .isEqualTo("BAD_REQUEST");
      assertThat(c.endsWithin(Duration.ofSeconds(10))).isTrue();
    }
    assertThat(log.warnings()).isEmpty();
  }

  /** A new upload session's path. */
  private String session() throws Exception {
    HttpResponse<String> r =
        registry.send(
            registry
                .request("/v2/a/blobs/uploads/")
                .POST(HttpRequest.BodyPublishers.noBody())
                .build());
    assertThat(r.statusCode()).isEqualTo(202);
    return r.headers().firstValue("Location").orElseThrow();
  }
}
