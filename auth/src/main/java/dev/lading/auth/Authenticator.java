package dev.lading.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.net.InetAddress;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks a name and secret against the configured accounts. Every attempt costs one bcrypt
 * verification, also for an unknown name (against a dummy hash), so response time does not tell
 * which names exist. Each attempt is admitted by the {@link LoginLimiter} first and reports its
 * outcome to it.
 *
 * <p>Clients log in often: docker and podman send Basic credentials to the token endpoint for every
 * new scope, and a cluster pulling one image asks once per node. So a SUCCESSFUL check is
 * remembered for a short while, keyed by an HMAC of name and secret under a key drawn at start and
 * never stored: the cache holds nothing that helps an offline guess, and a changed or removed
 * account stops matching at once because the entry also records which hash it matched.
 */
public final class Authenticator {
  private static final BcryptHash DUMMY =
      BcryptHash.of("lading-no-such-account".toCharArray(), BcryptHash.DEFAULT_COST);

  /** Swapped whole by {@link #replaceAccounts} (a configuration reload). */
  private volatile Map<String, Account> accounts;

  private final LoginLimiter limiter;
  private final Cache<String, Account> recent;
  private final byte[] cacheKey = new byte[32];

  public Authenticator(List<Account> accounts, LoginLimiter limiter) {
    this.accounts = byName(accounts);
    this.limiter = limiter;
    this.recent =
        Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(Duration.ofMinutes(5)).build();
    new SecureRandom().nextBytes(cacheKey);
  }

  private static Map<String, Account> byName(List<Account> accounts) {
    Map<String, Account> byName = new LinkedHashMap<>();
    for (Account a : accounts) {
      if (byName.put(a.name(), a) != null) {
        throw new IllegalArgumentException("two accounts are named " + a.name());
      }
    }
    return Map.copyOf(byName);
  }

  /**
   * Puts {@code next} in force for every login from now on (a reload without a restart). The login
   * limiter's memory stays: a reload must not reset an attacker's back-off. A remembered login
   * stops matching at once when its account's hash changed or the account went, because the cache
   * entry records the account it matched.
   *
   * @throws IllegalArgumentException when two accounts share a name (nothing changes then)
   */
  public void replaceAccounts(List<Account> next) {
    this.accounts = byName(next);
  }

  /** The account of that name, for refresh tokens (which prove a past login, not a secret). */
  public Optional<Account> account(String name) {
    return Optional.ofNullable(accounts.get(name));
  }

  public int size() {
    return accounts.size();
  }

  /**
   * @param address the caller's address as the server trusts it (the login limiter's key)
   * @throws LoginRefusedException bad name or secret, or the limiter's refusal (with the wait)
   */
  public Principal authenticate(String name, char[] secret, InetAddress address)
      throws LoginRefusedException {
    if (!isAccountName(name)) {
      // The name grammar is public, so refusing at once tells nothing; and a name that can
      // never log in must not take room in the limiter (a header may carry 16 KiB of it).
      throw new LoginRefusedException("invalid credentials", Optional.empty());
    }
    LoginLimiter.Attempt attempt = limiter.begin(name, address);
    Account account = accounts.get(name);
    boolean ok;
    try {
      String fingerprint = fingerprint(name, secret);
      Account remembered = recent.getIfPresent(fingerprint);
      ok =
          remembered != null && remembered.equals(account)
              || (account == null ? DUMMY : account.secretHash()).verify(secret) && account != null;
      if (ok) {
        recent.put(fingerprint, account);
      }
    } catch (RuntimeException | Error e) {
      attempt.abandoned();
      throw e;
    }
    if (!ok) {
      attempt.failed();
      throw new LoginRefusedException("invalid credentials", Optional.empty());
    }
    attempt.succeeded();
    return account.principal();
  }

  private static boolean isAccountName(String name) {
    try {
      Principal.requireAccountName(name);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private String fingerprint(String name, char[] secret) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(cacheKey, "HmacSHA256"));
      mac.update(name.getBytes(StandardCharsets.UTF_8));
      mac.update((byte) 0);
      var bytes = StandardCharsets.UTF_8.encode(CharBuffer.wrap(secret));
      mac.update(bytes);
      return HexFormat.of().formatHex(mac.doFinal());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
