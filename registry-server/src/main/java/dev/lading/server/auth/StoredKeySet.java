package dev.lading.server.auth;

import dev.lading.auth.KeySetStorage;
import dev.lading.auth.SigningKeys;
import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.SigningKeySetKey;
import dev.lading.core.storage.ObjectStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The signing key set as one object in the registry's own store (over the storage SPI), so that
 * instances sharing a bucket sign and verify with the same keys and a rotation by any of them, or
 * by {@code lading keys rotate}, reaches all. {@link ObjectStore#writeIfAbsent} settles the race of
 * instances creating the first key at once; {@link ObjectStore#write} is atomic, so a reader never
 * sees half a set.
 */
public final class StoredKeySet implements KeySetStorage {
  /**
   * Where the layout keeps the set; with the filesystem store, the key file's path under its root.
   */
  static final String KEY = StorageLayout.keyOf(new SigningKeySetKey());

  private final ObjectStore store;

  public StoredKeySet(ObjectStore store) {
    this.store = store;
  }

  @Override
  public Optional<SigningKeys> read() throws IOException {
    Optional<byte[]> bytes = store.read(KEY);
    if (bytes.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        SigningKeys.parse(new String(bytes.get(), StandardCharsets.UTF_8), describe()));
  }

  @Override
  public boolean createIfAbsent(SigningKeys keys) throws IOException {
    return store.writeIfAbsent(KEY, keys.toJson().getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void replace(SigningKeys keys) throws IOException {
    store.write(KEY, keys.toJson().getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String describe() {
    return "the store's " + KEY;
  }
}
