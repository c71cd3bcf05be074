package dev.lading.auth;

import java.time.Duration;
import java.util.Optional;

/**
 * A login that did not succeed. The message never says whether the name exists (the caller answers
 * "invalid credentials" either way); {@link #retryAfter} is present when the refusal is the login
 * limiter's, and the message is then its {@link LoginLimiter.Reason}.
 */
public final class LoginRefusedException extends Exception {
  private final transient Optional<Duration> retryAfter;

  LoginRefusedException(String message, Optional<Duration> retryAfter) {
    super(message, null, false, false);
    this.retryAfter = retryAfter;
  }

  public Optional<Duration> retryAfter() {
    return retryAfter;
  }

  public boolean rateLimited() {
    return retryAfter.isPresent();
  }
}
