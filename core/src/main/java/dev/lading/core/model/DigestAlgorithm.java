package dev.lading.core.model;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;
import java.util.regex.Pattern;

/** The digest algorithms the image-spec registers, with the encoded form each one requires. */
public enum DigestAlgorithm {
  SHA256("sha256", "SHA-256", 64),
  SHA512("sha512", "SHA-512", 128);

  private final String wireName;
  private final String jdkName;
  private final int hexLength;
  private final Pattern encoded;

  DigestAlgorithm(String wireName, String jdkName, int hexLength) {
    this.wireName = wireName;
    this.jdkName = jdkName;
    this.hexLength = hexLength;
    this.encoded = Pattern.compile("[a-f0-9]{" + hexLength + "}");
  }

  public String wireName() {
    return wireName;
  }

  public int hexLength() {
    return hexLength;
  }

  boolean accepts(String hex) {
    return encoded.matcher(hex).matches();
  }

  public MessageDigest newMessageDigest() {
    try {
      return MessageDigest.getInstance(jdkName);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK provides " + jdkName, e);
    }
  }

  public static Optional<DigestAlgorithm> fromWireName(String name) {
    for (DigestAlgorithm a : values()) {
      if (a.wireName.equals(name)) {
        return Optional.of(a);
      }
    }
    return Optional.empty();
  }
}
