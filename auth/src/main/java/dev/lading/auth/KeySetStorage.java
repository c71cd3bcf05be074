package dev.lading.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the built-in issuer's signing key set lives, read and written whole (it is a few hundred
 * bytes). Three places exist: the operator's {@code key_file} outside the store ({@link
 * ExternalKeySet}, read-only), a file under the filesystem store's root ({@link #file}), and an
 * object in a shared store, which the server provides over the storage SPI so that every instance
 * sharing one bucket signs and verifies with the same keys. Writes must be atomic: a reader sees
 * the old set or the new one, never part of either.
 */
public interface KeySetStorage {

  /** The stored set, or empty when none was written yet. */
  Optional<SigningKeys> read() throws IOException;

  /** Stores {@code keys} unless a set exists; {@code false} (and nothing written) when one did. */
  boolean createIfAbsent(SigningKeys keys) throws IOException;

  /** Replaces the stored set (a rotation). */
  void replace(SigningKeys keys) throws IOException;

  /** Where the set lives, for messages (never its content). */
  String describe();

  /**
   * A JWK set file Lading keeps (the filesystem store's), written owner-only (0600) through a
   * sibling file and an atomic rename. A file found readable by its group or others is refused at
   * every read: the key may already have leaked, and a start that carried on would hide it.
   */
  static KeySetStorage file(Path file) {
    return new KeySetStorage() {
      @Override
      public Optional<SigningKeys> read() throws IOException {
        try {
          KeyFilePermissions.requireOwnerOnly(
              file,
              false,
              "run chmod 600 "
                  + file
                  + " (and consider the key leaked: rotate it), or keep the keys outside the store with auth.token.key_file");
          return Optional.of(SigningKeys.parse(Files.readString(file), file.toString()));
        } catch (NoSuchFileException e) {
          return Optional.empty();
        }
      }

      @Override
      public boolean createIfAbsent(SigningKeys keys) throws IOException {
        if (Files.exists(file)) {
          return false;
        }
        // loadOrCreate's rename refuses to replace: the loser of a race keeps the winner's set.
        return SigningKeys.loadOrCreate(file, keys) == keys;
      }

      @Override
      public void replace(SigningKeys keys) throws IOException {
        keys.save(file);
      }

      @Override
      public String describe() {
        return file.toString();
      }
    };
  }
}
