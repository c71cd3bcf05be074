package dev.lading.auth;

import java.security.SecureRandom;
import java.util.Base64;

/**
 * A new robot account's secret: 32 random bytes (256 bits) from {@link SecureRandom}, shown once to
 * the operator and stored only as its bcrypt hash. The {@code lading_} prefix lets secret scanners
 * recognise a leaked one.
 */
public record RobotCredentials(String name, char[] secret, BcryptHash hash) {
  public RobotCredentials {
    Principal.requireAccountName(name);
  }

  public static RobotCredentials create(String name) {
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    char[] secret =
        ("lading_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random)).toCharArray();
    return new RobotCredentials(name, secret, BcryptHash.of(secret, BcryptHash.DEFAULT_COST));
  }

  @Override
  public String toString() {
    return "RobotCredentials[" + name + ", ********]";
  }
}
