package dev.lading.core.model;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;
import java.util.function.Supplier;
import org.bouncycastle.jcajce.provider.digest.Blake3;

/**
 * The digest algorithms the image-spec registers ({@code descriptor.md}, "Registered algorithms"),
 * with the encoded form each one requires. SHA-256 is the one implementations MUST support; SHA-512
 * and BLAKE3 are optional there, and whether the registry accepts BLAKE3 is a setting ({@code
 * RegistryOptions.allowBlake3}). Every value here is known to the storage layout whatever the
 * settings, so a store that once took BLAKE3 blobs is still read and collected whole.
 */
public enum DigestAlgorithm {
  SHA256("sha256", 64, () -> jdk("SHA-256")),
  SHA512("sha512", 128, () -> jdk("SHA-512")),
  /**
   * BLAKE3 with its 256-bit output, the length image-spec mandates. The JDK has none: Bouncy
   * Castle's {@code Blake3Digest} behind its {@link MessageDigest} adapter (no provider is
   * registered; the adapter is used directly).
   */
  BLAKE3("blake3", 64, Blake3.Blake3_256::new);

  private final String wireName;
  private final int hexLength;
  private final Supplier<MessageDigest> factory;

  DigestAlgorithm(String wireName, int hexLength, Supplier<MessageDigest> factory) {
    this.wireName = wireName;
    this.hexLength = hexLength;
    this.factory = factory;
  }

  public String wireName() {
    return wireName;
  }

  public int hexLength() {
    return hexLength;
  }

  /**
   * Whether {@code hex} is this algorithm's encoded form: exactly {@link #hexLength} characters of
   * {@code [a-f0-9]} (every descriptor of every manifest is checked, so a loop, not a regex).
   */
  boolean accepts(String hex) {
    if (hex.length() != hexLength) {
      return false;
    }
    for (int i = 0; i < hex.length(); i++) {
      char c = hex.charAt(i);
      if ((c < '0' || c > '9') && (c < 'a' || c > 'f')) {
        return false;
      }
    }
    return true;
  }

  public MessageDigest newMessageDigest() {
    return factory.get();
  }

  public static Optional<DigestAlgorithm> fromWireName(String name) {
    for (DigestAlgorithm a : values()) {
      if (a.wireName.equals(name)) {
        return Optional.of(a);
      }
    }
    return Optional.empty();
  }

  private static MessageDigest jdk(String name) {
    try {
      return MessageDigest.getInstance(name);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK provides " + name, e);
    }
  }
}
