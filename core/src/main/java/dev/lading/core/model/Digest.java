package dev.lading.core.model;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A content digest, {@code algorithm:hex}. No invalid digest can exist: the compact constructor
 * checks the encoded part against the algorithm's registered grammar (lower-case hex of the exact
 * length), so a digest is always safe to use in a storage key.
 */
public record Digest(DigestAlgorithm algorithm, String hex) implements Reference {

  public Digest {
    Objects.requireNonNull(algorithm, "algorithm");
    Objects.requireNonNull(hex, "hex");
    if (!algorithm.accepts(hex)) {
      throw invalid(algorithm.wireName() + ":" + hex);
    }
  }

  /** Parses the wire form {@code sha256:<64 hex>}; anything else is {@code DIGEST_INVALID}. */
  public static Digest parse(String wire) {
    if (wire == null) {
      throw invalid("");
    }
    int colon = wire.indexOf(':');
    if (colon <= 0 || wire.length() > 300) {
      throw invalid(wire);
    }
    DigestAlgorithm algorithm =
        DigestAlgorithm.fromWireName(wire.substring(0, colon)).orElseThrow(() -> invalid(wire));
    String hex = wire.substring(colon + 1);
    if (!algorithm.accepts(hex)) {
      throw invalid(wire);
    }
    return new Digest(algorithm, hex);
  }

  /** True when {@code wire} is a well-formed digest of a supported algorithm. */
  public static boolean isDigest(String wire) {
    try {
      parse(wire);
      return true;
    } catch (RegistryException e) {
      return false;
    }
  }

  public static Digest of(DigestAlgorithm algorithm, byte[] rawDigest) {
    return new Digest(algorithm, HexFormat.of().formatHex(rawDigest));
  }

  /** Digest of the given bytes, for small content such as manifests. */
  public static Digest compute(DigestAlgorithm algorithm, byte[] content) {
    return of(algorithm, algorithm.newMessageDigest().digest(content));
  }

  public static Digest sha256(byte[] content) {
    return compute(DigestAlgorithm.SHA256, content);
  }

  @Override
  public String toString() {
    return algorithm.wireName() + ":" + hex;
  }

  private static RegistryException invalid(String wire) {
    String shown = wire.length() > 140 ? wire.substring(0, 140) + "..." : wire;
    return ErrorCode.DIGEST_INVALID.exception("invalid digest").withDetail(shown);
  }
}
