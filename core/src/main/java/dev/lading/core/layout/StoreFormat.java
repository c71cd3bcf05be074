package dev.lading.core.layout;

import dev.lading.core.layout.StorageLayout.FormatVersionKey;
import dev.lading.core.layout.StoredValues.FormatVersion;
import dev.lading.core.storage.ObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * The version of {@link StorageLayout} a store holds, recorded in {@code lading-format} and checked
 * before a server or the offline {@code gc} uses the store: a later change of layout can then
 * migrate a store instead of misreading it, and an older Lading refuses a store a newer one has
 * changed.
 */
public final class StoreFormat {
  /** The layout this code reads and writes. */
  public static final int CURRENT = 1;

  /** What a store without the marker holds: the layout before the marker existed. */
  static final int UNMARKED = 1;

  private static final String KEY = StorageLayout.keyOf(new FormatVersionKey());

  /** The store holds a layout this code does not read. */
  public static final class UnsupportedFormatException extends IllegalStateException {
    UnsupportedFormatException(String message) {
      super(message);
    }
  }

  private StoreFormat() {}

  /**
   * Checks that {@code store} holds the {@link #CURRENT} layout and, when {@code mark} and the
   * store has no marker yet (a new store, or one written before the marker existed), records it.
   * Any number of instances may do this at once: the marker is written create-if-absent, and one
   * that loses the race reads the winner's.
   *
   * @return whether this call recorded the version (the store had no marker)
   * @throws UnsupportedFormatException when the store holds another version, or a marker that does
   *     not read
   */
  public static boolean check(ObjectStore store, boolean mark) throws IOException {
    Optional<byte[]> bytes = store.read(KEY);
    if (bytes.isEmpty()) {
      if (UNMARKED != CURRENT) {
        throw unsupported(UNMARKED); // the place a migration from the unmarked layout would go
      }
      if (!mark) {
        return false;
      }
      if (store.writeIfAbsent(KEY, new FormatVersion(CURRENT).write())) {
        return true;
      }
      bytes = store.read(KEY); // another instance marked it first
      if (bytes.isEmpty()) {
        throw new IOException(KEY + " vanished right after it was written");
      }
    }
    int version;
    try {
      version = FormatVersion.read(bytes.get()).version();
    } catch (UncheckedIOException e) {
      throw new UnsupportedFormatException(
          "the store's "
              + KEY
              + " does not read ("
              + e.getCause().getMessage()
              + "); this Lading reads storage layout version "
              + CURRENT);
    }
    if (version != CURRENT) {
      throw unsupported(version);
    }
    return false;
  }

  private static UnsupportedFormatException unsupported(int version) {
    return new UnsupportedFormatException(
        "the store holds storage layout version "
            + version
            + " ("
            + KEY
            + ") and this Lading reads version "
            + CURRENT
            + " only"
            + (version > CURRENT ? ": run a Lading that knows version " + version : ""));
  }
}
