package dev.lading.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * Slows password guessing: each account name and each remote address has a small token bucket
 * that only FAILED logins drain. While either bucket is empty every login for that name or from
 * that address is refused before bcrypt runs, right password or not (otherwise the limit would
 * not limit guessing, and bcrypt's CPU would be free to burn for an attacker). Buckets refill
 * continuously; idle ones are forgotten by Caffeine, so memory is bounded by
 * {@code maxTracked} whatever an attacker sprays.
 */
public final class LoginLimiter {
  private final Clock clock;
  private final int burst;
  private final Duration refillEvery;
  private final Cache<String, Bucket> buckets;

  /**
   * @param burst failures allowed in a row before refusals start
   * @param refillEvery time for one failure to be forgiven
   */
  public LoginLimiter(Clock clock, int burst, Duration refillEvery, long maxTracked) {
    if (burst < 1 || refillEvery.isNegative() || refillEvery.isZero()) {
      throw new IllegalArgumentException("burst >= 1 and a positive refill period are required");
    }
    this.clock = clock;
    this.burst = burst;
    this.refillEvery = refillEvery;
    Ticker ticker = () -> clock.millis() * 1_000_000L;
    this.buckets = Caffeine.newBuilder()
        .ticker(ticker)
        .maximumSize(maxTracked)
        .expireAfterAccess(refillEvery.multipliedBy(burst).plusMinutes(1))
        .build();
  }

  /** Ten failures, then one more every six seconds; 100,000 names and addresses tracked. */
  public static LoginLimiter standard(Clock clock) {
    return new LoginLimiter(clock, 10, Duration.ofSeconds(6), 100_000);
  }

  /** Empty when a login may be tried now; else how long until one may. */
  public Optional<Duration> refusal(String account, String address) {
    long now = clock.millis();
    long wait = Math.max(waitMillis("a:" + account, now), waitMillis("r:" + address, now));
    return wait <= 0 ? Optional.empty() : Optional.of(Duration.ofMillis(wait));
  }

  /** Drains one token from both buckets. */
  public void failed(String account, String address) {
    long now = clock.millis();
    take("a:" + account, now);
    take("r:" + address, now);
  }

  private long waitMillis(String key, long now) {
    Bucket b = buckets.getIfPresent(key);
    if (b == null) {
      return 0;
    }
    synchronized (b) {
      double tokens = b.tokensAt(now, burst, refillEvery.toMillis());
      return tokens >= 1 ? 0 : (long) Math.ceil((1 - tokens) * refillEvery.toMillis());
    }
  }

  private void take(String key, long now) {
    Bucket b = buckets.get(key, k -> new Bucket(burst, now));
    synchronized (b) {
      double tokens = b.tokensAt(now, burst, refillEvery.toMillis());
      b.tokens = Math.max(0, tokens - 1);
      b.at = now;
    }
  }

  private static final class Bucket {
    double tokens;
    long at;

    Bucket(double tokens, long at) {
      this.tokens = tokens;
      this.at = at;
    }

    double tokensAt(long now, int burst, long refillMillis) {
      return Math.min(burst, tokens + Math.max(0, now - at) / (double) refillMillis);
    }
  }
}
