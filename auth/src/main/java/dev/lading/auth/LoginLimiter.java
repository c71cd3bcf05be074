package dev.lading.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;

/**
 * Slows password guessing without letting a stranger lock an account out.
 *
 * <p><b>Per (account, address) back-off.</b> Failures are counted for the pair of account name and
 * client address. The first {@value #FREE_FAILURES} failures in a row cost nothing (a typo, a CI
 * job retrying with an old secret, a client that tries twice must not meet a refusal that hides the
 * real error); after the n-th failure beyond them the pair waits {@code 1 s * 2^(n-1)}, at most
 * {@code maxBackoff} (default 5 min), before it may try again; while it waits every login of the
 * pair is refused before bcrypt runs, right secret or not (otherwise the wait would not slow
 * guessing, and bcrypt's CPU would be free to burn). A success resets the pair. Failures from
 * address A never delay the account's logins from address B: whoever knows a CI robot's name can
 * slow their own guesses, not the robot. The price, accepted on purpose: an attacker with many
 * addresses guesses one account in parallel, each address at the back-off's pace; robot secrets are
 * generated (far beyond guessing), and user passwords are bcrypt-hashed.
 *
 * <p><b>Why 5 minutes.</b> At the cap one address gets 288 guesses a day at one account (a
 * 10,000-word list takes a month), reached after 12 failures in a row (three free, then 1 s to 256
 * s); a person who mistyped a few times waits seconds, and a right secret is never kept waiting
 * longer than the cap. The three free failures give a guesser three words once per streak: nothing
 * next to the back-off's pace.
 *
 * <p><b>Per address, across accounts.</b> Password spraying (one common password against many
 * names) fails once per name and would never meet the pair back-off, so each address also has a
 * token bucket that only a pair's FIRST failure drains ({@code addressBurst}, one token back per
 * {@code addressRefill}): 20 names, then one every 30 s. Repeated failures of one pair cost the
 * address nothing (the pair's back-off paces them), so a CI job with a wrong secret does not lock
 * out everyone behind its NAT. A pair that logged in successfully and has not failed since is
 * exempt, so a spray from behind a shared address does not stop the robots already working there.
 * Only someone who shares the address can empty its bucket.
 *
 * <p><b>Bursts.</b> A guess is counted when bcrypt has answered; without more, a thousand requests
 * sent at once would all pass the check before the first failure is recorded. So an attempt is
 * admitted, not merely checked: a pair that has used its free failures has one attempt in flight at
 * a time, any other pair {@value #MAX_IN_FLIGHT}; an attempt of a pair not known to be good holds
 * an address token until it succeeds (given back) or fails.
 *
 * <p><b>Memory.</b> Pairs and addresses live in Caffeine caches bounded by {@code maxTracked} each
 * and forgotten when idle (a pair after {@code maxBackoff} + 1 h, an address once its bucket would
 * be full again), so spraying names or addresses cannot grow memory without bound. Eviction favours
 * entries in use (W-TinyLFU), so flooding the cache with new pairs tends to evict the flood, not
 * the attacker's own locked pair; refused attempts create no entry. IPv6 clients are counted per
 * /64, the block one subscriber usually holds, so a host cannot walk its own 2^64 addresses.
 */
public final class LoginLimiter {
  /** Failures in a row a pair may have before it waits. */
  public static final int FREE_FAILURES = 3;

