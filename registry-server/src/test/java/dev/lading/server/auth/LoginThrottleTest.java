package dev.lading.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.auth.LoginLimiter;
import dev.lading.core.testing.MutableClock;
import dev.lading.server.config.LadingConfig;
import dev.lading.server.config.TrustedProxy;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Login throttling at the token endpoint over real sockets, from two client addresses on the
 * loopback (127.0.0.1 and 127.0.0.2, both served by Linux's loopback), with the server's clock
 * moved by hand instead of sleeping through back-offs. Both ways docker, podman and ORAS log in are
 * covered: GET with Basic credentials and the OAuth2 password form.
 */
class LoginThrottleTest {
  private static final String ROBOT = "ml-builder";
  private static final String SECRET = AuthFixture.SECRETS.get(ROBOT);

  @TempDir Path root;

  private final MutableClock clock = new MutableClock(Instant.now());
  private final AuditCapture audit = new AuditCapture();
  private AuthFixture registry;
  private final HttpClient fromA = AuthFixture.clientFrom("127.0.0.1");
  private final HttpClient fromB = AuthFixture.clientFrom("127.0.0.2");

  private void start(UnaryOperator<LadingConfig.Auth> tweak) {
    registry = new AuthFixture(root, tweak, clock);
  }

  @AfterEach
  void stop() {
    audit.close();
    if (registry != null) {
      registry.close();
    }
  }

  /** GET /auth/token with Basic credentials, as docker and podman log in. */
  private HttpResponse<String> basic(HttpClient from, String user, String secret, String... headers)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(
                registry.uri(
                    "/auth/token?service=" + AuthFixture.SERVICE + "&scope=repository:ml/a:pull"))
            .header(
                "Authorization",
                "Basic "
                    + Base64.getEncoder()
                        .encodeToString((user + ":" + secret).getBytes(StandardCharsets.UTF_8)));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return from.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** POST /auth/token with the OAuth2 password grant, as docker login does. */
  private HttpResponse<String> form(HttpClient from, String user, String secret) throws Exception {
    String body =
        "grant_type=password&service="
            + AuthFixture.SERVICE
            + "&scope=repository%3Aml%2Fa%3Apull"
            + "&username="
            + URLEncoder.encode(user, StandardCharsets.UTF_8)
            + "&password="
            + URLEncoder.encode(secret, StandardCharsets.UTF_8);
    return from.send(
        HttpRequest.newBuilder(registry.uri("/auth/token"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Fails {@code LoginLimiter.FREE_FAILURES} times from {@code from}: none of them is held back.
   */
  private void failFreely(HttpClient from, String user) throws Exception {
    for (int i = 0; i < LoginLimiter.FREE_FAILURES; i++) {
      assertThat(basic(from, user, "typo-" + i).statusCode()).isEqualTo(401);
    }
  }

  /** The response is the limiter's 429 with the spec's error body; returns its Retry-After. */
  private long throttled(HttpResponse<String> r) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
    assertThat(registry.json(r.body()).get("errors").get(0).get("code").asText())
        .isEqualTo("TOOMANYREQUESTS");
    String retryAfter = r.headers().firstValue("Retry-After").orElseThrow();
    assertThat(retryAfter).matches("[1-9][0-9]*");
    return Long.parseLong(retryAfter);
  }

  @Test
  void anAccountHeldBackFromOneAddressStillLogsInFromAnother() throws Exception {
    start(a -> a);
    // A stranger at B who knows the robot's name guesses until the back-off is at its cap.
    for (int i = 0; i < 12; i++) {
      assertThat(basic(fromB, ROBOT, "guess-" + i).statusCode()).isEqualTo(401);
      clock.advance(Duration.ofMinutes(5));
    }
    assertThat(basic(fromB, ROBOT, "guess-12").statusCode()).isEqualTo(401);
    // 3 free failures, then 1 s, 2 s, ... 256 s, then the 5-minute cap.
    assertThat(throttled(basic(fromB, ROBOT, SECRET))).isEqualTo(300);
    assertThat(throttled(form(fromB, ROBOT, SECRET))).isBetween(1L, 300L);

    // The robot itself, at A, is not slowed at all.
    assertThat(basic(fromA, ROBOT, SECRET).statusCode()).isEqualTo(200);
    assertThat(form(fromA, ROBOT, SECRET).statusCode()).isEqualTo(200);
  }

  @Test
  void theBackOffDoublesWithEachFailureInARowAndASuccessResetsIt() throws Exception {
    start(a -> a);
    failFreely(fromA, ROBOT);
    assertThat(form(fromA, ROBOT, "wrong").statusCode()).isEqualTo(401);
    assertThat(throttled(form(fromA, ROBOT, SECRET)))
        .as("even the right secret waits")
        .isEqualTo(1);
    clock.advance(Duration.ofSeconds(1));
    assertThat(basic(fromA, ROBOT, "wrong").statusCode()).isEqualTo(401);
    assertThat(throttled(basic(fromA, ROBOT, "wrong"))).isEqualTo(2);
    clock.advance(Duration.ofMillis(1_500));
    assertThat(throttled(form(fromA, ROBOT, SECRET))).as("0.5 s left, rounded up").isEqualTo(1);
    clock.advance(Duration.ofMillis(500));
    assertThat(form(fromA, ROBOT, "wrong").statusCode()).isEqualTo(401);
    assertThat(throttled(form(fromA, ROBOT, SECRET))).isEqualTo(4);
    clock.advance(Duration.ofSeconds(4));

    assertThat(basic(fromA, ROBOT, SECRET).statusCode()).isEqualTo(200);
    failFreely(fromA, ROBOT);
    assertThat(basic(fromA, ROBOT, "wrong").statusCode()).isEqualTo(401);
    assertThat(throttled(basic(fromA, ROBOT, SECRET))).as("back to the first step").isEqualTo(1);
  }

  @Test
  void theCapIsConfigurable() throws Exception {
    start(a -> a.withLogin(new LadingConfig.Login(Duration.ofSeconds(10), 20)));
    for (int i = 0; i < 9; i++) {
      assertThat(form(fromA, "reader", "wrong").statusCode()).isEqualTo(401);
      clock.advance(Duration.ofSeconds(10));
    }
    assertThat(form(fromA, "reader", "wrong").statusCode()).isEqualTo(401);
    assertThat(throttled(form(fromA, "reader", "wrong"))).isEqualTo(10);
  }

  @Test
  void sprayingManyAccountsFromOneAddressSlowsThatAddressOnly() throws Exception {
    start(a -> a);
    assertThat(basic(fromB, "reader", AuthFixture.SECRETS.get("reader")).statusCode())
        .isEqualTo(200);
    for (int i = 0; i < 20; i++) {
      assertThat(basic(fromB, "user" + i, "Summer2026!").statusCode()).isEqualTo(401);
    }
    assertThat(throttled(basic(fromB, "user20", "Summer2026!"))).isEqualTo(30);
    assertThat(throttled(basic(fromB, ROBOT, SECRET))).as("no success from B yet").isEqualTo(30);
    assertThat(basic(fromB, "reader", AuthFixture.SECRETS.get("reader")).statusCode())
        .as("an account that logged in from B before the spray")
        .isEqualTo(200);
    assertThat(basic(fromA, "user20", "Summer2026!").statusCode()).isEqualTo(401);
    assertThat(basic(fromA, ROBOT, SECRET).statusCode()).isEqualTo(200);
  }

  @Test
  void heldBackAttemptsAreAuditedWithWhoAndWhereAndNeverTheSecret() throws Exception {
    start(a -> a);
    failFreely(fromB, ROBOT);
    basic(fromB, ROBOT, "guess-one");
    basic(fromB, ROBOT, SECRET);
    form(fromB, ROBOT, SECRET);
    List<String> lines = audit.drain();
    assertThat(lines)
        .anyMatch(
            l ->
                l.startsWith("action=login outcome=401 who=ml-builder remote=/127.0.0.2:")
                    && l.endsWith("client=127.0.0.2 reason=invalid-credentials"));
    assertThat(
            lines.stream()
                .filter(
                    l ->
                        l.startsWith("action=login outcome=429 who=ml-builder remote=/127.0.0.2:")
                            && l.endsWith("client=127.0.0.2 reason=account-backoff retry_after=1")))
        .hasSize(2);
    assertThat(String.join("\n", lines))
        .doesNotContain(SECRET)
        .doesNotContain("guess-one")
        .doesNotContain("typo-");
  }

  @Test
  void xForwardedForIsBelievedOnlyFromATrustedProxy() throws Exception {
    // B plays the ingress; A is anyone else, who may send the header too.
    registry =
        new AuthFixture(
            root,
            a -> a,
            clock,
            c -> c.withTrustedProxies(List.of(TrustedProxy.parse("127.0.0.2/32"))));
    for (int i = 0; i <= LoginLimiter.FREE_FAILURES; i++) {
      assertThat(basic(fromB, ROBOT, "guess", "X-Forwarded-For", "203.0.113.66").statusCode())
          .isEqualTo(401);
    }
    assertThat(throttled(basic(fromB, ROBOT, SECRET, "X-Forwarded-For", "203.0.113.66")))
        .isEqualTo(1);
    assertThat(basic(fromB, ROBOT, SECRET, "X-Forwarded-For", "203.0.113.7").statusCode())
        .as("another client behind the same proxy")
        .isEqualTo(200);
    // A client's own entries left of the proxy's are not believed.
    assertThat(
            throttled(basic(fromB, ROBOT, SECRET, "X-Forwarded-For", "203.0.113.7, 203.0.113.66")))
        .isEqualTo(1);

    // From an untrusted peer the header changes nothing: the peer is the client.
    for (int i = 0; i <= LoginLimiter.FREE_FAILURES; i++) {
      assertThat(basic(fromA, ROBOT, "guess", "X-Forwarded-For", "203.0.113." + i).statusCode())
          .isEqualTo(401);
    }
    assertThat(throttled(basic(fromA, ROBOT, SECRET, "X-Forwarded-For", "203.0.113.2")))
        .isEqualTo(1);
    assertThat(audit.drain())
        .anyMatch(
            l ->
                l.startsWith("action=login outcome=401 who=ml-builder remote=/127.0.0.2:")
                    && l.contains("client=203.0.113.66"));
  }
}
