package dev.lading.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.testing.MutableClock;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class AuthenticatorTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  private final Authenticator auth =
      new Authenticator(
          List.of(Account.user("alice", BcryptHash.of("correct horse".toCharArray(), 4))),
          new LoginLimiter(clock, Duration.ofSeconds(30), 20, Duration.ofSeconds(30), 1000));
  private static final InetAddress A = InetAddress.getLoopbackAddress();

  @Test
  void rightSecretAuthenticates() throws Exception {
    assertThat(auth.authenticate("alice", "correct horse".toCharArray(), A))
        .isEqualTo(new Principal("alice", Principal.Kind.USER));
    // The remembered success answers the same.
    assertThat(auth.authenticate("alice", "correct horse".toCharArray(), A).name())
        .isEqualTo("alice");
  }

  @Test
  void wrongSecretAndUnknownNameAreRefusedAlike() {
    assertThatThrownBy(() -> auth.authenticate("alice", "wrong".toCharArray(), A))
        .isInstanceOf(LoginRefusedException.class)
        .hasMessage("invalid credentials");
    assertThatThrownBy(() -> auth.authenticate("mallory", "correct horse".toCharArray(), A))
        .isInstanceOf(LoginRefusedException.class)
        .hasMessage("invalid credentials");
  }

  @Test
  void pastTheFreeFailuresEvenTheRightSecretWaitsOutTheBackOff() throws Exception {
    for (int i = 0; i <= LoginLimiter.FREE_FAILURES; i++) {
      assertThatThrownBy(() -> auth.authenticate("alice", "guess".toCharArray(), A))
          .isInstanceOfSatisfying(
              LoginRefusedException.class, e -> assertThat(e.rateLimited()).isFalse());
    }
    assertThatThrownBy(() -> auth.authenticate("alice", "correct horse".toCharArray(), A))
        .isInstanceOfSatisfying(
            LoginRefusedException.class, e -> assertThat(e.rateLimited()).isTrue());
    clock.advance(Duration.ofSeconds(1));
    assertThat(auth.authenticate("alice", "correct horse".toCharArray(), A).name())
        .isEqualTo("alice");
  }

  @Test
  void aNameNoAccountCouldHaveIsRefusedWithoutTouchingTheLimiter() {
    String huge = "x".repeat(10_000);
    for (int i = 0; i < 100; i++) {
      assertThatThrownBy(() -> auth.authenticate(huge, "s".toCharArray(), A))
          .isInstanceOfSatisfying(
              LoginRefusedException.class, e -> assertThat(e.rateLimited()).isFalse());
    }
  }

  @Test
  void overlongSecretIsRefusedNotTruncated() {
    BcryptHash h = BcryptHash.of("x".repeat(72).toCharArray(), 4);
    assertThat(h.verify(("x".repeat(72) + "y").toCharArray())).isFalse();
    assertThat(h.verify("x".repeat(72).toCharArray())).isTrue();
  }

  @Test
  void hashIsNeverPrinted() {
    assertThat(BcryptHash.of("s".toCharArray(), 4).toString()).doesNotContain("$2");
  }
}
