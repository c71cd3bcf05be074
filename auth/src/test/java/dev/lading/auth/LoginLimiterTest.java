package dev.lading.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LoginLimiterTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  private final LoginLimiter limiter = new LoginLimiter(clock, 3, Duration.ofSeconds(10), 1000);

  @Test
  void failuresUpToTheBurstAreAllowedThenRefused() {
    for (int i = 0; i < 3; i++) {
      assertThat(limiter.refusal("bob", "10.0.0.1")).isEmpty();
      limiter.failed("bob", "10.0.0.1");
    }
    assertThat(limiter.refusal("bob", "10.0.0.1")).contains(Duration.ofSeconds(10));
  }

  @Test
  void anEmptyAccountBucketRefusesFromAnyAddress() {
    for (int i = 0; i < 3; i++) {
      limiter.failed("bob", "10.0.0." + i);
    }
    assertThat(limiter.refusal("bob", "10.9.9.9")).isPresent();
    assertThat(limiter.refusal("alice", "10.9.9.9")).isEmpty();
  }

  @Test
  void anEmptyAddressBucketRefusesEveryAccountFromIt() {
    for (int i = 0; i < 3; i++) {
      limiter.failed("user" + i, "10.0.0.1");
    }
    assertThat(limiter.refusal("someone-else", "10.0.0.1")).isPresent();
    assertThat(limiter.refusal("someone-else", "10.0.0.2")).isEmpty();
  }

  @Test
  void bucketsRefillWithTime() {
    for (int i = 0; i < 3; i++) {
      limiter.failed("bob", "10.0.0.1");
    }
    clock.advance(Duration.ofSeconds(5));
    assertThat(limiter.refusal("bob", "10.0.0.1")).contains(Duration.ofSeconds(5));
    clock.advance(Duration.ofSeconds(5));
    assertThat(limiter.refusal("bob", "10.0.0.1")).isEmpty();
    limiter.failed("bob", "10.0.0.1");
    assertThat(limiter.refusal("bob", "10.0.0.1")).isPresent();
  }
}
