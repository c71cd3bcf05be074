package dev.lading.auth;

import at.favre.lib.crypto.bcrypt.BCrypt;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A bcrypt hash in modular-crypt form ({@code $2a$}, {@code $2b$} or {@code $2y$}, as {@code
 * htpasswd -B} and most tools write). Verification is bcrypt's own, which compares in constant
 * time; {@link #toString} never shows the hash.
 */
public record BcryptHash(String value) {
  private static final Pattern FORM =
      Pattern.compile("\\$2[aby]\\$(0[4-9]|[12][0-9]|3[01])\\$[./A-Za-z0-9]{53}");

  /** Cost of the hashes this registry makes (robot secrets, the CLI): about 50 ms on one core. */
  public static final int DEFAULT_COST = 10;

  /** Secrets longer than bcrypt's 72-byte input are refused rather than silently truncated. */
  public static final int MAX_SECRET_BYTES = 72;

  public BcryptHash {
    Objects.requireNonNull(value, "value");
    if (!FORM.matcher(value).matches()) {
      throw new IllegalArgumentException(
          "not a bcrypt hash ($2a$/$2b$/$2y$, cost 04..31, 53 characters of salt and hash)");
    }
  }

  public static BcryptHash parse(String value) {
    return new BcryptHash(value.strip());
  }

  public static BcryptHash of(char[] secret, int cost) {
    requireSecretLength(secret);
    return new BcryptHash(BCrypt.withDefaults().hashToString(cost, secret));
  }

  /** True when {@code secret} hashes to this; false for any secret bcrypt cannot take. */
  public boolean verify(char[] secret) {
    if (secret == null
        || StandardCharsets.UTF_8.encode(CharBuffer.wrap(secret)).remaining() > MAX_SECRET_BYTES) {
      return false;
    }
    try {
      return BCrypt.verifyer().verify(secret, value.toCharArray()).verified;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static void requireSecretLength(char[] secret) {
    if (secret.length == 0
        || StandardCharsets.UTF_8.encode(CharBuffer.wrap(secret)).remaining() > MAX_SECRET_BYTES) {
      throw new IllegalArgumentException("a secret must be 1.." + MAX_SECRET_BYTES + " bytes");
    }
  }

  @Override
  public String toString() {
    return "BcryptHash[********]";
  }
}
