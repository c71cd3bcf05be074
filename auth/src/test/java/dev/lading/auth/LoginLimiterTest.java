package dev.lading.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.testing.MutableClock;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LoginLimiterTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  private final LoginLimiter limiter =
      new LoginLimiter(clock, Duration.ofSeconds(60), 3, Duration.ofSeconds(10), 1000);

  private static InetAddress ip(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  private void fail(String account, String address) throws LoginRefusedException {
    limiter.begin(account, ip(address)).failed();
  }

  /** Uses up the failures that cost nothing. */
  private void failFreely(String account, String address) throws LoginRefusedException {
    for (int i = 0; i < LoginLimiter.FREE_FAILURES; i++) {
      fail(account, address);
      assertThat(refusal(account, address)).isEmpty();
    }
  }

  private Optional<Duration> refusal(String account, String address) {
    try {
      limiter.begin(account, ip(address)).abandoned();
      return Optional.empty();
    } catch (LoginRefusedException e) {
      return e.retryAfter();
    }
  }

  @Test
  void backOffDoublesWithEachFailureInARowUpToTheCap() throws Exception {
    failFreely("bob", "10.0.0.1");
    long[] expected = {1, 2, 4, 8, 16, 32, 60, 60};
    for (long seconds : expected) {
      fail("bob", "10.0.0.1");
      assertThat(refusal("bob", "10.0.0.1")).contains(Duration.ofSeconds(seconds));
      clock.advance(Duration.ofSeconds(seconds));
      assertThat(refusal("bob", "10.0.0.1")).isEmpty();
    }
  }

  @Test
  void whileWaitingEvenTheRightSecretIsNotChecked() throws Exception {
    failFreely("bob", "10.0.0.1");
    fail("bob", "10.0.0.1");
    assertThatThrownBy(() -> limiter.begin("bob", ip("10.0.0.1")))
        .isInstanceOfSatisfying(
            LoginRefusedException.class,
            e -> {
              assertThat(e.rateLimited()).isTrue();
              assertThat(e.getMessage()).isEqualTo("account-backoff");
            });
  }

  @Test
  void failuresFromOneAddressNeverDelayTheAccountFromAnother() throws Exception {
    for (int i = 0; i < 10; i++) {
      clock.advance(Duration.ofMinutes(2));
      fail("ci-robot", "10.0.0.66");
    }
    assertThat(refusal("ci-robot", "10.0.0.66")).contains(Duration.ofSeconds(60));
    assertThat(refusal("ci-robot", "10.0.0.7")).isEmpty();
  }

  @Test
  void successResetsTheBackOff() throws Exception {
    for (int i = 0; i < 7; i++) {
      fail("bob", "10.0.0.1");
      clock.advance(Duration.ofSeconds(8));
    }
    limiter.begin("bob", ip("10.0.0.1")).succeeded();
    failFreely("bob", "10.0.0.1");
    fail("bob", "10.0.0.1");
    assertThat(refusal("bob", "10.0.0.1")).contains(Duration.ofSeconds(1));
  }

  @Test
  void sprayingManyAccountsFromOneAddressIsLimitedThereOnly() throws Exception {
    for (int i = 0; i < 3; i++) {
      fail("user" + i, "10.0.0.1");
    }
    assertThat(refusal("someone-else", "10.0.0.1")).contains(Duration.ofSeconds(10));
    assertThat(refusal("someone-else", "10.0.0.2")).isEmpty();
    clock.advance(Duration.ofSeconds(10));
    assertThat(refusal("someone-else", "10.0.0.1")).isEmpty();
  }

  @Test
  void repeatedFailuresOfOneAccountDoNotEmptyItsAddress() throws Exception {
    for (int i = 0; i < 10; i++) {
      fail("ci-robot", "10.0.0.1");
      clock.advance(Duration.ofMinutes(1));
    }
    assertThat(refusal("colleague", "10.0.0.1")).isEmpty();
  }

  @Test
  void anAccountThatLoggedInFromTheAddressKeepsWorkingThroughASprayFromIt() throws Exception {
    limiter.begin("ci-robot", ip("10.0.0.1")).succeeded();
    for (int i = 0; i < 3; i++) {
      fail("guess" + i, "10.0.0.1");
    }
    assertThat(refusal("newcomer", "10.0.0.1")).isPresent();
    assertThat(refusal("ci-robot", "10.0.0.1")).isEmpty();
  }

  @Test
  void aBurstSentAtOnceIsAdmittedOnlyAsFarAsTheLimitsAllow() throws Exception {
    // A pair past its free failures has one attempt in flight at a time.
    failFreely("bob", "10.0.0.1");
    fail("bob", "10.0.0.1");
    clock.advance(Duration.ofSeconds(1));
    LoginLimiter.Attempt first = limiter.begin("bob", ip("10.0.0.1"));
    assertThat(refusal("bob", "10.0.0.1")).contains(LoginLimiter.FIRST_BACKOFF);
    first.failed();
    // Attempts in flight for new accounts hold the address's tokens until they answer.
    LoginLimiter.Attempt a = limiter.begin("x1", ip("10.0.0.9"));
    LoginLimiter.Attempt b = limiter.begin("x2", ip("10.0.0.9"));
    LoginLimiter.Attempt c = limiter.begin("x3", ip("10.0.0.9"));
    assertThat(refusal("x4", "10.0.0.9")).isPresent();
    a.succeeded();
    assertThat(refusal("x4", "10.0.0.9")).isEmpty();
    b.failed();
    c.failed();
  }

  @Test
  void ipv6IsCountedPerSlash64AndMappedIpv4AsIpv4() {
    assertThat(LoginLimiter.addressKey(ip("2001:db8:1:2:aaaa::1")))
        .isEqualTo(LoginLimiter.addressKey(ip("2001:db8:1:2:bbbb::2")))
        .isNotEqualTo(LoginLimiter.addressKey(ip("2001:db8:1:3::1")));
    assertThat(LoginLimiter.addressKey(ip("::ffff:10.1.2.3"))).isEqualTo("10.1.2.3");
  }

  @Test
  void memoryIsBoundedWhateverIsSprayed() throws Exception {
    LoginLimiter small =
        new LoginLimiter(clock, Duration.ofSeconds(60), 0, Duration.ofSeconds(10), 100);
    for (int i = 0; i < 5_000; i++) {
      small.begin("user" + i, ip("10.1." + (i / 250) + "." + (i % 250))).failed();
    }
    assertThat(small.trackedPairs()).isLessThanOrEqualTo(100);
  }
}
