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
 *
 * <p>Versions: 1, the layout of the first releases; 2 adds blob records that hold a small blob's
 * bytes themselves ({@link StoredValues.BlobRecord#inline}), which a Lading that reads only version
 * 1 cannot read; 3 adds upload sessions with signed ids, whose state is stored only once they hold
 * something or have ended ({@link StoredValues.UploadState#cancelled}), under keys a Lading that
 * reads only versions up to 2 cannot parse; 4 records the close of such a session as an empty state
 * ({@link StoredValues.UploadState#closedByItsLink}), written without a staged file or fsync, and
 * links a manifest whose bytes name their own media type with an empty link ({@link
 * StoredValues.ManifestLink#OWN_TYPE}), neither of which a Lading that reads only versions up to 3
 * can read; 5 keeps a filesystem store's small objects (everything written whole) as entries of its
 * index instead of one file each ({@code dev.lading.core.storage.fs.SmallObjectIndex}), which a
 * Lading that reads only versions up to 4 cannot see (an S3 store is the same at 4 and 5); 6 adds
 * the link epoch ({@link StoredValues.LinkEpoch}): every instance rewrites it when it deletes layer
 * links, so an instance may cache the links it saw, which a Lading that does not rewrite it would
 * make stale unseen (the objects are the same at 5 and 6; what changes is what every instance
 * promises). This code reads all six. It writes what a version adds only into a store of that
 * version: a new store is marked {@link #CURRENT}; an older store stays at its version (every
 * Lading that reads it keeps working on it, so instances can be replaced one by one) until an
 * operator upgrades it ({@link #upgrade}, the {@code format --upgrade} command) once no instance
 * older than this runs; the instances use the new version from their next start.
 */
public final class StoreFormat {
  /** The layout this code writes into a new store, and the newest it reads. */
  public static final int CURRENT = 6;

  /** The oldest layout this code reads (and keeps writing, until the store is upgraded). */
  static final int OLDEST_READ = 1;

  /** What a store without the marker holds: the layout before the marker existed. */
  static final int UNMARKED = 1;

  private static final String KEY = StorageLayout.keyOf(new FormatVersionKey());

  /** The store holds a layout this code does not read. */
  public static final class UnsupportedFormatException extends IllegalStateException {
    UnsupportedFormatException(String message) {
      super(message);
    }
  }

  /**
   * What {@link #check} found.
   *
   * @param version the layout the store holds (after marking)
   * @param recorded whether this call recorded it (the store had no marker)
   */
  public record Checked(int version, boolean recorded) {
    /** Whether blob records may hold small blobs inline in this store. */
    public boolean inlinesSmallBlobs() {
      return StoreFormat.inlinesSmallBlobs(version);
    }
  }

  /** Whether blob records may hold small blobs inline in a store of {@code version}. */
  public static boolean inlinesSmallBlobs(int version) {
    return version >= 2;
  }

  /**
   * Whether upload ids may be signed in a store of {@code version}, so a session has stored state
   * only once it holds something (or has ended).
   */
  public static boolean signsUploadIds(int version) {
    return version >= 3;
  }

  /**
   * Whether the close of a session with a signed id may be recorded as an empty state in a store of
   * {@code version}.
   */
  public static boolean recordsClosesByLink(int version) {
    return version >= 4;
  }

  /**
   * Whether a manifest whose bytes name their media type may be linked by an empty link in a store
   * of {@code version}.
   */
  public static boolean linksManifestsByOwnType(int version) {
    return version >= 4;
  }

  /**
   * Whether a filesystem store of {@code version} keeps its small objects in its index. The marker
   * itself stays a file (a key at the root), so it is read before the index is opened.
   */
  public static boolean indexesSmallObjects(int version) {
    return version >= 5;
  }

  /**
   * Whether every instance serving a store of {@code version} rewrites the link epoch when it
   * deletes layer links, so links seen may be cached.
   */
  public static boolean keepsLinkEpoch(int version) {
    return version >= 6;
  }

  private StoreFormat() {}

  /**
   * Checks that {@code store} holds a layout this code reads and, when {@code mark} and the store
   * has no marker yet, records one: {@link #CURRENT} for a new store (no blob records yet), {@link
   * #UNMARKED} for one written before the marker existed. Any number of instances may do this at
   * once: the marker is written create-if-absent, and one that loses the race reads the winner's.
   *
   * @throws UnsupportedFormatException when the store holds another version, or a marker that does
   *     not read
   */
  public static Checked check(ObjectStore store, boolean mark) throws IOException {
    Optional<byte[]> bytes = store.read(KEY);
    if (bytes.isEmpty()) {
      boolean fresh =
          store.list(StorageLayout.blobRecordsPrefix(), Optional.empty(), 1).keys().isEmpty();
      int version = fresh ? CURRENT : UNMARKED;
      if (!mark) {
        return new Checked(version, false);
      }
      if (store.writeIfAbsent(KEY, new FormatVersion(version).write())) {
        return new Checked(version, true);
      }
      bytes = store.read(KEY); // another instance marked it first
      if (bytes.isEmpty()) {
        throw new IOException(KEY + " vanished right after it was written");
      }
    }
    int version = versionIn(bytes.get());
    if (version < OLDEST_READ || version > CURRENT) {
      throw unsupported(version);
    }
    return new Checked(version, false);
  }

  /**
   * Records {@link #CURRENT} in a store this code reads, for the instances' next start; returns the
   * version the store held before. Safe to run while instances of this version (or a later) serve
   * the store; one that reads only an older layout must not run on it afterwards, and would refuse
   * to start.
   */
  public static int upgrade(ObjectStore store) throws IOException {
    int before = check(store, true).version();
    if (before < CURRENT) {
      store.write(KEY, new FormatVersion(CURRENT).write());
    }
    return before;
  }

  private static int versionIn(byte[] bytes) {
    try {
      return FormatVersion.read(bytes).version();
    } catch (UncheckedIOException e) {
      throw new UnsupportedFormatException(
          "the store's "
              + KEY
              + " does not read ("
              + e.getCause().getMessage()
              + "); this Lading reads storage layout versions "
              + OLDEST_READ
              + " to "
              + CURRENT);
    }
  }

  private static UnsupportedFormatException unsupported(int version) {
    return new UnsupportedFormatException(
        "the store holds storage layout version "
            + version
            + " ("
            + KEY
            + ") and this Lading reads versions "
            + OLDEST_READ
            + " to "
            + CURRENT
            + " only"
            + (version > CURRENT ? ": run a Lading that knows version " + version : ""));
  }
}
