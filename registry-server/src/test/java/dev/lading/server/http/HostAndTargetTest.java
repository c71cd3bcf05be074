package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lading.server.config.LadingConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 9112 §3.2 over a raw socket: exactly one valid {@code Host}, and absolute-form targets. */
class HostAndTargetTest {
  @TempDir Path root;
  RunningRegistry registry;

  @AfterEach
  void stop() {
    registry.close();
  }

  private RawConnection connect() throws Exception {
    if (registry == null) {
      registry = new RunningRegistry(root);
    }
    return new RawConnection(registry.server.port());
  }

  private static void assertBadRequestAndClosed(RawConnection c) throws Exception {
    RawConnection.Response r = c.read();
    assertThat(r.status()).as(r.head() + r.body()).isEqualTo(400);
    assertThat(new ObjectMapper().readTree(r.body()).at("/errors/0/code").asText())
        .isEqualTo("BAD_REQUEST");
    assertThat(c.endsWithin(Duration.ofSeconds(10))).isTrue();
  }

  @Test
  void http11WithoutHostIs400() throws Exception {
    try (RawConnection c = connect()) {
      c.send("GET /v2/ HTTP/1.1\r\n\r\n");
      assertBadRequestAndClosed(c);
    }
  }

  @Test
  void twoHostHeadersAre400() throws Exception {
    try (RawConnection c = connect()) {
      c.send("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: 127.0.0.1\r\n\r\n");
      assertBadRequestAndClosed(c);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"exa mple.com", "a/b", "user@host", "[not-ipv6]", "host:port", "a\"b", "h:1:2"})
  void anInvalidHostIs400(String host) throws Exception {
    try (RawConnection c = connect()) {
      c.send("GET /v2/ HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
      assertBadRequestAndClosed(c);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"registry.example", "127.0.0.1:5000", "[::1]:5000", "my-registry_1.local", ""})
  void aValidHostIsServed(String host) throws Exception {
    try (RawConnection c = connect()) {
      c.send("GET /v2/ HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
      RawConnection.Response r = c.read();
      assertThat(r.status()).as(r.head()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("{}");
    }
  }

  @Test
  void http10WithoutHostIsServed() throws Exception {
    try (RawConnection c = connect()) {
      c.send("GET /v2/ HTTP/1.0\r\n\r\n");
      RawConnection.Response r = c.read();
      assertThat(r.status()).as(r.head()).isEqualTo(200);
    }
  }

  @Test
  void anAbsoluteFormTargetRoutesLikeItsPath() throws Exception {
    try (RawConnection c = connect()) {
      c.send("GET http://127.0.0.1:5000/v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      RawConnection.Response base = c.read();
      assertThat(base.status()).as(base.head()).isEqualTo(200);
      assertThat(base.body()).isEqualTo("{}");
      c.send("GET HTTP://127.0.0.1:5000/v2/_catalog?n=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      RawConnection.Response catalog = c.read();
      assertThat(catalog.status()).as(catalog.head()).isEqualTo(200);
      assertThat(catalog.body()).contains("\"repositories\"");
      c.send("GET http://127.0.0.1:5000/v2/a/nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      RawConnection.Response unknown = c.read();
      assertThat(unknown.status()).as(unknown.head()).isEqualTo(404);
      assertThat(unknown.body()).contains("NOT_FOUND");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"http:///v2/", "http://user@127.0.0.1/v2/", "http://:5000/v2/"})
  void anAbsoluteFormTargetWithoutAValidHostIs400(String target) throws Exception {
    try (RawConnection c = connect()) {
      c.send("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      assertBadRequestAndClosed(c);
    }
  }

  @Test
  void theHostOfAnAbsoluteFormTargetWinsOverTheHostHeader() throws Exception {
    // The token challenge's realm is built from the host the request was aimed at.
    registry =
        new RunningRegistry(
            LadingConfig.forTests(root)
                .withAuth(LadingConfig.Auth.token("lading.test", List.of(), List.of())));
    try (RawConnection c = connect()) {
      c.send("GET http://target.example:5000/v2/ HTTP/1.1\r\nHost: header.example\r\n\r\n");
      RawConnection.Response r = c.read();
      assertThat(r.status()).as(r.head()).isEqualTo(401);
      assertThat(r.header("WWW-Authenticate"))
          .contains("realm=\"http://target.example:5000/auth/token\"");
    }
  }
}
