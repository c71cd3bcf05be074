package dev.lading.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The built-in issuer's signing keys: the CURRENT key signs, the PREVIOUS one (if any) still
 * verifies, and both are published in the JWKS, so a rotation never invalidates tokens in flight.
 * Kept as a JWK set file ({@code <data root>/auth/signing-keys.jwks} by default), the current key
 * first, written owner-only (0600) through a sibling file and an atomic rename.
 *
 * <p>One asymmetric algorithm for all keys (ES256 for generated keys; RS256 when an operator
 * supplies RSA keys): the verifier is pinned to it, so neither {@code alg: none} nor an HMAC token
 * keyed with the public key can pass.
 */
public final class SigningKeys {
  private final List<JWK> keys;
  private final JWSAlgorithm algorithm;

  /** Computed once: the verifier selects from it on every uncached verification. */
  private final JWKSet publicSet;

  private SigningKeys(List<JWK> keys) {
    if (keys.isEmpty() || keys.size() > 2) {
      throw new IllegalArgumentException(
          "a signing key set holds the current key and at most one previous key");
    }
    this.algorithm = algorithmOf(keys.get(0));
    for (JWK k : keys) {
      if (!k.isPrivate()) {
        throw new IllegalArgumentException("signing key " + k.getKeyID() + " has no private part");
      }
      if (k.getKeyID() == null || k.getKeyID().isBlank()) {
        throw new IllegalArgumentException("every signing key needs a kid");
      }
      if (!algorithmOf(k).equals(algorithm)) {
        throw new IllegalArgumentException("all signing keys must use " + algorithm);
      }
    }
    this.keys = List.copyOf(keys);
    this.publicSet = new JWKSet(this.keys).toPublicJWKSet();
  }

  /** A fresh ES256 key, not stored anywhere (tests, and the first start before {@link #save}). */
  public static SigningKeys generate() {
    return new SigningKeys(List.of(newKey()));
  }

  public static SigningKeys of(List<JWK> keys) {
    return new SigningKeys(keys);
  }

  /**
   * The keys in {@code file}; when the file does not exist, a new key written there (0600,
   * directory 0700). Two instances starting at once on one root agree: the loser of the create race
   * reads the winner's file.
   */
  public static SigningKeys loadOrCreate(Path file) throws IOException {
    if (Files.exists(file)) {
      return load(file);
    }
    return loadOrCreate(file, generate());
  }

  /** As {@link #loadOrCreate(Path)}, writing {@code created} when the file does not exist. */
  static SigningKeys loadOrCreate(Path file, SigningKeys created) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    trySetPermissions(dir, "rwx------");
    Path partial = dir.resolve(file.getFileName() + ".new-" + UUID.randomUUID());
    created.writeTo(partial);
    try {
      // A hard link publishes the complete file and, unlike rename(2), refuses to replace one
      // that appeared meanwhile: the loser of a create race reads the winner's keys.
      Files.createLink(file, partial);
    } catch (FileAlreadyExistsException e) {
      return load(file);
    } catch (UnsupportedOperationException e) {
      Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE);
      return created;
    } finally {
      Files.deleteIfExists(partial);
    }
    return created;
  }

  public static SigningKeys load(Path file) throws IOException {
    return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
  }

  /**
   * Parses a JWK or JWK set of private signing keys, as {@link #toJson} writes it.
   *
   * @param source names where the text came from, for the message (never the text itself)
   */
  public static SigningKeys parse(String text, String source) throws IOException {
    try {
      List<JWK> keys =
          text.contains("\"keys\"") ? JWKSet.parse(text).getKeys() : List.of(JWK.parse(text));
      return new SigningKeys(keys);
    } catch (ParseException | IllegalArgumentException e) {
      throw new IOException(
          source + " is not a JWK or JWK set of private signing keys: " + e.getMessage());
    }
  }

  /** The whole set WITH private parts, current key first: what a {@link KeySetStorage} keeps. */
  public String toJson() {
    return new JWKSet(keys).toString(false);
  }

  /** Writes the set to {@code file}, owner-only, replacing what was there in one rename. */
  public void save(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    trySetPermissions(dir, "rwx------");
    Path partial = dir.resolve(file.getFileName() + ".new-" + UUID.randomUUID());
    writeTo(partial);
    Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** Writes the set to a new file, owner-only (0600); refuses to replace a file that exists. */
  public void saveNew(Path file) throws IOException {
    writeTo(file);
  }

  /** A new current key; the old current becomes the previous, the old previous is dropped. */
  public SigningKeys rotate() {
    if (!algorithm.equals(JWSAlgorithm.ES256)) {
      throw new IllegalStateException(
          "only generated (ES256) key sets rotate; replace RSA keys by hand");
    }
    return new SigningKeys(List.of(newKey(), keys.get(0)));
  }

  public JWK current() {
    return keys.get(0);
  }

  public List<JWK> all() {
    return keys;
  }

  public JWSAlgorithm algorithm() {
    return algorithm;
  }

  /** The public halves, as {@code /auth/jwks.json} serves them. */
  public JWKSet publicSet() {
    return publicSet;
  }

  private void writeTo(Path file) throws IOException {
    byte[] json = toJson().getBytes(StandardCharsets.UTF_8);
    try {
      Files.createFile(
          file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(file);
    }
    try (var ch = Files.newByteChannel(file, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(json));
    }
    try (var fc = FileChannel.open(file, StandardOpenOption.WRITE)) {
      fc.force(true);
    }
  }

  private static void trySetPermissions(Path p, String perms) {
    try {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
    } catch (UnsupportedOperationException | IOException e) {
      // Not a POSIX filesystem, or not ours: the file itself is still created owner-only.
    }
  }

  private static ECKey newKey() {
    try {
      return new ECKeyGenerator(Curve.P_256)
          .keyUse(KeyUse.SIGNATURE)
          .algorithm(JWSAlgorithm.ES256)
          .keyID(UUID.randomUUID().toString())
          .generate();
    } catch (JOSEException e) {
      throw new IllegalStateException("P-256 key generation is part of every JDK", e);
    }
  }

  static JWSAlgorithm algorithmOf(JWK key) {
    Objects.requireNonNull(key, "key");
    if (key instanceof ECKey ec) {
      if (!Curve.P_256.equals(ec.getCurve())) {
        throw new IllegalArgumentException("EC signing keys must be on P-256 (ES256)");
      }
      return JWSAlgorithm.ES256;
    }
    if (key instanceof RSAKey rsa) {
      if (rsa.size() < 2048) {
        throw new IllegalArgumentException("RSA signing keys must have at least 2048 bits");
      }
      return JWSAlgorithm.RS256;
    }
    throw new IllegalArgumentException("signing keys must be EC P-256 or RSA");
  }

  /** Key ids only: the private parts never reach a log line. */
  @Override
  public String toString() {
    return "SigningKeys" + keys.stream().map(JWK::getKeyID).toList();
  }
}
