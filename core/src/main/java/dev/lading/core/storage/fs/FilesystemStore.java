package dev.lading.core.storage.fs;

import com.sun.nio.file.ExtendedOpenOption;
import dev.lading.core.layout.StorageLayout;
import dev.lading.core.model.DigestAlgorithm;
import dev.lading.core.storage.BlobSource;
import dev.lading.core.storage.KeyPage;
import dev.lading.core.storage.ListedLevel;
import dev.lading.core.storage.ListedObject;
import dev.lading.core.storage.ListedPage;
import dev.lading.core.storage.MultipartWrite;
import dev.lading.core.storage.ObjectInfo;
import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.ObjectWrite;
import dev.lading.core.storage.StorageKeys;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default store: each key is a file under {@code root}, its segments directories; or,
 * in a store that keeps an index of small objects, each object written whole ({@link #write},
 * {@link #writeIfAbsent}, {@link #writeRevertible}) an entry of that index ({@link
 * SmallObjectIndex}) and each object written in parts a file.
 *
 * <p>With the index, every read looks in the index first, then for a file; a listing merges both; a
 * delete removes both. So a file from before the index (a store that started without one) is read
 * until it is deleted or a new write shadows it, and nothing written is ever looked for in the
 * wrong place. Two kinds of keys stay files even then: keys at the root of the key space (the
 * store's format marker, which a Lading that predates the index must find to refuse the store), and
 * keys longer than the index takes (LMDB bounds a key at 511 bytes; the layout's keys are shorter
 * but for the longest repository names). A key is in one place or the other by its name alone, so
 * no key is ever created in both.
 *
 * <p>Every object is published by an atomic rename of a fully written and fsynced file, so a reader
 * sees the old content or the new, never part, and a crash leaves at worst a stray file in the
 * staging directories. Those directories ({@code +staging}, {@code +multipart}, named in {@link
 * StorageLayout}) start with {@code +}, which no key segment may contain, so they can never collide
 * with a key and are never listed. Nothing is ever written outside {@code root}.
 */
public final class FilesystemStore implements ObjectStore {
  /** Direct-I/O uploads at once (1 MiB of direct memory each); more go through the page cache. */
  static final int MAX_DIRECT_BUFFERS = 64;

  private static final Logger LOG = LoggerFactory.getLogger(FilesystemStore.class);

  /**
   * Staging files are spread over this many directories under {@code +staging}: every small write
   * creates its file in one and renames or links it out, and each of those locks the directory, so
   * concurrent writes sharing one directory queue (and spin) on its lock.
   */
  static final int STAGING_SHARDS = 16;

  private final Path root;
  private final Path staging;
  private final Path[] stagingShards = new Path[STAGING_SHARDS];
  private final Path multipart;

  /** Staging buffers for direct-I/O uploads; null when uploads go through the page cache. */
  private final DirectBuffers directBuffers;

  private final DirectorySync directorySync;

  /** Where small objects go, or null when each is a file. */
  private final SmallObjectIndex index;

  /** Whether {@link #root} is on a filesystem of this machine (see {@link #isLocalFilesystem}). */
  private final boolean local;

  private final AtomicBoolean closed = new AtomicBoolean();

  private final Clock clock;

  /** Makes a directory's entries durable: fsync; a seam for tests that watch which directories. */
  @FunctionalInterface
  interface DirectorySync {
    void sync(Path dir) throws IOException;
  }

  /** A store that writes uploads with direct I/O where the filesystem supports it. */
  public FilesystemStore(Path root) throws IOException {
    this(root, true);
  }

  /**
   * @param directWrites false to write uploads through the page cache even where direct I/O works
   *     (see {@link FilesystemMultipartWrite} for what each costs)
   */
  public FilesystemStore(Path root, boolean directWrites) throws IOException {
    this(root, directWrites, false);
  }

  /**
   * @param indexSmallObjects true to keep objects written whole in the store's index of small
   *     objects (created when missing) instead of one file each
   */
  public FilesystemStore(Path root, boolean directWrites, boolean indexSmallObjects)
      throws IOException {
    this(root, directWrites, indexSmallObjects, Clock.systemUTC());
  }

  /**
   * @param clock the time an entry of the index records as its modification (a file gets the
   *     kernel's); tests move it to age entries as they age files
   */
  public FilesystemStore(Path root, boolean directWrites, boolean indexSmallObjects, Clock clock)
      throws IOException {
    this(root, directWrites, FilesystemStore::fsyncDirectory, indexSmallObjects, clock);
  }

  FilesystemStore(Path root, boolean directWrites, DirectorySync directorySync) throws IOException {
    this(root, directWrites, directorySync, false, Clock.systemUTC());
  }

  FilesystemStore(
      Path root,
      boolean directWrites,
      DirectorySync directorySync,
      boolean indexSmallObjects,
      Clock clock)
      throws IOException {
    this.root = root.toAbsolutePath().normalize();
    this.clock = clock;
    this.directorySync = directorySync;
    this.staging = this.root.resolve(StorageLayout.FILESYSTEM_STAGING);
    this.multipart = this.root.resolve(StorageLayout.FILESYSTEM_MULTIPART);
    // A new store's root, and the directory of uploads in progress (whose files a suspended
    // upload's token names), must survive a crash with what is written in them, as any directory
    // a write creates. Staging holds nothing that must.
    Path missing = highestMissing(multipart, multipart.getRoot());
    Files.createDirectories(multipart);
    if (missing != null) {
      syncUpTo(multipart, missing.getParent());
    }
    for (int i = 0; i < STAGING_SHARDS; i++) {
      stagingShards[i] = Files.createDirectories(staging.resolve(String.format("%02x", i)));
    }
    this.directBuffers = directWrites ? probeDirectIo(multipart) : null;
    String type = Files.getFileStore(this.root).type();
    this.local = isLocalFilesystem(type);
    if (indexSmallObjects && !local) {
      LOG.warn(
          "filesystem store at {} is on a network filesystem ({}): small objects stay files",
          this.root,
          type);
    }
    this.index =
        indexSmallObjects && local
            ? SmallObjectIndex.open(this.root.resolve(StorageLayout.FILESYSTEM_INDEX))
            : null;
    LOG.info(
        "filesystem store at {}: small objects {}, uploads written {}",
        this.root,
        index == null ? "one file each" : "in its index",
        directBuffers == null
            ? "through the page cache"
            : "with direct I/O (" + directBuffers.alignment() + "-byte blocks)");
  }

  /**
   * Whether a filesystem of {@code type} (as {@link java.nio.file.FileStore#type} names it) is one
   * of this machine. LMDB's locks live in shared memory of one machine and its file is
   * memory-mapped, which network filesystems do not keep coherent between machines: there small
   * objects stay files, which they share correctly. And there every call is a round trip ({@link
   * #callsAreRoundTrips}).
   */
  private static boolean isLocalFilesystem(String type) {
    String name = type.toLowerCase(Locale.ROOT);
    boolean network =
        name.startsWith("nfs")
            || name.startsWith("cifs")
            || name.startsWith("smb")
            || name.startsWith("fuse")
            || name.equals("ceph")
            || name.equals("glusterfs")
            || name.equals("9p");
    return !network;
  }

  /**
   * Buffers for direct I/O when the filesystem under {@code dir} takes it (tmpfs and some network
   * filesystems refuse {@code O_DIRECT}), else null.
   */
  private static DirectBuffers probeDirectIo(Path dir) throws IOException {
    long block = Files.getFileStore(dir).getBlockSize();
    if (block <= 0 || Long.bitCount(block) != 1 || block > FilesystemMultipartWrite.STAGING_BYTES) {
      return null;
    }
    Path probe = dir.resolve("direct-io-probe-" + UUID.randomUUID());
    try (FileChannel direct =
        FileChannel.open(
            probe,
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE,
            ExtendedOpenOption.DIRECT)) {
      direct.write(
          ByteBuffer.allocateDirect((int) block * 2).alignedSlice((int) block).limit((int) block));
    } catch (IOException | UnsupportedOperationException e) {
      return null;
    } finally {
      Files.deleteIfExists(probe);
    }
    return new DirectBuffers(
        FilesystemMultipartWrite.STAGING_BYTES, (int) block, MAX_DIRECT_BUFFERS);
  }

  /** Direct-I/O staging buffers now in use by uploads (0 when uploads are buffered). */
  int directBuffersInUse() {
    return directBuffers == null ? 0 : directBuffers.out();
  }

  public Path root() {
    return root;
  }

  @Override
  public Optional<ObjectInfo> stat(String key) throws IOException {
    Path file = resolve(key);
    if (indexed(key)) {
      Optional<ObjectInfo> entry = index.stat(key);
      if (entry.isPresent()) {
        return entry;
      }
    }
    return regularFile(file).map(FilesystemStore::info);
  }

  /** Whether {@code key} is an entry of the index when written whole (see the class comment). */
  private boolean indexed(String key) {
    return index != null && key.indexOf('/') > 0 && index.fits(key);
  }

  /**
   * The attributes of {@code file} when it is a regular file. Most misses of a push are expected (a
   * blob not there yet, a session not stored), so a missing file is answered without the exception
   * {@link Files#readAttributes} would make.
   */
  private static Optional<BasicFileAttributes> regularFile(Path file) throws IOException {
    try {
      BasicFileAttributes attributes =
          file.getFileSystem()
              .provider()
              .readAttributesIfExists(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return attributes == null || !attributes.isRegularFile()
          ? Optional.empty()
          : Optional.of(attributes);
    } catch (NoSuchFileException | NotDirectoryException e) {
      return Optional.empty();
    }
  }

  @Override
  public Optional<byte[]> read(String key) throws IOException {
    Path file = resolve(key);
    if (indexed(key)) {
      Optional<byte[]> entry = index.read(key);
      if (entry.isPresent()) {
        return entry;
      }
    }
    if (regularFile(file).isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Files.readAllBytes(file));
    } catch (NoSuchFileException | NotDirectoryException e) {
      return Optional.empty();
    }
  }

  @Override
  public BlobSource openRange(String key, long offset, long length) throws IOException {
    Path file = resolve(key);
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("negative offset or length");
    }
    if (indexed(key)) {
      Optional<byte[]> entry = index.read(key);
      if (entry.isPresent()) {
        byte[] content = entry.get();
        requireInside(offset, length, content.length);
        return new BlobSource.StreamSource(
            new ByteArrayInputStream(content, (int) offset, (int) length), length);
      }
    }
    if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new NoSuchFileException(key);
    }
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
    try {
      requireInside(offset, length, channel.size());
      return new BlobSource.FileSource(channel, offset, length);
    } catch (RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  private static void requireInside(long offset, long length, long size) {
    if (offset > size || length > size - offset) {
      throw new IllegalArgumentException(
          "range " + offset + "+" + length + " outside an object of " + size + " bytes");
    }
  }

  @Override
  public void write(String key, byte[] content) throws IOException {
    Path target = resolve(key);
    if (indexed(key)) {
      index.put(key, content, clock.instant());
      return;
    }
    // Only a new empty object is created in place: replacing one must give it a new time (GC's
    // grace counts from a link's last write), which the staged rename does.
    if (content.length == 0
        && !Files.exists(target, LinkOption.NOFOLLOW_LINKS)
        && publishEmpty(target)) {
      return;
    }
    Path temp = stage(content);
    try {
      publish(
          temp,
          target,
          () -> {
            Files.move(
                temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return true;
          });
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
  }

  /**
   * The staged, fsynced content renamed over the target, without the fsync of the directory that
   * would make the rename durable: a crash may leave the old entry, never a partly written file. A
   * target whose directory is missing is written durably (the directory must be created anyway). A
   * new empty object is created in place without any fsync: it has no content to tear, and a crash
   * may lose its entry, which is the undo the caller allows.
   */
  @Override
  public void writeRevertible(String key, byte[] content) throws IOException {
    Path target = resolve(key);
    if (indexed(key)) {
      index.put(key, content, clock.instant());
      return;
    }
    if (content.length == 0) {
      try {
        if (createEmpty(target)) {
          return;
        }
        // It exists: replaced through a staged file below.
      } catch (NoSuchFileException e) {
        // Its directory is missing: written durably, which creates it (nothing to stage).
        write(key, content);
        return;
      }
    }
    Path temp = stage(content);
    try {
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return;
    } catch (NoSuchFileException e) {
      // The target's directory is missing: fall through to the durable write.
      Files.deleteIfExists(temp);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    write(key, content);
  }

  /**
   * With the index, writes whose keys all are entries go in one commit: all of them or, after a
   * crash, none (an if-absent write whose key has a file, one from before the index or a completed
   * multipart write, finds that object and is left out, as {@link #writeIfAbsent} leaves it).
   * Otherwise one after another, in order.
   */
  @Override
  public List<Boolean> writeAll(List<ObjectWrite> writes) throws IOException {
    if (writes.isEmpty() || !writes.stream().allMatch(w -> indexed(w.key()))) {
      return ObjectStore.writeByStep(this, writes);
    }
    List<SmallObjectIndex.Put> puts = new ArrayList<>(writes.size());
    List<Boolean> foundAFile = new ArrayList<>(writes.size());
    for (ObjectWrite write : writes) {
      Path target = resolve(write.key()); // checks the key, as every single write does
      boolean ifAbsent = write.mode() == ObjectWrite.Mode.IF_ABSENT;
      boolean file = ifAbsent && regularFile(target).isPresent();
      foundAFile.add(file);
      if (!file) {
        puts.add(new SmallObjectIndex.Put(write.key(), write.content(), ifAbsent));
      }
    }
    List<Boolean> put = index.apply(puts, clock.instant());
    List<Boolean> written = new ArrayList<>(writes.size());
    for (int i = 0, next = 0; i < writes.size(); i++) {
      written.add(!foundAFile.get(i) && put.get(next++));
    }
    return written;
  }

  /**
   * Atomic create-if-absent: the content is written and fsynced in staging first, then published
   * with a hard link, which the kernel creates only when no entry exists at the target (it fails
   * with EEXIST otherwise) and which never exposes a partly written file. {@code createFile} then
   * write would expose an empty file to readers for a moment; check-then-rename would race.
   */
  @Override
  public boolean writeIfAbsent(String key, byte[] content) throws IOException {
    Path target = resolve(key);
    if (indexed(key)) {
      // A file at the key is one from before the index or one a multipart write completed: both
      // are objects that exist, and no other file is ever created at an indexed key.
      return regularFile(target).isEmpty() && index.putIfAbsent(key, content, clock.instant());
    }
    if (content.length == 0) {
      return publishEmpty(target);
    }
    Path temp = stage(content);
    try {
      return publish(
          temp,
          target,
          () -> {
            try {
              Files.createLink(target, temp);
              return true;
            } catch (FileAlreadyExistsException e) {
              return false;
            }
          });
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * A new empty object (a link, a marker: most of a push's small writes) is created in place, with
   * no staging file to write, fsync and rename: an empty file has no content a reader could see
   * half written, so {@code O_CREAT|O_EXCL} publishes it atomically, and the fsync of its directory
   * makes the entry (and with it the inode, created in the same or an earlier journal transaction)
   * durable. One fsync instead of two.
   *
   * @return true when this call created the object; false when the key exists already (and then
   *     nothing was changed)
   */
  private boolean publishEmpty(Path target) throws IOException {
    return publish(null, target, () -> createEmpty(target));
  }

  /**
   * Creates {@code target} empty, in place, with no fsync; false when an entry exists there (and
   * then nothing was changed). NoSuchFileException when its directory is missing.
   */
  private static boolean createEmpty(Path target) throws IOException {
    try {
      FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    }
  }

  @Override
  public KeyPage list(String prefix, Optional<String> startAfter, int limit) throws IOException {
    ListedPage page = listWithInfo(prefix, startAfter, limit);
    return new KeyPage(page.objects().stream().map(ListedObject::key).toList(), page.truncated());
  }

  /** The walk reads each file's attributes anyway (to skip what is not a regular file). */
  @Override
  public ListedPage listWithInfo(String prefix, Optional<String> startAfter, int limit)
      throws IOException {
    StorageKeys.requirePrefix(prefix);
    if (limit < 0) {
      throw new IllegalArgumentException("negative limit");
    }
    int slash = prefix.lastIndexOf('/');
    String dirKey = slash < 0 ? "" : prefix.substring(0, slash + 1);
    String namePrefix = prefix.substring(slash + 1);
    Path dir = dirKey.isEmpty() ? root : root.resolve(dirKey.substring(0, dirKey.length() - 1));
    List<ListedObject> objects = new ArrayList<>();
    walk(dir, dirKey, namePrefix, startAfter.orElse(null), limit + 1, objects);
    if (index != null) {
      objects =
          merge(index.list(prefix, startAfter, limit + 1), objects, ListedObject::key, limit + 1);
    }
    boolean truncated = objects.size() > limit;
    return new ListedPage(truncated ? objects.subList(0, limit) : objects, truncated);
  }

  /**
   * The first {@code limit} items of two lists in key order, as one; where both hold a key (an
   * entry written over a file from before the index, or a prefix holding both) the entry's is kept.
   */
  private static <T> List<T> merge(
      List<T> entries, List<T> files, Function<T, String> key, int limit) {
    List<T> merged = new ArrayList<>(Math.min(limit, entries.size() + files.size()));
    int e = 0;
    int f = 0;
    while (merged.size() < limit && (e < entries.size() || f < files.size())) {
      int order =
          e == entries.size()
              ? 1
              : f == files.size()
                  ? -1
                  : key.apply(entries.get(e)).compareTo(key.apply(files.get(f)));
      if (order <= 0) {
        merged.add(entries.get(e++));
        if (order == 0) {
          f++;
        }
      } else {
        merged.add(files.get(f++));
      }
    }
    return merged;
  }

  /**
   * One directory read; a directory emptied by deletes may show as a prefix holding no key. With
   * the index, merged with the index's level (one seek per deeper prefix).
   */
  @Override
  public ListedLevel listLevel(String prefix, Optional<String> startAfter, int limit)
      throws IOException {
    StorageKeys.requirePrefix(prefix);
    if (!prefix.isEmpty() && !prefix.endsWith("/")) {
      throw new IllegalArgumentException("a level's prefix ends with /");
    }
    if (limit < 0) {
      throw new IllegalArgumentException("negative limit");
    }
    if (index == null) {
      return fileLevel(prefix, startAfter, limit);
    }
    // The first limit items of the union lie within the first limit + 1 of each side.
    ListedLevel files = fileLevel(prefix, startAfter, limit + 1);
    List<Object> fromFiles = new ArrayList<>(files.prefixes());
    fromFiles.addAll(files.objects());
    fromFiles.sort(Comparator.comparing(FilesystemStore::levelKey));
    List<Object> merged =
        merge(
            index.level(prefix, startAfter, limit + 1),
            fromFiles,
            FilesystemStore::levelKey,
            limit + 1);
    boolean truncated = merged.size() > limit;
    List<String> prefixes = new ArrayList<>();
    List<ListedObject> objects = new ArrayList<>();
    for (Object item : truncated ? merged.subList(0, limit) : merged) {
      if (item instanceof ListedObject object) {
        objects.add(object);
      } else {
        prefixes.add((String) item);
      }
    }
    return new ListedLevel(prefixes, objects, truncated);
  }

  private static String levelKey(Object item) {
    return item instanceof ListedObject object ? object.key() : (String) item;
  }

  /** {@link #listLevel} of the files alone: one directory read. */
  private ListedLevel fileLevel(String prefix, Optional<String> startAfter, int limit)
      throws IOException {
    Path dir = prefix.isEmpty() ? root : root.resolve(prefix.substring(0, prefix.length() - 1));
    List<String> prefixes = new ArrayList<>();
    List<ListedObject> objects = new ArrayList<>();
    boolean complete =
        visitInKeyOrder(
            dir,
            prefix,
            "",
            startAfter.orElse(null),
            entry -> {
              if (startAfter.isPresent() && entry.key().compareTo(startAfter.get()) <= 0) {
                return true;
              }
              if (prefixes.size() + objects.size() == limit) {
                return false; // one more entry: the page is truncated
              }
              if (entry.attributes().isDirectory()) {
                prefixes.add(entry.key());
              } else {
                objects.add(new ListedObject(entry.key(), info(entry.attributes())));
              }
              return true;
            });
    return new ListedLevel(prefixes, objects, !complete);
  }

  /** Local calls are cheaper than threads; on a network filesystem each one is a round trip. */
  @Override
  public boolean callsAreRoundTrips() {
    return !local;
  }

  /** A call reads the names of a whole directory whatever the limit: splitting only repeats it. */
  @Override
  public int keysPerListCall() {
    return Integer.MAX_VALUE;
  }

  /**
   * Appends up to {@code want} objects under {@code dir} after {@code startAfter}, in key order.
   */
  private void walk(
      Path dir,
      String dirKey,
      String namePrefix,
      String startAfter,
      int want,
      List<ListedObject> out)
      throws IOException {
    visitInKeyOrder(
        dir,
        dirKey,
        namePrefix,
        startAfter,
        entry -> {
          if (entry.attributes().isDirectory()) {
            walk(entry.path(), entry.key(), "", startAfter, want, out);
          } else if (startAfter == null || entry.key().compareTo(startAfter) > 0) {
            out.add(new ListedObject(entry.key(), info(entry.attributes())));
          }
          return out.size() < want;
        });
  }

  /**
   * Hands {@code visitor} the files and directories of {@code dir} whose names start with {@code
   * namePrefix}, in byte order of their keys, until it returns false (then returns false). A
   * directory {@code d} sorts as {@code d/} among its siblings, which is exactly where its keys
   * fall in byte order ({@code a-b} before {@code a/x}); no object is ever both a file and a
   * directory.
   *
   * <p>Why not sort the stat'ed entries: paging through a big directory a few keys a call (GC
   * splitting a listing for a store that answers few keys per call) stat'ed and sorted every entry
   * for every page, so listing n keys cost n²/limit stats. Here an entry that lies wholly at or
   * before {@code startAfter} is dropped by its name, the rest are ordered by name in a heap, and
   * only those the visitor reaches are stat'ed: a page costs one read of the names. Ordering by
   * name is key order except that a directory {@code d} must wait for the names between {@code d}
   * and {@code d/} (those going on with {@code -} or {@code .}), so a directory is handed on only
   * once the next name sorts after {@code d/}.
   */
  private static boolean visitInKeyOrder(
      Path dir, String dirKey, String namePrefix, String startAfter, EntryVisitor visitor)
      throws IOException {
    List<String> names = new ArrayList<>();
    try (Stream<Path> children = Files.list(dir)) {
      for (Path child : (Iterable<Path>) children::iterator) {
        String name = child.getFileName().toString();
        if (name.startsWith(namePrefix) && !whollyBefore(dirKey + name, startAfter)) {
          names.add(name);
        }
      }
    } catch (NoSuchFileException | NotDirectoryException e) {
      return true;
    }
    PriorityQueue<String> byName = new PriorityQueue<>(names);
    Deque<Entry> directories = new ArrayDeque<>(); // waiting; the innermost (first in order) on top
    while (!byName.isEmpty()) {
      String name = byName.poll();
      String key = dirKey + name;
      while (!directories.isEmpty() && directories.peek().key().compareTo(key) < 0) {
        if (!visitor.visit(directories.pop())) {
          return false;
        }
      }
      if (!StorageKeys.isSegment(name)) {
        continue;
      }
      Path path = dir.resolve(name);
      BasicFileAttributes attributes;
      try {
        attributes =
            Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (NoSuchFileException e) {
        continue; // deleted since the directory was read
      }
      if (attributes.isDirectory()) {
        directories.push(new Entry(key + "/", path, attributes));
      } else if (attributes.isRegularFile() && !visitor.visit(new Entry(key, path, attributes))) {
        return false;
      }
    }
    while (!directories.isEmpty()) {
      if (!visitor.visit(directories.pop())) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether nothing at {@code key}, file or directory, comes after {@code startAfter}: the key and
   * everything under {@code key/} sort before it.
   */
  private static boolean whollyBefore(String key, String startAfter) {
    if (startAfter == null) {
      return false;
    }
    String asDirectory = key + "/";
    return asDirectory.compareTo(startAfter) < 0 && !startAfter.startsWith(asDirectory);
  }

  private static ObjectInfo info(BasicFileAttributes attributes) {
    return new ObjectInfo(attributes.size(), attributes.lastModifiedTime().toInstant());
  }

  /** A file or directory ({@code key} ending in {@code /}) of a directory being listed. */
  private record Entry(String key, Path path, BasicFileAttributes attributes) {}

  @FunctionalInterface
  private interface EntryVisitor {
    /** Takes one entry; false stops the listing. */
    boolean visit(Entry entry) throws IOException;
  }

  @Override
  public void delete(Collection<String> keys) throws IOException {
    deleteInOrder(keys, false);
  }

  /**
   * Deletes, then fsyncs each directory a deleted file was in (or, where the delete emptied and
   * pruned it, the nearest directory still there): an unlink is durable only with its directory,
   * and a filesystem without a journal may write one directory back before another. Entries of the
   * index are durable once deleted.
   */
  @Override
  public void deleteDurably(Collection<String> keys) throws IOException {
    for (Path dir : deleteInOrder(keys, true)) {
      syncNearest(dir);
    }
  }

  /**
   * Deletes the keys in the order given, so a crash part-way leaves deleted a prefix of them
   * (callers put what depends on an object before the object). Entries of the index are deleted in
   * as few commits as that allows: one for all of them, unless a key also has a file (one from
   * before the index, or a long key's); then the entries before it and its own are committed, its
   * file unlinked, and, when keys follow, the unlink made durable before they go, since a commit of
   * theirs could otherwise outlive it in a crash.
   *
   * @return the directories of the files unlinked and not yet synced (for the durable delete)
   */
  private Set<Path> deleteInOrder(Collection<String> keys, boolean durable) throws IOException {
    List<String> entries = new ArrayList<>();
    Set<Path> unsynced = new LinkedHashSet<>();
    int left = keys.size();
    for (String key : keys) {
      left--;
      Path file = resolve(key);
      if (indexed(key)) {
        entries.add(key);
      }
      if (regularFile(file).isEmpty()) {
        // No file, or a prefix (a directory), not an object. A concurrent delete may have just
        // unlinked one: a durable delete syncs its directory all the same, so that unlink cannot
        // outlive what the caller deletes next either (an entry's delete is made durable by this
        // call's own commit, which follows any other).
        if (durable && !indexed(key)) {
          unsynced.add(file.getParent());
        }
        continue;
      }
      if (!entries.isEmpty()) {
        index.delete(entries);
        entries.clear();
      }
      try {
        Files.deleteIfExists(file);
      } catch (NotDirectoryException e) {
        continue;
      }
      pruneEmptyParents(file.getParent());
      if (index != null && left > 0) {
        syncNearest(file.getParent());
      } else if (durable) {
        unsynced.add(file.getParent());
      }
    }
    if (!entries.isEmpty()) {
      index.delete(entries);
    }
    return unsynced;
  }

  /** Syncs {@code dir}, or the nearest directory above it still there (a delete pruned it). */
  private void syncNearest(Path dir) throws IOException {
    for (Path d = dir; ; d = d.getParent()) {
      try {
        directorySync.sync(d);
        return;
      } catch (NoSuchFileException pruned) {
        if (d.equals(root)) {
          throw pruned;
        }
      }
    }
  }

  @Override
  public MultipartWrite startMultipart(String key) throws IOException {
    resolve(key);
    Path file = inProgressFile(key);
    try (FileChannel created =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      // created empty; FilesystemMultipartWrite opens its own channels
    }
    return FilesystemMultipartWrite.open(this, key, file, 0, directBuffers, false);
  }

  @Override
  public MultipartWrite resumeMultipart(String key, String resumeToken) throws IOException {
    resolve(key);
    long durable;
    try {
      durable = Long.parseLong(resumeToken);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a resume token of this store");
    }
    if (durable < 0) {
      throw new IllegalArgumentException("not a resume token of this store");
    }
    Path file = inProgressFile(key);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      long size = channel.size();
      if (size < durable) {
        // Bytes a suspend made durable are missing: this write cannot continue as saved.
        throw new NoSuchFileException(
            key, null, "multipart data shorter than its last suspend: " + size + " < " + durable);
      }
      // Bytes after the last suspend belong to a request that died mid-way: drop them.
      channel.truncate(durable);
    }
    return FilesystemMultipartWrite.open(this, key, file, durable, directBuffers, true);
  }

  /**
   * Staged multipart files no live key names (their writer died, or its session went without
   * aborting) and staging files a crash left between write and rename, older than {@code before}.
   */
  @Override
  public List<String> sweepAbandonedWrites(Set<String> liveKeys, Instant before, boolean dryRun)
      throws IOException {
    Set<Path> live = new HashSet<>();
    for (String key : liveKeys) {
      live.add(inProgressFile(key));
    }
    List<String> found = new ArrayList<>();
    for (Path dir : List.of(multipart, staging)) {
      List<Path> files = new ArrayList<>();
      for (Path entry : listDirectory(dir)) {
        // Staging files sit in the shards of +staging (in +staging itself when an earlier version
        // wrote them). Files vanish while this runs: those are skipped.
        if (dir == staging && Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
          files.addAll(listDirectory(entry));
        } else {
          files.add(entry);
        }
      }
      for (Path file : files) {
        if (live.contains(file)) {
          continue;
        }
        BasicFileAttributes attributes;
        try {
          attributes =
              Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
          continue;
        }
        if (!attributes.isRegularFile()
            || !attributes.lastModifiedTime().toInstant().isBefore(before)) {
          continue;
        }
        found.add(root.relativize(file) + " (" + attributes.size() + " bytes)");
        if (!dryRun) {
          Files.deleteIfExists(file);
        }
      }
    }
    return found;
  }

  private static List<Path> listDirectory(Path dir) throws IOException {
    try (Stream<Path> listing = Files.list(dir)) {
      return listing.toList();
    } catch (NoSuchFileException e) {
      return List.of();
    }
  }

  /** Releases the index of small objects (the process's last store on it closes it). */
  @Override
  public void close() {
    if (index != null && closed.compareAndSet(false, true)) {
      index.release();
    }
  }

  // ---- used by FilesystemMultipartWrite -----------------------------------------------------

  /** Where a multipart write's bytes live until complete: named by a hash of the key. */
  Path inProgressFile(String key) {
    byte[] hash =
        DigestAlgorithm.SHA256.newMessageDigest().digest(key.getBytes(StandardCharsets.US_ASCII));
    return multipart.resolve(HexFormat.of().formatHex(hash));
  }

  void syncDirectory(Path dir) throws IOException {
    directorySync.sync(dir);
  }

  void publishCompleted(Path inProgress, String key) throws IOException {
    Path target = resolve(key);
    if (indexed(key) && index.stat(key).isPresent()) {
      // An entry at the key would shadow the file: the completed write replaces it.
      index.delete(List.of(key));
    }
    publish(
        inProgress,
        target,
        () -> {
          Files.move(
              inProgress,
              target,
              StandardCopyOption.ATOMIC_MOVE,
              StandardCopyOption.REPLACE_EXISTING);
          return true;
        });
  }

  // ---- internals ----------------------------------------------------------------------------

  private interface Publication {
    boolean run() throws IOException;
  }

  /**
   * Runs the publishing step, creating the target's parent directories when it finds them missing,
   * and retrying when a concurrent delete pruned a directory on the way: {@code createDirectories}
   * then reports the vanished directory as FileAlreadyExists, and the rename or link as NoSuchFile.
   * {@code source} is the staged file the step publishes, or null when the step creates the target
   * itself.
   */
  private boolean publish(Path source, Path target, Publication step) throws IOException {
    Path parent = target.getParent();
    // The highest directory on the way to the target that this publication found missing. Its
    // entry in its own parent, and those of the directories below it, must be as durable as the
    // target's: without a journal ordering directory writes, a crash after the fsync of the
    // target's directory alone could lose a new directory, and the object in it with it. Whoever
    // created them (this call or a concurrent one), they are synced before this call returns.
    Path highestMissing = null;
    for (int attempt = 0; ; attempt++) {
      boolean published;
      try {
        // Most writes go to a directory that exists: try first, create the parents when missing.
        published = step.run();
      } catch (NoSuchFileException e) {
        if (attempt >= 100 || (source != null && !Files.exists(source))) {
          throw e;
        }
        Path missing = highestMissing(parent, root);
        if (missing != null && (highestMissing == null || highestMissing.startsWith(missing))) {
          highestMissing = missing;
        }
        try {
          Files.createDirectories(parent);
        } catch (NoSuchFileException | FileAlreadyExistsException raced) {
          // A concurrent delete pruned a directory on the way (one just created, or one found
          // there): try again, within the same bound.
        }
        continue;
      }
      try {
        syncUpTo(parent, highestMissing == null ? parent : highestMissing.getParent());
      } catch (NoSuchFileException e) {
        // A concurrent delete of this very key removed the entry and pruned the directory:
        // the delete came after the publication, which is an order readers may observe anyway.
      }
      return published;
    }
  }

  /**
   * The highest missing directory from {@code dir} up to (not including) {@code top}, which exists;
   * null when {@code dir} exists.
   */
  private static Path highestMissing(Path dir, Path top) {
    Path missing = null;
    for (Path d = dir; d != null && !d.equals(top); d = d.getParent()) {
      if (Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
        break;
      }
      missing = d;
    }
    return missing;
  }

  /** Syncs {@code dir} and each directory above it up to and including {@code last}. */
  private void syncUpTo(Path dir, Path last) throws IOException {
    for (Path d = dir; d != null; d = d.getParent()) {
      directorySync.sync(d);
      if (d.equals(last)) {
        return;
      }
    }
  }

  private Path stage(byte[] content) throws IOException {
    // Unique names from a per-thread generator (a clash only fails this write: CREATE_NEW).
    ThreadLocalRandom random = ThreadLocalRandom.current();
    Path temp =
        stagingShards[random.nextInt(STAGING_SHARDS)].resolve(
            new UUID(random.nextLong(), random.nextLong()).toString());
    try (FileChannel channel =
        FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer buffer = ByteBuffer.wrap(content);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      channel.force(true);
    } catch (IOException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    return temp;
  }

  static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Some platforms cannot open a directory for fsync; the rename is still atomic there.
      if (!System.getProperty("os.name", "").toLowerCase().contains("win")) {
        throw e;
      }
    }
  }

  private void pruneEmptyParents(Path dir) throws IOException {
    while (dir != null && dir.startsWith(root) && !dir.equals(root)) {
      try {
        Files.delete(dir);
      } catch (DirectoryNotEmptyException | NoSuchFileException e) {
        return;
      }
      dir = dir.getParent();
    }
  }

  /**
   * Validates {@code key} and resolves it under root; nothing else ever makes a path from a key.
   */
  Path resolve(String key) {
    StorageKeys.requireKey(key);
    Path path = root.resolve(key).normalize();
    if (!path.startsWith(root) || path.equals(root)) {
      throw new IllegalArgumentException("key escapes the store");
    }
    return path;
  }
}
