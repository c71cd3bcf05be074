package dev.lading.core.storage;

import dev.lading.core.concurrent.Concurrently;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * The storage SPI: a flat namespace of keys ({@code a/b/c}, ASCII, no {@code .} or {@code ..}
 * segments, built only by {@code dev.lading.core.layout.StorageLayout}) holding
 * immutable-once-written objects. Stores move bytes; they know nothing of blobs, tags or
 * repositories. The filesystem store and the S3 store implement exactly this and pass one contract
 * suite (core's test-jar).
 *
 * <p>Every method blocks and may be called from many threads at once. Failures are {@link
 * IOException}s; a failed call leaves no partially written object visible.
 */
public interface ObjectStore extends AutoCloseable {

  /** Size and modification time of the object at {@code key}, or empty when there is none. */
  Optional<ObjectInfo> stat(String key) throws IOException;

  /**
   * The whole content of a small object (records, links, manifests, session state). Callers only
   * use this for objects they wrote with {@link #write}; blobs are read with {@link #openRange}.
   */
  Optional<byte[]> read(String key) throws IOException;

  /**
   * Opens {@code length} bytes of the object at {@code key} from {@code offset} for streaming. The
   * caller closes the returned source. Throws {@link java.nio.file.NoSuchFileException} when the
   * object does not exist.
   */
  BlobSource openRange(String key, long offset, long length) throws IOException;

  /** Writes a small object atomically: readers see the previous content or the new, never part. */
  void write(String key, byte[] content) throws IOException;

  /**
   * As {@link #write}, for a replacement that a crash may undo without harm (the caller's recovery
   * argument says why): after a crash a reader sees this content or what {@code key} held before,
   * never part of either. A store may skip what makes the replacement itself durable: the
   * filesystem store still fsyncs the new content before its rename, but not the directory after
   * it, and creates a new empty object in place with no fsync at all. The default writes durably.
   */
  default void writeRevertible(String key, byte[] content) throws IOException {
    write(key, content);
  }

  /**
   * Writes a small object only when none exists at {@code key}; {@code false} when one did (the
   * existing object is left as it was). Atomic where the store allows it. Either way, once it
   * returns, the object at {@code key} is durable, even one another writer created a moment before
   * and has not made durable yet (callers rely on this to answer for an object they found).
   */
  boolean writeIfAbsent(String key, byte[] content) throws IOException;

  /**
   * The writes, in the order given, each as its single call would make it ({@link
   * ObjectWrite.Mode}); for each, whether it wrote ({@code false} only for an if-absent write that
   * found an object, and the writes after it still run). A failure or a crash part-way leaves a
   * prefix of them done, never a write without every one before it, so a caller's ordering argument
   * for separate calls holds for a batch unchanged; the one exception is a write made {@link
   * ObjectWrite#alongsidePrevious}, which may be done without the write before it (or that one
   * without it): the writes of such a run are one step, made side by side where calls are round
   * trips ({@link #callsAreRoundTrips}), and the next step starts only when all of them are done. A
   * store that can makes the batch one durable step instead (the filesystem store's index commits
   * them together: all of them or none), which is what a batch is for: one request's small writes
   * at the cost of one. The default makes one step after another.
   */
  default List<Boolean> writeAll(List<ObjectWrite> writes) throws IOException {
    return writeByStep(this, writes);
  }

  /**
   * {@link #writeAll} as one call of {@code store} per write, a step at a time: the writes of a
   * step ({@link ObjectWrite#alongsidePrevious}) side by side where {@code store}'s calls are round
   * trips, in order otherwise.
   */
  static List<Boolean> writeByStep(ObjectStore store, List<ObjectWrite> writes) throws IOException {
    boolean sideBySide = store.callsAreRoundTrips();
    List<Boolean> written = new ArrayList<>(writes.size());
    for (List<ObjectWrite> step : ObjectWrite.steps(writes)) {
      List<Callable<Boolean>> calls = new ArrayList<>(step.size());
      for (ObjectWrite write : step) {
        calls.add(
            () -> {
              try {
                return writeSingle(store, write);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
      }
      try {
        written.addAll(Concurrently.call(calls, sideBySide));
      } catch (UncheckedIOException e) {
        throw e.getCause();
      }
    }
    return written;
  }

  /** {@code write} as its single call ({@link ObjectWrite.Mode}); whether it wrote. */
  static boolean writeSingle(ObjectStore store, ObjectWrite write) throws IOException {
    return switch (write.mode()) {
      case REPLACE -> {
        store.write(write.key(), write.content());
        yield true;
      }
      case IF_ABSENT -> store.writeIfAbsent(write.key(), write.content());
      case REVERTIBLE -> {
        store.writeRevertible(write.key(), write.content());
        yield true;
      }
    };
  }

  /**
   * Keys that start with {@code prefix}, in ascending byte order of the whole key (as S3's
   * ListObjectsV2 orders them), strictly after {@code startAfter} when given, at most {@code limit}
   * of them. Objects of multipart writes not yet completed are not listed.
   */
  KeyPage list(String prefix, Optional<String> startAfter, int limit) throws IOException;

  /**
   * As {@link #list}, with each object's size and modification time, which S3's ListObjectsV2 and a
   * directory walk give with the keys: a caller that needs the ages of many objects (GC) lists them
   * instead of a {@link #stat} per key. The default lists, then stats each key (a key deleted in
   * between is left out).
   */
  default ListedPage listWithInfo(String prefix, Optional<String> startAfter, int limit)
      throws IOException {
    return listWithInfoByStat(this, prefix, startAfter, limit);
  }

  /** The default {@link #listWithInfo}: {@code store}'s listing, then a stat per key. */
  static ListedPage listWithInfoByStat(
      ObjectStore store, String prefix, Optional<String> startAfter, int limit) throws IOException {
    KeyPage page = store.list(prefix, startAfter, limit);
    List<ListedObject> objects = new ArrayList<>(page.keys().size());
    for (String key : page.keys()) {
      store.stat(key).ifPresent(info -> objects.add(new ListedObject(key, info)));
    }
    return new ListedPage(objects, page.truncated());
  }

  /**
   * One level of the key tree under {@code prefix} (empty, or ending in {@code /}): the objects
   * directly under it and the {@code <prefix><segment>/} prefixes that hold deeper keys, both in
   * key order, strictly after {@code startAfter}, at most {@code limit} entries of either kind
   * (S3's ListObjectsV2 with delimiter {@code /}). Lets a caller descend a deep tree by narrow
   * prefixes instead of listing everything under a broad one. The default derives the level from a
   * full listing of the prefix: correct, but a store that wraps another should delegate this,
   * {@link #listWithInfo} and {@link #keysPerListCall} to it.
   */
  default ListedLevel listLevel(String prefix, Optional<String> startAfter, int limit)
      throws IOException {
    return levelFromListing(this, prefix, startAfter, limit);
  }

  /** The default {@link #listLevel}: derived from {@code store}'s full listing of the prefix. */
  static ListedLevel levelFromListing(
      ObjectStore store, String prefix, Optional<String> startAfter, int limit) throws IOException {
    if (!prefix.isEmpty() && !prefix.endsWith("/")) {
      throw new IllegalArgumentException("a level's prefix ends with /");
    }
    TreeMap<String, ObjectInfo> entries = new TreeMap<>();
    Optional<String> after = Optional.empty();
    while (true) {
      ListedPage page = store.listWithInfo(prefix, after, 1000);
      for (ListedObject object : page.objects()) {
        int slash = object.key().indexOf('/', prefix.length());
        entries.putIfAbsent(
            slash < 0 ? object.key() : object.key().substring(0, slash + 1),
            slash < 0 ? object.info() : null);
      }
      if (!page.truncated() || page.objects().isEmpty()) {
        break;
      }
      after = page.lastKey();
    }
    List<String> prefixes = new ArrayList<>();
    List<ListedObject> objects = new ArrayList<>();
    int taken = 0;
    for (var e :
        (startAfter.isPresent() ? entries.tailMap(startAfter.get(), false) : entries).entrySet()) {
      if (taken == limit) {
        return new ListedLevel(prefixes, objects, true);
      }
      taken++;
      if (e.getValue() == null) {
        prefixes.add(e.getKey());
      } else {
        objects.add(new ListedObject(e.getKey(), e.getValue()));
      }
    }
    return new ListedLevel(prefixes, objects, false);
  }

  /**
   * Whether independent small calls (a manifest's link stats, a mount's two reads) gain from being
   * made side by side: true for a store whose every call is a round trip over a network (S3, a
   * filesystem store on NFS; the default), false for one on a local filesystem, whose small calls
   * take microseconds, less than starting the threads that would make them together.
   */
  default boolean callsAreRoundTrips() {
    return true;
  }

  /**
   * How many keys one listing call returns for about the cost of one: S3 answers at most 1,000 keys
   * a round trip, so a caller listing a big prefix splits it into narrower prefixes listed side by
   * side; the filesystem store reads a whole directory per call, so there splitting only repeats
   * the read and a caller lists in one call.
   */
  default int keysPerListCall() {
    return 1000;
  }

  /**
   * Deletes the objects; keys that do not exist are ignored. Keys go in the order given (the
   * filesystem) or in one request that the process either sent whole or not at all (S3's
   * DeleteObjects): a caller lists what depends on an object before the object, so a crash part-way
   * never leaves a dependent naming something deleted.
   */
  void delete(Collection<String> keys) throws IOException;

  /**
   * As {@link #delete}, and the deletes are durable when this returns, so what the caller deletes
   * after it cannot outlive them in a crash, even one that loses the machine's unwritten state: GC
   * deletes a blob's links this way before its record, so a link always stands for a record. The
   * default is {@link #delete}, for stores whose deletes are durable on return (S3).
   */
  default void deleteDurably(Collection<String> keys) throws IOException {
    delete(keys);
  }

  /**
   * Begins a multipart write whose bytes become the object at {@code key} on {@link
   * MultipartWrite#complete()}. Until then nothing is visible at {@code key}.
   */
  MultipartWrite startMultipart(String key) throws IOException;

  /**
   * Continues a multipart write from the token its last {@link MultipartWrite#suspend()} returned,
   * in this process or another one, after a restart or on another instance. Bytes appended after
   * that suspend and never suspended are discarded.
   *
   * <p>When the write no longer exists as that token saved it (it was completed or aborted, by this
   * process or another, or its data is lost), this or a later call on the returned write throws
   * {@link java.nio.file.NoSuchFileException}: the caller's session is over and a client must start
   * again. Every other {@link IOException} is a store failure worth retrying.
   */
  MultipartWrite resumeMultipart(String key, String resumeToken) throws IOException;

  /**
   * A URL at which an HTTP client can GET the object at {@code key} directly (Range honoured) for
   * {@code ttl}, without credentials of its own: S3's presigned URLs. Empty when the store cannot
   * hand out such URLs (the filesystem store); the server then streams the bytes itself. Creating
   * the URL calls nothing remote and does not check that the object exists.
   */
  default Optional<URI> presignedGet(String key, Duration ttl) throws IOException {
    return Optional.empty();
  }

  /**
   * Residue of multipart writes nobody will continue: what the store keeps beside the callers' keys
   * for a write in progress (S3: multipart uploads never completed nor aborted, and the tail
   * objects of suspends; the filesystem: a write's staged file), for write keys NOT in {@code
   * liveKeys} and last touched before {@code before}. Removed unless {@code dryRun}.
   *
   * <p>Online GC calls this after expiring upload sessions, with the data keys of the sessions
   * still alive: a request that died after creating an upload its session never recorded, or a
   * session deleted without its write, leaves residue no key lists. The default has none.
   *
   * @return one line per residue, for GC's report
   */
  default List<String> sweepAbandonedWrites(Set<String> liveKeys, Instant before, boolean dryRun)
      throws IOException {
    return List.of();
  }

  @Override
  default void close() throws IOException {}
}
