package dev.lading.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.lading.core.testing.MutableClock;
import dev.lading.server.config.TrustedProxy;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A trusted proxy's {@code X-Forwarded-*} reach the challenge's realm, the access log and the audit
 * trail; anyone else's are ignored. Two loopback addresses play the proxy (127.0.0.2, in {@code
 * http.trusted_proxies}) and a client talking to the registry directly (127.0.0.1).
 */
class ForwardedRequestTest {
  @TempDir Path root;
  private AuthFixture registry;
  private final AuditCapture audit = new AuditCapture();
  private final Logger access = (Logger) LoggerFactory.getLogger("dev.lading.access");
  private final ListAppender<ILoggingEvent> accessLines = new ListAppender<>();
  private final HttpClient direct = AuthFixture.clientFrom("127.0.0.1");
  private final HttpClient proxy = AuthFixture.clientFrom("127.0.0.2");

  @BeforeEach
  void start() {
    accessLines.start();
    access.setLevel(
        ch.qos.logback.classic.Level.INFO); // the tests' logback config keeps access lines quiet
    access.addAppender(accessLines);
    registry =
        new AuthFixture(
            root,
            a -> a,
            new MutableClock(Instant.now()),
            c -> c.withTrustedProxies(List.of(TrustedProxy.parse("127.0.0.2"))));
  }

  @AfterEach
  void stop() {
    access.detachAppender(accessLines);
    access.setLevel(null);
    audit.close();
    registry.close();
  }

  private HttpResponse<String> get(HttpClient from, String path, String... headers)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(registry.uri(path));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return from.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String realm(HttpResponse<String> challenge) {
    String h = challenge.headers().firstValue("WWW-Authenticate").orElseThrow();
    return h.substring(h.indexOf("realm=\"") + 7, h.indexOf('"', h.indexOf("realm=\"") + 7));
  }

  @Test
  void behindATlsProxyTheRealmIsTheProxysHttpsOrigin() throws Exception {
    HttpResponse<String> r =
        get(
            proxy,
            "/v2/ml/app/manifests/1.0",
            "X-Forwarded-Proto",
            "https",
            "X-Forwarded-Host",
            "registry.example:8443",
            "X-Forwarded-For",
            "203.0.113.9");
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(realm(r)).isEqualTo("https://registry.example:8443/auth/token");
  }

  @Test
  void theSameHeadersFromAnyoneElseAreIgnored() throws Exception {
    HttpResponse<String> r =
        get(
            direct,
            "/v2/ml/app/manifests/1.0",
            "X-Forwarded-Proto",
            "https",
            "X-Forwarded-Host",
            "evil.example",
            "X-Forwarded-For",
            "203.0.113.9");
    assertThat(realm(r)).isEqualTo("http://127.0.0.1:" + registry.server.port() + "/auth/token");
    assertThat(accessLine("/v2/ml/app/manifests/1.0"))
        .matches(".* /127\\.0\\.0\\.1:[0-9]+")
        .doesNotContain("via");
  }

  @Test
  void malformedHeadersFromTheProxyAreIgnoredNotAnError() throws Exception {
    HttpResponse<String> r =
        get(
            proxy,
            "/v2/",
            "X-Forwarded-Proto",
            "javascript",
            "X-Forwarded-Host",
            "evil\".example, other",
            "X-Forwarded-For",
            "not-an-address");
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(realm(r)).isEqualTo("http://127.0.0.1:" + registry.server.port() + "/auth/token");
  }

  @Test
  void theLogsNameTheForwardedClientAndThePeer() throws Exception {
    String token = registry.token("admin", "repository:ml/app:pull,push");
    HttpResponse<String> push =
        registry.client.send(
            HttpRequest.newBuilder(
                    registry.uri(
                        "/v2/ml/app/blobs/uploads/?digest=sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"))
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString("foo"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(push.statusCode()).isEqualTo(201);
    HttpResponse<String> viaProxy =
        proxy.send(
            HttpRequest.newBuilder(
                    registry.uri(
                        "/v2/ml/app/blobs/uploads/?digest=sha256:fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9"))
                .header("Authorization", "Bearer " + token)
                .header("X-Forwarded-For", "198.51.100.1, 203.0.113.9")
                .POST(HttpRequest.BodyPublishers.ofString("bar"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(viaProxy.statusCode()).isEqualTo(201);

    assertThat(accessLine("/v2/ml/app/blobs/uploads/?digest=sha256:fcde"))
        .contains(" 203.0.113.9 via /127.0.0.2:");
    assertThat(audit.drain())
        .anyMatch(
            l ->
                l.startsWith("action=push-blob outcome=201 who=admin kind=user remote=/127.0.0.2:")
                    && l.contains(" client=203.0.113.9 "));
  }

  /**
   * The access line of a request; written once the response is out, so possibly just after the
   * client read it.
   */
  private String accessLine(String pathPrefix) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (true) {
      synchronized (accessLines) {
        var line =
            accessLines.list.stream()
                .map(ILoggingEvent::getFormattedMessage)
                .filter(l -> l.contains(" " + pathPrefix))
                .findFirst();
        if (line.isPresent()) {
          return line.get();
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError("no access line for " + pathPrefix + " in " + accessLines.list);
        }
      }
      Thread.sleep(20);
    }
  }
}