  /**
   * Wait after the first failure beyond the free ones; doubles with each further failure in a row.
   */
  public static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);

  public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofMinutes(5);
  public static final int DEFAULT_ADDRESS_BURST = 20;
  public static final Duration DEFAULT_ADDRESS_REFILL = Duration.ofSeconds(30);

  /**
   * Attempts one pair may have in flight while it has not failed (a node's first parallel pulls).
   */
  public static final int MAX_IN_FLIGHT = 8;

  private final Clock clock;
  private final Duration maxBackoff;
  private final int addressBurst;
  private final Duration addressRefill;
  private final Cache<PairKey, Pair> pairs;
  private final Cache<String, Bucket> addresses;

  /**
   * @param maxBackoff the longest wait after failures in a row (at least {@link #FIRST_BACKOFF})
   * @param addressBurst first failures of distinct accounts one address may have before its logins
   *     wait; 0: no limit per address
   * @param addressRefill time for the address to get one of them back
   * @param maxTracked pairs, and addresses, remembered at most
   */
  public LoginLimiter(
      Clock clock, Duration maxBackoff, int addressBurst, Duration addressRefill, long maxTracked) {
    if (maxBackoff.compareTo(FIRST_BACKOFF) < 0
        || addressBurst < 0
        || !addressRefill.isPositive()
        || maxTracked < 1) {
      throw new IllegalArgumentException(
          "maxBackoff >= 1 s, addressBurst >= 0, a positive refill and maxTracked >= 1 are required");
    }
    this.clock = Objects.requireNonNull(clock, "clock");
    this.maxBackoff = maxBackoff;
    this.addressBurst = addressBurst;
    this.addressRefill = addressRefill;
    Ticker ticker = () -> clock.millis() * 1_000_000L;
    this.pairs =
        Caffeine.newBuilder()
            .ticker(ticker)
            .maximumSize(maxTracked)
            .expireAfterAccess(maxBackoff.plusHours(1))
            .build();
    this.addresses =
        Caffeine.newBuilder()
            .ticker(ticker)
            .maximumSize(maxTracked)
            .expireAfterAccess(addressRefill.multipliedBy(Math.max(1, addressBurst)).plusMinutes(1))
            .build();
  }

  /**
   * 5 minutes at most per pair, 20 accounts then one per 30 s per address, 100,000 of each tracked.
   */
  public static LoginLimiter standard(Clock clock) {
    return new LoginLimiter(
        clock, DEFAULT_MAX_BACKOFF, DEFAULT_ADDRESS_BURST, DEFAULT_ADDRESS_REFILL, 100_000);
  }

  /**
   * Why a login was refused without being checked, as a token for the audit trail: {@code
   * account-backoff} (this account failed from this address and waits), {@code attempt-in-flight}
   * (this account's previous attempt from here is still being checked) or {@code address-limit}
   * (many accounts failed from this address).
   */
  public enum Reason {
    ACCOUNT_BACKOFF("account-backoff"),
    ATTEMPT_IN_FLIGHT("attempt-in-flight"),
    ADDRESS_LIMIT("address-limit");

    private final String token;

    Reason(String token) {
      this.token = token;
    }

    @Override
    public String toString() {
      return token;
    }
  }

  /**
   * Admits one login attempt of {@code account} from {@code address}, or refuses it with how long
   * to wait. The caller must end the attempt exactly once.
   */
  public Attempt begin(String account, InetAddress address) throws LoginRefusedException {
    long now = clock.millis();
    String where = addressKey(address);
    PairKey key = new PairKey(account, where);
    Pair existing = pairs.getIfPresent(key);
    if (existing != null) {
      synchronized (existing) {
        refuseIfPairWaits(existing, now);
      }
    }
    boolean trusted = existing != null && existing.trusted();
    Bucket bucket = null;
    if (!trusted && addressBurst > 0) {
      bucket = addresses.get(where, k -> new Bucket(addressBurst, now));
      synchronized (bucket) {
        double tokens = bucket.tokensAt(now, addressBurst, addressRefill.toMillis());
        if (tokens < 1) {
          throw refused(
              Duration.ofMillis((long) Math.ceil((1 - tokens) * addressRefill.toMillis())),
              Reason.ADDRESS_LIMIT);
        }
        bucket.tokens = tokens - 1;
        bucket.at = now;
      }
    }
    Pair pair = pairs.get(key, k -> new Pair());
    synchronized (pair) {
      try {
        refuseIfPairWaits(pair, now);
      } catch (LoginRefusedException e) {
        refund(bucket, now);
        throw e;
      }
      pair.inFlight++;
    }
    return new Attempt(pair, bucket);
  }

  private void refuseIfPairWaits(Pair pair, long now) throws LoginRefusedException {
    if (now < pair.lockedUntil) {
      throw refused(Duration.ofMillis(pair.lockedUntil - now), Reason.ACCOUNT_BACKOFF);
    }
    if (pair.inFlight >= (pair.failures >= FREE_FAILURES ? 1 : MAX_IN_FLIGHT)) {
      throw refused(FIRST_BACKOFF, Reason.ATTEMPT_IN_FLIGHT);
    }
  }

  private static LoginRefusedException refused(Duration wait, Reason reason) {
    return new LoginRefusedException(reason.toString(), Optional.of(wait));
  }

  private void refund(Bucket bucket, long now) {
    if (bucket == null) {
      return;
    }
    synchronized (bucket) {
      bucket.tokens =
          Math.min(addressBurst, bucket.tokensAt(now, addressBurst, addressRefill.toMillis()) + 1);
      bucket.at = now;
    }
  }

  /** Pairs remembered now, after Caffeine's pending evictions (tests check the bound). */
  long trackedPairs() {
    pairs.cleanUp();
    return pairs.estimatedSize();
  }

  /**
   * The wait after the n-th failure in a row: none for the free ones, then 1 s, 2 s, 4 s, ... up to
   * {@code maxBackoff}.
   */
  Duration backoffAfter(int failures) {
    int beyond = failures - FREE_FAILURES;
    if (beyond <= 0) {
      return Duration.ZERO;
    }
    if (beyond >= 40) {
      return maxBackoff;
    }
    Duration d = FIRST_BACKOFF.multipliedBy(1L << (beyond - 1));
    return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
  }

  /**
   * The key an address is counted under: IPv4 as it is, IPv6 by its /64 (an IPv4-mapped IPv6
   * address counts as the IPv4 address it carries).
   */
  static String addressKey(InetAddress address) {
    byte[] b = address.getAddress();
    if (address instanceof Inet4Address) {
      return address.getHostAddress();
    }
    boolean mapped =
        b.length == 16
            && Arrays.equals(b, 0, 10, new byte[10], 0, 10)
            && b[10] == (byte) 0xff
            && b[11] == (byte) 0xff;
    if (mapped) {
      try {
        return InetAddress.getByAddress(Arrays.copyOfRange(b, 12, 16)).getHostAddress();
      } catch (UnknownHostException e) {
        throw new IllegalStateException("four bytes are an IPv4 address", e);
      }
    }
    return HexFormat.of().formatHex(b, 0, 8) + "::/64";
  }

  /** An admitted login attempt; {@link #succeeded}, {@link #failed} or {@link #abandoned} once. */
  public final class Attempt {
    private final Pair pair;
    private final Bucket bucket;
    private boolean ended;

    private Attempt(Pair pair, Bucket bucket) {
      this.pair = pair;
      this.bucket = bucket;
    }

    /** The secret was right: the pair starts afresh and is exempt from the address limit. */
    public void succeeded() {
      long now = end();
      synchronized (pair) {
        pair.failures = 0;
        pair.lockedUntil = 0;
        pair.succeeded = true;
      }
      refund(bucket, now);
    }

    /** The secret was wrong (or the name unknown): the pair's wait doubles. */
    public void failed() {
      long now = end();
      boolean repeat;
      synchronized (pair) {
        repeat = pair.failures > 0;
        pair.failures = Math.min(pair.failures + 1, 1_000);
        pair.succeeded = false;
        pair.lockedUntil = Math.max(pair.lockedUntil, now + backoffAfter(pair.failures).toMillis());
      }
      // Only a pair's first failure is spraying evidence; its repeats are paced by its back-off.
      if (repeat) {
        refund(bucket, now);
      }
    }

    /** The check itself broke (not the secret's fault): nothing is counted. */
    public void abandoned() {
      refund(bucket, end());
    }

    private long end() {
      if (ended) {
        throw new IllegalStateException("a login attempt ends once");
      }
      ended = true;
      synchronized (pair) {
        pair.inFlight--;
      }
      return clock.millis();
    }
  }

  private record PairKey(String account, String address) {}

  private static final class Pair {
    int failures;
    long lockedUntil;
    int inFlight;
    boolean succeeded;

    boolean trusted() {
      synchronized (this) {
        return succeeded && failures == 0;
      }
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
