package dev.lading.core.storage.fs;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.nio.file.ExtendedOpenOption;
import dev.lading.core.layout.StorageLayout;
import dev.lading.core.storage.BlobSource;
import dev.lading.core.storage.KeyPage;
import dev.lading.core.storage.ListedLevel;
import dev.lading.core.storage.ListedObject;
import dev.lading.core.storage.ListedPage;
import dev.lading.core.storage.MultipartWrite;
import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.ObjectStoreContract;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesystemStoreTest extends ObjectStoreContract {
  @TempDir Path dir;

  /** Whether the stores under test may write uploads with direct I/O. */
  protected boolean directWrites() {
    return true;
  }

  /** Whether the stores under test keep small objects in their index. */
  protected boolean indexSmallObjects() {
    return false;
  }

  @Override
  protected ObjectStore newStore() throws Exception {
    return new FilesystemStore(dir.resolve("root"), directWrites(), indexSmallObjects());
  }

  @Override
  protected ObjectStore reopen(ObjectStore store) throws Exception {
    return new FilesystemStore(
        ((FilesystemStore) store).root(), directWrites(), indexSmallObjects());
  }

  /** A local filesystem's small calls are made one after another, not on threads side by side. */
  @Test
  void aLocalStoresCallsAreNoRoundTrips() {
    assertThat(store.callsAreRoundTrips()).isFalse();
  }

  @Test
  void uploadsUseDirectIoExactlyWhereEnabledAndSupported() throws Exception {
    boolean supported;
    Path probe = dir.resolve("probe");
    try (FileChannel c =
        FileChannel.open(
            probe,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            ExtendedOpenOption.DIRECT)) {
      supported = true;
    } catch (IOException | UnsupportedOperationException e) {
      supported = false;
    } finally {
      Files.deleteIfExists(probe);
    }
    FilesystemMultipartWrite write = (FilesystemMultipartWrite) store.startMultipart("data/d");
    write.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
    assertThat(write.direct()).isEqualTo(directWrites() && supported);
    write.abort();
  }

  @Test
  void directBuffersGoBackWhenWritesEndHoweverTheyEnd() throws Exception {
    FilesystemStore fs = (FilesystemStore) store;
    MultipartWrite completed = fs.startMultipart("data/c");
    MultipartWrite suspended = fs.startMultipart("data/s");
    MultipartWrite aborted = fs.startMultipart("data/a");
    for (MultipartWrite w : List.of(completed, suspended, aborted)) {
      w.write(ByteBuffer.wrap(new byte[5000]));
    }
    completed.complete();
    String token = suspended.suspend();
    aborted.abort();
    assertThat(fs.directBuffersInUse()).isZero();
    fs.resumeMultipart("data/s", token).abort();
    assertThat(fs.directBuffersInUse()).isZero();
    store.delete(List.of("data/c"));
  }

  @Test
  void manyMegabytesInOddPiecesSurviveWritesInFlightASuspendAndAResume() throws Exception {
    FilesystemStore fs = (FilesystemStore) store;
    byte[] content = new byte[(int) (5.5 * FilesystemMultipartWrite.STAGING_BYTES) + 777];
    new SplittableRandom(3).nextBytes(content);
    int suspendAt = 3 * FilesystemMultipartWrite.STAGING_BYTES + 4097; // not on a block boundary
    MultipartWrite write = fs.startMultipart("data/big");
    writeInPieces(write, content, 0, suspendAt);
    String token = write.suspend();
    assertThat(fs.directBuffersInUse()).as("a suspended write holds no buffer").isZero();
    MultipartWrite resumed = fs.resumeMultipart("data/big", token);
    assertThat(resumed.size()).isEqualTo(suspendAt);
    writeInPieces(resumed, content, suspendAt, content.length);
    resumed.complete();
    assertThat(fs.directBuffersInUse()).isZero();
    assertThat(store.read("data/big"))
        .hasValueSatisfying(bytes -> assertThat(bytes).isEqualTo(content));
    store.delete(List.of("data/big"));
  }

  /** Writes {@code content[from, to)} in pieces of varying, mostly unaligned sizes. */
  private static void writeInPieces(MultipartWrite write, byte[] content, int from, int to)
      throws IOException {
    int[] sizes = {1, 4095, 65536, 300_001, 1 << 20, 3 << 20};
    for (int at = from, i = 0; at < to; i++) {
      int n = Math.min(sizes[i % sizes.length], to - at);
      write.write(ByteBuffer.wrap(content, at, n));
      at += n;
    }
  }

  @Test
  void writesBeyondTheDirectBufferLimitGoThroughThePageCacheAndKeepEveryByte() throws Exception {
    FilesystemStore fs = (FilesystemStore) store;
    List<FilesystemMultipartWrite> writes = new ArrayList<>();
    for (int i = 0; i <= FilesystemStore.MAX_DIRECT_BUFFERS; i++) {
      writes.add((FilesystemMultipartWrite) fs.startMultipart("data/w" + i));
    }
    long direct = writes.stream().filter(FilesystemMultipartWrite::direct).count();
    assertThat(direct).isLessThanOrEqualTo(FilesystemStore.MAX_DIRECT_BUFFERS);
    if (writes.get(0).direct()) {
      assertThat(writes.get(FilesystemStore.MAX_DIRECT_BUFFERS).direct())
          .as("the one past the limit is buffered")
          .isFalse();
    }
    for (int i = 0; i < writes.size(); i++) {
      writes
          .get(i)
          .write(ByteBuffer.wrap(("upload " + i).repeat(1000).getBytes(StandardCharsets.US_ASCII)));
      writes.get(i).complete();
    }
    assertThat(fs.directBuffersInUse()).isZero();
    for (int i = 0; i < writes.size(); i++) {
      byte[] expected = ("upload " + i).repeat(1000).getBytes(StandardCharsets.US_ASCII);
      assertThat(store.read("data/w" + i))
          .hasValueSatisfying(bytes -> assertThat(bytes).isEqualTo(expected));
      store.delete(List.of("data/w" + i));
    }
  }

  /**
   * Staging files a crash left between write and publication are swept once old enough, in the
   * staging shards and directly under {@code +staging} (where an earlier version put them); young
   * ones and the shard directories stay.
   */
  @Test
  void abandonedStagingFilesAreSweptFromEveryShardOnceOld() throws Exception {
    Path staging = dir.resolve("root").resolve(StorageLayout.FILESYSTEM_STAGING);
    Path old = Files.writeString(staging.resolve("0a").resolve("left-by-a-crash"), "x");
    Path flat = Files.writeString(staging.resolve("left-by-an-earlier-version"), "y");
    Path young = Files.writeString(staging.resolve("03").resolve("being-written"), "z");
    Instant cutoff = Instant.now().minusSeconds(60);
    for (Path file : List.of(old, flat)) {
      Files.setLastModifiedTime(file, FileTime.from(cutoff.minusSeconds(60)));
    }

    List<String> dry = store.sweepAbandonedWrites(Set.of(), cutoff, true);
    assertThat(Files.exists(old) && Files.exists(flat)).as("a dry run deletes nothing").isTrue();
    List<String> swept = store.sweepAbandonedWrites(Set.of(), cutoff, false);

    assertThat(swept).isEqualTo(dry).hasSize(2);
    assertThat(old).doesNotExist();
    assertThat(flat).doesNotExist();
    assertThat(young).exists();
    assertThat(staging.resolve("0a")).isDirectory();
    Files.delete(young);
  }

  @AfterEach
  void noStagingOrMultipartFilesAndNothingOutsideRoot() throws Exception {
    Path root = dir.resolve("root");
    try (Stream<Path> staged = Files.walk(root.resolve(StorageLayout.FILESYSTEM_STAGING));
        Stream<Path> multipart = Files.list(root.resolve(StorageLayout.FILESYSTEM_MULTIPART));
        Stream<Path> top = Files.list(dir)) {
      assertThat(staged.filter(Files::isRegularFile)).as("staging files").isEmpty();
      assertThat(multipart).isEmpty();
      assertThat(top).containsExactly(root);
    }
    List<String> own =
        new ArrayList<>(
            List.of(StorageLayout.FILESYSTEM_STAGING, StorageLayout.FILESYSTEM_MULTIPART));
    if (indexSmallObjects()) {
      own.add(StorageLayout.FILESYSTEM_INDEX);
    }
    try (Stream<Path> entries = Files.list(root)) {
      assertThat(entries.map(p -> p.getFileName().toString()))
          .as("empty directories are pruned")
          .containsExactlyInAnyOrderElementsOf(own);
    }
  }

  @Test
  void openRangeHandsOutAFileForZeroCopy() throws Exception {
    store.write("z", "zero-copy".getBytes(StandardCharsets.US_ASCII));
    try (BlobSource source = store.openRange("z", 5, 4)) {
      assertThat(source)
          .isInstanceOfSatisfying(
              BlobSource.FileSource.class,
              f -> {
                assertThat(f.offset()).isEqualTo(5);
                assertThat(f.length()).isEqualTo(4);
                assertThat(f.channel().isOpen()).isTrue();
              });
    }
    store.delete(List.of("z"));
  }

  @Test
  void keysResolveInsideTheRoot() throws Exception {
    FilesystemStore fs = (FilesystemStore) store;
    assertThat(fs.resolve("a/b")).startsWithRaw(fs.root());
  }

  /**
   * Every page of every listing of a tree whose names put directories out of name order ({@code
   * a-b} and {@code a.z} sort between {@code a} and {@code a/}, and so do {@code a-c/}'s keys),
   * from every start-after and with every limit, is exactly the slice of the sorted keys: the store
   * orders entries by name and stats only those a page reaches, so a directory it hands on too soon
   * or an entry it drops by name would show here.
   */
  @Test
  void everyPageOfEveryListingIsTheSliceOfTheSortedKeys() throws Exception {
    List<String> keys =
        List.of(
            "t/a/x",
            "t/a/y-z",
            "t/a/y/q",
            "t/a-b",
            "t/a-c/d",
            "t/a-c/d-e",
            "t/a-c/d.f/g",
            "t/a.z",
            "t/a0",
            "t/b");
    for (String key : keys) {
      store.write(key, key.getBytes(StandardCharsets.UTF_8));
    }
    List<String> sorted = keys.stream().sorted().toList();
    TreeSet<String> starts = new TreeSet<>(keys);
    starts.addAll(List.of("", "s", "t/", "t/a", "t/a-", "t/a/", "t/a/y", "t/a-c", "t/a-c/"));
    starts.addAll(List.of("t/a-c/d.f/", "t/a.", "t/a/y/", "t/a0/", "u"));
    for (String prefix : List.of("t/", "t/a", "t/a-", "t/a/", "t/a-c/", "t/a/y")) {
      List<String> all = sorted.stream().filter(k -> k.startsWith(prefix)).toList();
      for (String start : starts) {
        Optional<String> after = start.isEmpty() ? Optional.empty() : Optional.of(start);
        List<String> rest = all.stream().filter(k -> k.compareTo(start) > 0).toList();
        for (int limit = 0; limit <= rest.size() + 1; limit++) {
          String call = "list(" + prefix + ", " + start + ", " + limit + ")";
          List<String> page = rest.subList(0, Math.min(limit, rest.size()));
          KeyPage keysPage = store.list(prefix, after, limit);
          assertThat(keysPage.keys()).as(call).isEqualTo(page);
          assertThat(keysPage.truncated()).as(call).isEqualTo(rest.size() > limit);
          ListedPage withInfo = store.listWithInfo(prefix, after, limit);
          assertThat(withInfo.objects().stream().map(ListedObject::key).toList())
              .as(call)
              .isEqualTo(page);
          assertThat(withInfo.truncated()).as(call).isEqualTo(rest.size() > limit);
          for (ListedObject o : withInfo.objects()) {
            assertThat(o.info().size()).isEqualTo(o.key().length());
          }
        }
      }
    }
    for (String level : List.of("t/", "t/a/", "t/a-c/", "t/a/y/", "t/b/")) {
      List<String> entries =
          sorted.stream()
              .filter(k -> k.startsWith(level))
              .map(
                  k -> {
                    int slash = k.indexOf('/', level.length());
                    return slash < 0 ? k : k.substring(0, slash + 1);
                  })
              .distinct()
              .sorted()
              .toList();
      for (String start : starts) {
        Optional<String> after = start.isEmpty() ? Optional.empty() : Optional.of(start);
        List<String> rest = entries.stream().filter(k -> k.compareTo(start) > 0).toList();
        for (int limit = 0; limit <= rest.size() + 1; limit++) {
          String call = "listLevel(" + level + ", " + start + ", " + limit + ")";
          ListedLevel page = store.listLevel(level, after, limit);
          List<String> got = new ArrayList<>(page.prefixes());
          page.objects().forEach(o -> got.add(o.key()));
          got.sort(String::compareTo);
          assertThat(got).as(call).isEqualTo(rest.subList(0, Math.min(limit, rest.size())));
          assertThat(page.truncated()).as(call).isEqualTo(rest.size() > limit);
          assertThat(page.prefixes()).as(call).allMatch(e -> e.endsWith("/"));
          assertThat(page.objects()).as(call).allMatch(o -> keys.contains(o.key()));
        }
      }
    }
    store.delete(keys);
  }
}
