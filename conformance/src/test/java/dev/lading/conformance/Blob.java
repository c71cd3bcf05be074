package dev.lading.conformance;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import org.bouncycastle.crypto.digests.Blake3Digest;

/** Bytes the tests push, with their digest. Random content keeps tests from sharing blobs. */
public record Blob(byte[] bytes, String digest) {
  /** The image-spec's empty JSON blob, {@code {}}: the config of artifacts without one. */
  public static final Blob EMPTY_JSON = of("{}".getBytes(StandardCharsets.UTF_8));

  public static Blob of(byte[] bytes) {
    return new Blob(bytes, sha256(bytes));
  }

  /** The UTF-8 bytes of {@code text}: configs, READMEs, templates. */
  public static Blob utf8(String text) {
    return of(text.getBytes(StandardCharsets.UTF_8));
  }

  public static Blob sha512Of(byte[] bytes) {
    return new Blob(bytes, digest("sha512", "SHA-512", bytes));
  }

  /**
   * {@code bytes} under their BLAKE3 digest (256-bit), hashed here with Bouncy Castle's lightweight
   * {@code Blake3Digest}, not the server's code path.
   */
  public static Blob blake3Of(byte[] bytes) {
    return new Blob(bytes, blake3(bytes));
  }

  public static String blake3(byte[] bytes) {
    Blake3Digest digest = new Blake3Digest(256);
    digest.update(bytes, 0, bytes.length);
    byte[] out = new byte[32];
    digest.doFinal(out, 0);
    return "blake3:" + HexFormat.of().formatHex(out);
  }

  public static Blob random(int size) {
    byte[] bytes = new byte[size];
    ThreadLocalRandom.current().nextBytes(bytes);
    return of(bytes);
  }

  public long size() {
    return bytes.length;
  }

  public Descriptor descriptor(String mediaType) {
    return Descriptor.of(mediaType, digest, bytes.length);
  }

  public static String sha256(byte[] bytes) {
    return digest("sha256", "SHA-256", bytes);
  }

  static String digest(String wire, String jdk, byte[] bytes) {
    try {
      return wire + ":" + HexFormat.of().formatHex(MessageDigest.getInstance(jdk).digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A well-formed sha256 digest of content that no test ever pushes. */
  public static String unknownDigest() {
    return random(48).digest();
  }
}
