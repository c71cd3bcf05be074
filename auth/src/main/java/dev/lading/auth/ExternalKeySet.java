package dev.lading.auth;

import com.nimbusds.jose.jwk.JWK;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Signing keys the operator keeps outside the registry's store ({@code auth.token.key_file}): a
 * file, or a directory, mounted read-only (a Kubernetes Secret, say). Whoever can read the store or
 * its backups then holds no key to mint tokens with.
 *
 * <p>Lading only reads it, never writes it: not at the first start (a missing set stops the start),
 * not on rotation ({@code lading keys rotate --output NEW} writes the rotated set elsewhere for the
 * operator to install). A running server re-reads it every {@code key_reload_seconds}, by path, so
 * an updated Secret (whose files are links the kubelet swaps at once) is picked up without a
 * restart; a set that cannot be read then, or whose mode has become too open, is logged and the
 * keys in use are kept.
 *
 * <p>Two forms:
 *
 * <ul>
 *   <li>a file: a JWK or a JWK set, the current (signing) key first, at most one previous key after
 *       it (what {@link SigningKeys#toJson} writes);
 *   <li>a directory: {@value #CURRENT} holds the signing key and {@value #PREVIOUS}, if present,
 *       one that still verifies. Names rather than order say which key signs, so a Secret with two
 *       entries reads plainly.
 * </ul>
 *
 * Every key file must be the owner's alone ({@link KeyFilePermissions}); with {@code groupReadable}
 * its group may read it too (Kubernetes adds group read to Secret files when the pod sets {@code
 * fsGroup}).
 */
public final class ExternalKeySet implements KeySetStorage {
  public static final String CURRENT = "current.jwk";
  public static final String PREVIOUS = "previous.jwk";

  private final Path path;
  private final boolean groupReadable;

  public ExternalKeySet(Path path, boolean groupReadable) {
    this.path = path;
    this.groupReadable = groupReadable;
  }

  public Path path() {
    return path;
  }

  /** The set as it is now; throws (never empty) when it is missing, too open or not keys. */
  @Override
  public Optional<SigningKeys> read() throws IOException {
    if (Files.isDirectory(path)) {
      List<JWK> keys = new ArrayList<>(readOne(path.resolve(CURRENT), true).orElseThrow().all());
      readOne(path.resolve(PREVIOUS), false).ifPresent(p -> keys.addAll(p.all()));
      try {
        return Optional.of(SigningKeys.of(keys));
      } catch (IllegalArgumentException e) {
        throw new IOException(path + ": " + e.getMessage());
      }
    }
    return readOne(path, true);
  }

  private Optional<SigningKeys> readOne(Path file, boolean required) throws IOException {
    String text;
    try {
      KeyFilePermissions.requireOwnerOnly(
          file,
          groupReadable,
          "make it readable by its owner only (chmod 400 "
              + file
              + "; a Kubernetes Secret: defaultMode 0400)"
              + (groupReadable
                  ? ""
                  : ", or allow group read with auth.token.key_file_group_readable"));
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      if (!required) {
        return Optional.empty();
      }
      throw new IOException(
          file
              + " does not exist; Lading never creates it: make one with"
              + " 'lading keys rotate --output "
              + file
              + "' (or provide your own ES256 or RSA JWK set)");
    }
    SigningKeys keys = SigningKeys.parse(text, file.toString());
    if (Files.isDirectory(path) && keys.all().size() != 1) {
      throw new IOException(
          file + ": holds " + keys.all().size() + " keys; each file of a key directory holds one");
    }
    return Optional.of(keys);
  }

  @Override
  public boolean createIfAbsent(SigningKeys keys) throws IOException {
    throw neverWritten();
  }

  @Override
  public void replace(SigningKeys keys) throws IOException {
    throw neverWritten();
  }

  private IOException neverWritten() {
    return new IOException(
        path
            + " is auth.token.key_file, which Lading never writes; write a rotated set"
            + " elsewhere with 'lading keys rotate --output NEW' and install it in its place");
  }

  @Override
  public String describe() {
    return path.toString();
  }

  /**
   * Writes {@code keys} in the form a key file at {@code like} has (a directory of {@value
   * #CURRENT} and {@value #PREVIOUS}, else one JWK set file) to {@code out}, which must not exist
   * yet, owner-only. What {@code lading keys rotate --output} hands the operator.
   */
  public static void export(SigningKeys keys, Path out, boolean directoryForm) throws IOException {
    if (!directoryForm) {
      keys.saveNew(out);
      return;
    }
    try {
      Files.createDirectory(
          out, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (UnsupportedOperationException e) {
      Files.createDirectory(out);
    }
    SigningKeys.of(List.of(keys.all().get(0))).saveNew(out.resolve(CURRENT));
    if (keys.all().size() > 1) {
      SigningKeys.of(List.of(keys.all().get(1))).saveNew(out.resolve(PREVIOUS));
    }
  }
}
