package dev.lading.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
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
 * which names exist. Failures feed the {@link LoginLimiter}.
 *
 * <p>Clients log in often: docker and podman send Basic credentials to the token endpoint for
 * every new scope, and a cluster pulling one image asks once per node. So a SUCCESSFUL check is
 * remembered for a short while, keyed by an HMAC of name and secret under a key drawn at start
 * and never stored: the cache holds nothing that helps an offline guess, and a changed or
 * removed account stops matching at once because the entry also records which hash it matched.
 */
public final class Authenticator {
  private static final BcryptHash DUMMY = BcryptHash.of("lading-no-such-account".toCharArray(), BcryptHash.DEFAULT_COST);

  private final Map<String, Account> accounts;
  private final LoginLimiter limiter;
  private final Cache<String, Account> recent;
  private final byte[] cacheKey = new byte[32];

  public Authenticator(List<Account> accounts, LoginLimiter limiter) {
    Map<String, Account> byName = new LinkedHashMap<>();
    for (Account a : accounts) {
      if (byName.put(a.name(), a) != null) {
        throw new IllegalArgumentException("two accounts are named " + a.name());
      }
    }
    this.accounts = Map.copyOf(byName);
    this.limiter = limiter;
    this.recent = Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(Duration.ofMinutes(5)).build();
    new SecureRandom().nextBytes(cacheKey);
  }

  /** The account of that name, for refresh tokens (which prove a past login, not a secret). */
  public Optional<Account> account(String name) {
    return Optional.ofNullable(accounts.get(name));
  }

  public int size() {
    return accounts.size();
  }

  /**
   * @param address the caller's address as text (rate-limit key; never logged with the secret)
   * @throws LoginRefusedException bad name or secret, or too many recent failures
   */
  public Principal authenticate(String name, char[] secret, String address) throws LoginRefusedException {
    String key = name == null ? "" : name;
    Optional<Duration> wait = limiter.refusal(key, address);
    if (wait.isPresent()) {
      throw new LoginRefusedException("too many failed logins", wait);
    }
    Account account = accounts.get(key);
    String fingerprint = fingerprint(key, secret);
    Account remembered = recent.getIfPresent(fingerprint);
    if (remembered != null && remembered.equals(account)) {
      return account.principal();
    }
    boolean ok = (account == null ? DUMMY : account.secretHash()).verify(secret) && account != null;
    if (!ok) {
      limiter.failed(key, address);
      throw new LoginRefusedException("invalid credentials", Optional.empty());
    }
    recent.put(fingerprint, account);
    return account.principal();
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
