package dev.lading.auth;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The built-in issuer's keys as they are NOW in their {@link KeySetStorage}: the issuer signs with
 * {@link #keys()}'s current key, the verifier and the JWKS use all of them. A rotation ({@link
 * #rotate}, the {@code lading keys rotate} command) writes a new set; each running instance sees it
 * at its next {@link #reload} (the server calls it periodically), and at once when a token names a
 * key id it does not know ({@link #reloadAfterMiss}), so a token signed by an instance that
 * reloaded first verifies everywhere. The previous key stays in the set, so tokens signed before a
 * rotation keep verifying until they expire.
 *
 * <p>Reloads triggered by unknown key ids are rate-limited ({@link #MISS_RELOAD_INTERVAL}), so
 * forged tokens with random {@code kid}s cannot turn into a read of the store per request.
 */
public final class KeyRing {
  /** At most one reload per this interval on account of unknown key ids. */
  public static final Duration MISS_RELOAD_INTERVAL = Duration.ofSeconds(5);

  private final Optional<KeySetStorage> storage;
  private final Clock clock;
  private volatile SigningKeys keys;
  private volatile Instant lastMissReload = Instant.MIN;

  private KeyRing(Optional<KeySetStorage> storage, SigningKeys keys, Clock clock) {
    this.storage = storage;
    this.keys = Objects.requireNonNull(keys, "keys");
    this.clock = clock;
  }

  /** Fixed keys that never change (tests, benchmarks, a set given in code). */
  public static KeyRing fixed(SigningKeys keys) {
    return new KeyRing(Optional.empty(), keys, Clock.systemUTC());
  }

  /**
   * The set in {@code storage}; when there is none yet, a new ES256 key stored there (instances
   * starting at once agree: the loser of the create race reads the winner's set).
   */
  public static KeyRing open(KeySetStorage storage, Clock clock) throws IOException {
    return new KeyRing(Optional.of(storage), readOrCreate(storage), clock);
  }

  /** The keys as last read. */
  public SigningKeys keys() {
    return keys;
  }

  /**
   * Reads the storage again; {@code true} when the set changed. A set that cannot be read or parsed
   * throws and leaves the keys in use as they were.
   */
  public boolean reload() throws IOException {
    if (storage.isEmpty()) {
      return false;
    }
    Optional<SigningKeys> stored = storage.get().read();
    if (stored.isEmpty()) {
      throw new IOException(
          storage.get().describe()
              + ": the signing key set has disappeared; keeping the keys in use");
    }
    if (stored.get().toJson().equals(keys.toJson())) {
      return false;
    }
    keys = stored.get();
    return true;
  }

  /** {@link #reload} for a token naming an unknown key id; rate-limited, never throws. */
  public boolean reloadAfterMiss() {
    Instant now = clock.instant();
    synchronized (this) {
      if (now.isBefore(lastMissReload.plus(MISS_RELOAD_INTERVAL))) {
        return false;
      }
      lastMissReload = now;
    }
    try {
      return reload();
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Rotates the set in {@code storage}: a new current key, the old current kept as previous (the
   * one before it is dropped; tokens it signed stop verifying). Creates a set when there is none.
   * Offline: running instances pick the new set up by themselves.
   */
  public static SigningKeys rotate(KeySetStorage storage) throws IOException {
    Optional<SigningKeys> stored = storage.read();
    if (stored.isEmpty()) {
      return readOrCreate(storage);
    }
    SigningKeys rotated = stored.get().rotate();
    storage.replace(rotated);
    return rotated;
  }

  private static SigningKeys readOrCreate(KeySetStorage storage) throws IOException {
    Optional<SigningKeys> stored = storage.read();
    if (stored.isPresent()) {
      return stored.get();
    }
    SigningKeys created = SigningKeys.generate();
    if (storage.createIfAbsent(created)) {
      return created;
    }
    return storage
        .read()
        .orElseThrow(
            () -> new IOException(storage.describe() + ": no signing key set after creating one"));
  }
}
