package dev.lading.core.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The storage contract every {@link ObjectStore} passes (shipped in core's test-jar). A subclass
 * supplies a fresh, empty store; every test checks that it left nothing behind.
 *
 * <p>Keys are never both an object and the prefix of another object ({@code StorageLayout}
 * guarantees it), so no test writes such a pair: the filesystem store cannot hold them.
 */
public abstract class ObjectStoreContract {

  /** A new, empty store. Called once per test; may be called again to get a second instance. */
  protected abstract ObjectStore newStore() throws Exception;

  /** A second instance over the same storage as {@link #store}, as another process would open. */
  protected abstract ObjectStore reopen(ObjectStore store) throws Exception;

  protected ObjectStore store;

  @BeforeEach
  void openStore() throws Exception {
    store = newStore();
  }

  @AfterEach
  void nothingStrayIsLeft() throws Exception {
    KeyPage leftovers = store.list("", Optional.empty(), 100);
    store.close();
    assertThat(leftovers.keys()).as("keys left behind by the test").isEmpty();
  }

  private void cleanUp(String... keys) throws IOException {
    store.delete(List.of(keys));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  private static byte[] readAll(BlobSource source) throws IOException {
    try (source) {
      return switch (source) {
        case BlobSource.FileSource f -> {
          ByteBuffer buffer = ByteBuffer.allocate((int) f.length());
          long position = f.offset();
          while (buffer.hasRemaining()) {
            int n = f.channel().read(buffer, position);
            if (n < 0) {
              break;
            }
            position += n;
          }
          yield buffer.array();
        }
        case BlobSource.StreamSource s -> {
          try (InputStream in = s.stream()) {
            yield in.readNBytes((int) s.length());
          }
        }
      };
    }
  }

  @Test
  void writtenObjectReadsBackWithItsSize() throws Exception {
    store.write("a/b/c", bytes("hello"));
    assertThat(store.read("a/b/c"))
        .hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("hello")));
    assertThat(store.stat("a/b/c")).hasValueSatisfying(i -> assertThat(i.size()).isEqualTo(5));
    cleanUp("a/b/c");
  }

  @Test
  void missingObjectIsEmptyNotAnError() throws Exception {
    assertThat(store.read("no/such")).isEmpty();
    assertThat(store.stat("no/such")).isEmpty();
  }

  @Test
  void prefixOfAnObjectIsNotAnObject() throws Exception {
    store.write("dir/file", bytes("x"));
    assertThat(store.stat("dir")).isEmpty();
    assertThat(store.read("dir")).isEmpty();
    cleanUp("dir/file");
  }

  @Test
  void writeReplacesContent() throws Exception {
    store.write("k", bytes("one"));
    store.write("k", bytes("two"));
    assertThat(store.read("k")).hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("two")));
    cleanUp("k");
  }

  @Test
  void aRevertibleWriteReplacesContentOrCreatesItsDirectory() throws Exception {
    store.write("r/k", bytes("one"));
    store.writeRevertible("r/k", bytes("two"));
    assertThat(store.read("r/k")).hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("two")));
    store.writeRevertible("r/new/k", bytes("three"));
    assertThat(store.read("r/new/k"))
        .hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("three")));
    assertThat(store.list("r/", Optional.empty(), 10).keys()).containsExactly("r/k", "r/new/k");
    cleanUp("r/k", "r/new/k");
  }

  @Test
  void revertibleEmptyWritesCreateAndReplaceLikeTheirContentWould() throws Exception {
    store.writeRevertible("re/new/k", new byte[0]);
    assertThat(store.read("re/new/k")).hasValueSatisfying(v -> assertThat(v).isEmpty());
    store.write("re/k", bytes("content"));
    store.writeRevertible("re/k", new byte[0]);
    assertThat(store.read("re/k")).hasValueSatisfying(v -> assertThat(v).isEmpty());
    store.writeRevertible("re/k", new byte[0]);
    store.writeRevertible("re/k", bytes("again"));
    assertThat(store.read("re/k")).hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("again")));
    assertThat(store.list("re/", Optional.empty(), 10).keys()).containsExactly("re/k", "re/new/k");
    cleanUp("re/k", "re/new/k");
  }

  @Test
  void emptyObjectExists() throws Exception {
    store.write("empty", new byte[0]);
    assertThat(store.stat("empty")).hasValueSatisfying(i -> assertThat(i.size()).isZero());
    assertThat(store.read("empty")).hasValueSatisfying(v -> assertThat(v).isEmpty());
    cleanUp("empty");
  }

  @Test
  void emptyWritesReplaceContentAndContentReplacesThem() throws Exception {
    store.write("e/k", bytes("content"));
    store.write("e/k", new byte[0]);
    assertThat(store.read("e/k")).hasValueSatisfying(v -> assertThat(v).isEmpty());
    store.write("e/k", new byte[0]);
    assertThat(store.stat("e/k")).hasValueSatisfying(i -> assertThat(i.size()).isZero());
    store.write("e/k", bytes("again"));
    assertThat(store.read("e/k")).hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("again")));
    cleanUp("e/k");
  }

  @Test
  void writeIfAbsentOfAnEmptyObjectReportsWhetherItCreatedIt() throws Exception {
    assertThat(store.writeIfAbsent("e/marker", new byte[0])).isTrue();
    assertThat(store.writeIfAbsent("e/marker", new byte[0])).isFalse();
    assertThat(store.writeIfAbsent("e/marker", bytes("late"))).isFalse();
    assertThat(store.read("e/marker")).hasValueSatisfying(v -> assertThat(v).isEmpty());
    store.write("e/full", bytes("first"));
    assertThat(store.writeIfAbsent("e/full", new byte[0])).isFalse();
    assertThat(store.read("e/full"))
        .hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("first")));
    cleanUp("e/marker", "e/full");
  }

  @Test
  void concurrentEmptyWriteIfAbsentHasExactlyOneWinner() throws Exception {
    List<Integer> winners = raceWriteIfAbsent("race/empty", i -> new byte[0]);
    assertThat(winners).hasSize(1);
    assertThat(store.stat("race/empty")).hasValueSatisfying(i -> assertThat(i.size()).isZero());
    cleanUp("race/empty");
  }

  @Test
  void writeIfAbsentKeepsTheFirstObject() throws Exception {
    assertThat(store.writeIfAbsent("once", bytes("first"))).isTrue();
    assertThat(store.writeIfAbsent("once", bytes("second"))).isFalse();
    assertThat(store.read("once")).hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("first")));
    cleanUp("once");
  }

  @Test
  void concurrentWriteIfAbsentHasExactlyOneWinner() throws Exception {
    List<Integer> winners = raceWriteIfAbsent("race/key", i -> bytes("writer-" + i));
    assertThat(winners).hasSize(1);
    assertThat(store.read("race/key"))
        .hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("writer-" + winners.getFirst())));
    cleanUp("race/key");
  }

  /** Eight writers released at once, each with its content; the indexes of those that won. */
  @Test
  void aBatchMakesEachWriteAsItsSingleCallWouldAndSaysWhichWrote() throws Exception {
    store.write("batch/replaced", bytes("old"));
    store.write("batch/kept", bytes("first"));
    List<Boolean> written =
        store.writeAll(
            List.of(
                ObjectWrite.ifAbsent("batch/kept", bytes("second")),
                ObjectWrite.ifAbsent("batch/new", bytes("created")),
                ObjectWrite.replace("batch/replaced", bytes("new")),
                ObjectWrite.revertible("batch/state", new byte[0]),
                ObjectWrite.replace("batch/deep/er/key", bytes("x"))));
    assertThat(written).containsExactly(false, true, true, true, true);
    assertThat(store.read("batch/kept"))
        .hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("first")));
    assertThat(store.read("batch/new"))
        .hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("created")));
    assertThat(store.read("batch/replaced"))
        .hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("new")));
    assertThat(store.stat("batch/state")).hasValueSatisfying(i -> assertThat(i.size()).isZero());
    assertThat(store.list("batch/", Optional.empty(), 10).keys())
        .containsExactly(
            "batch/deep/er/key", "batch/kept", "batch/new", "batch/replaced", "batch/state");
    try (ObjectStore other = reopen(store)) {
      assertThat(other.read("batch/new"))
          .hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("created")));
    }
    cleanUp("batch/deep/er/key", "batch/kept", "batch/new", "batch/replaced", "batch/state");
  }

  @Test
  void aBatchWritesTheSameKeyInTheOrderGiven() throws Exception {
    assertThat(
            store.writeAll(
                List.of(
                    ObjectWrite.ifAbsent("order/k", bytes("one")),
                    ObjectWrite.ifAbsent("order/k", bytes("two")),
                    ObjectWrite.replace("order/k", bytes("three")))))
        .containsExactly(true, false, true);
    assertThat(store.read("order/k"))
        .hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("three")));
    assertThat(store.writeAll(List.of())).isEmpty();
    cleanUp("order/k");
  }

  @Test
  void aBatchWithStepsMakesEveryWriteAndAnswersInTheOrderGiven() throws Exception {
    store.write("steps/kept", bytes("first"));
    List<Boolean> written =
        store.writeAll(
            List.of(
                ObjectWrite.ifAbsent("steps/kept", bytes("second")),
                ObjectWrite.ifAbsent("steps/new", bytes("created")).alongsidePrevious(),
                ObjectWrite.replace("steps/link", new byte[0]),
                ObjectWrite.revertible("steps/state", bytes("closed")).alongsidePrevious(),
                ObjectWrite.ifAbsent("steps/kept", bytes("third")).alongsidePrevious(),
                ObjectWrite.replace("steps/tag", bytes("t"))));
    assertThat(written).containsExactly(false, true, true, true, false, true);
    assertThat(store.read("steps/kept"))
        .hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("first")));
    assertThat(store.read("steps/state"))
        .hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("closed")));
    assertThat(store.list("steps/", Optional.empty(), 10).keys())
        .containsExactly("steps/kept", "steps/link", "steps/new", "steps/state", "steps/tag");
    cleanUp("steps/kept", "steps/link", "steps/new", "steps/state", "steps/tag");
  }

  @Test
  void aBatchRefusesAKeyThatIsNotAStoreKey() throws Exception {
    assertThatThrownBy(
            () ->
                store.writeAll(
                    List.of(
                        ObjectWrite.replace("bad/ok", bytes("v")),
                        ObjectWrite.replace("bad/../escape", bytes("v")))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(store.stat("escape")).isEmpty();
    store.delete(List.of("bad/ok")); // a store writing one by one may have written the first
  }

  @Test
  void concurrentBatchesWithTheSameIfAbsentKeyHaveExactlyOneWinner() throws Exception {
    int writers = 8;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<List<Boolean>>> results = new ArrayList<>();
      for (int i = 0; i < writers; i++) {
        String mine = "writer-" + i;
        results.add(
            pool.submit(
                () -> {
                  go.await();
                  return store.writeAll(
                      List.of(
                          ObjectWrite.ifAbsent("race/batch", bytes(mine)),
                          ObjectWrite.replace("race/link-" + mine, new byte[0])));
                }));
      }
      go.countDown();
      List<Integer> winners = new ArrayList<>();
      for (int i = 0; i < writers; i++) {
        List<Boolean> written = results.get(i).get(60, TimeUnit.SECONDS);
        assertThat(written.get(1)).isTrue();
        if (written.get(0)) {
          winners.add(i);
        }
      }
      assertThat(winners).hasSize(1);
      assertThat(store.read("race/batch"))
          .hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("writer-" + winners.getFirst())));
      List<String> keys = new ArrayList<>(List.of("race/batch"));
      for (int i = 0; i < writers; i++) {
        assertThat(store.stat("race/link-writer-" + i)).isPresent();
        keys.add("race/link-writer-" + i);
      }
      store.delete(keys);
    } finally {
      pool.shutdownNow();
    }
  }

  private List<Integer> raceWriteIfAbsent(String key, IntFunction<byte[]> content)
      throws Exception {
    int writers = 8;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Boolean>> results = new ArrayList<>();
      for (int i = 0; i < writers; i++) {
        byte[] mine = content.apply(i);
        results.add(
            pool.submit(
                () -> {
                  go.await();
                  return store.writeIfAbsent(key, mine);
                }));
      }
      go.countDown();
      List<Integer> winners = new ArrayList<>();
      for (int i = 0; i < writers; i++) {
        if (results.get(i).get(60, TimeUnit.SECONDS)) {
          winners.add(i);
        }
      }
      return winners;
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void concurrentWritesAndDeletesInOneDirectoryNeverFail() throws Exception {
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        String key = "shared/dir/k" + t;
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 100; i++) {
                    store.write(key, bytes("v" + i));
                    assertThat(store.read(key)).isPresent();
                    store.delete(List.of(key));
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void listIsInByteOrderOfTheWholeKey() throws Exception {
    // '-' (0x2d) sorts before '/' (0x2f): a-b comes before a/b, though a directory walk
    // would visit a/ first.
    List<String> keys = List.of("a/b", "a-b", "a.c", "a/a/z", "a0", "b", "A", "a/b0", "a/c/d");
    for (String key : keys) {
      store.write(key, bytes(key));
    }
    List<String> sorted = new ArrayList<>(keys);
    sorted.sort(String::compareTo);
    assertThat(sorted).startsWith("A", "a-b", "a.c", "a/a/z");
    assertThat(store.list("", Optional.empty(), 100).keys()).containsExactlyElementsOf(sorted);
    cleanUp(sorted.toArray(String[]::new));
  }

  @Test
  void listPagesWithStartAfterAndLimit() throws Exception {
    List<String> keys = List.of("p/a.z", "p/a-b", "p/a/x", "p/a/y", "p/b", "p/c/d/e", "q");
    for (String key : keys) {
      store.write(key, bytes(key));
    }
    List<String> seen = new ArrayList<>();
    Optional<String> after = Optional.empty();
    int pages = 0;
    while (true) {
      KeyPage page = store.list("p/", after, 2);
      seen.addAll(page.keys());
      pages++;
      if (!page.truncated()) {
        break;
      }
      assertThat(page.keys()).hasSize(2);
      after = Optional.of(page.keys().get(1));
    }
    assertThat(seen).containsExactly("p/a-b", "p/a.z", "p/a/x", "p/a/y", "p/b", "p/c/d/e");
    assertThat(pages).isEqualTo(3);
    cleanUp(keys.toArray(String[]::new));
  }

  @Test
  void listWithPartialSegmentPrefixAndStartAfterInsideADirectory() throws Exception {
    List<String> keys = List.of("t/ab", "t/abc/d", "t/ab-x", "t/b", "t/a");
    for (String key : keys) {
      store.write(key, bytes(key));
    }
    assertThat(store.list("t/ab", Optional.empty(), 10).keys())
        .containsExactly("t/ab", "t/ab-x", "t/abc/d");
    assertThat(store.list("t/", Optional.of("t/abc/a"), 10).keys())
        .containsExactly("t/abc/d", "t/b");
    assertThat(store.list("t/", Optional.of("t/abc/d"), 10).keys()).containsExactly("t/b");
    assertThat(store.list("t/", Optional.of("zzz"), 10).keys()).isEmpty();
    assertThat(store.list("none/", Optional.empty(), 10).keys()).isEmpty();
    assertThat(store.list("t/", Optional.empty(), 0))
        .satisfies(
            p -> {
              assertThat(p.keys()).isEmpty();
              assertThat(p.truncated()).isTrue();
            });
    cleanUp(keys.toArray(String[]::new));
  }

  @Test
  void deleteIgnoresMissingKeysAndLeavesSiblings() throws Exception {
    store.write("d/one", bytes("1"));
    store.write("d/two", bytes("2"));
    store.delete(List.of("d/one", "d/none", "nowhere/at/all"));
    assertThat(store.list("d/", Optional.empty(), 10).keys()).containsExactly("d/two");
    cleanUp("d/two");
  }

  /**
   * A durable delete deletes as a delete does, including keys whose directories it empties (the
   * filesystem store prunes them, then syncs the nearest directory still there) and keys that are
   * not there.
   */
  @Test
  void deleteDurablyDeletesWhatDeleteDeletes() throws Exception {
    store.write("dd/a/one", bytes("1"));
    store.write("dd/a/two", bytes("2"));
    store.write("dd/b/deep/three", bytes("3"));
    store.deleteDurably(List.of("dd/a/one", "dd/b/deep/three", "dd/none", "nowhere/at/all"));
    assertThat(store.list("dd/", Optional.empty(), 10).keys()).containsExactly("dd/a/two");
    store.deleteDurably(List.of("dd/a/two"));
    assertThat(store.list("dd/", Optional.empty(), 10).keys()).isEmpty();
  }

  @Test
  void openRangeYieldsTheRequestedBytes() throws Exception {
    store.write("r", bytes("0123456789"));
    assertThat(readAll(store.openRange("r", 0, 10))).isEqualTo(bytes("0123456789"));
    assertThat(readAll(store.openRange("r", 3, 4))).isEqualTo(bytes("3456"));
    assertThat(readAll(store.openRange("r", 9, 1))).isEqualTo(bytes("9"));
    assertThat(readAll(store.openRange("r", 10, 0))).isEmpty();
    try (BlobSource source = store.openRange("r", 2, 5)) {
      assertThat(source.length()).isEqualTo(5);
    }
    cleanUp("r");
  }

  @Test
  void openRangeRefusesBytesOutsideTheObject() throws Exception {
    store.write("r", bytes("0123456789"));
    assertThatThrownBy(() -> store.openRange("r", 5, 6))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.openRange("r", 11, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.openRange("r", -1, 2))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.openRange("missing", 0, 1)).isInstanceOf(IOException.class);
    cleanUp("r");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "/a",
        "a/",
        "a//b",
        "a/../b",
        "..",
        ".",
        "a/./b",
        "a b",
        "a\\b",
        "é",
        "a/b\u0000",
        "+staging/x"
      })
  void invalidKeysAreRefused(String key) {
    assertThatThrownBy(() -> store.write(key, bytes("x")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.read(key)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.startMultipart(key))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void invalidPrefixesAreRefused() {
    assertThatThrownBy(() -> store.list("../", Optional.empty(), 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.list("a//", Optional.empty(), 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void multipartIsInvisibleUntilCompleted() throws Exception {
    MultipartWrite write = store.startMultipart("data/m");
    write.write(ByteBuffer.wrap(bytes("hello ")));
    write.write(ByteBuffer.wrap(bytes("world")));
    assertThat(write.size()).isEqualTo(11);
    assertThat(store.stat("data/m")).isEmpty();
    assertThat(store.list("", Optional.empty(), 10).keys()).isEmpty();
    write.complete();
    assertThat(store.read("data/m"))
        .hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("hello world")));
    cleanUp("data/m");
  }

  @Test
  void multipartResumesInAnotherInstanceAndDropsUnsuspendedBytes() throws Exception {
    MultipartWrite write = store.startMultipart("data/r");
    write.write(ByteBuffer.wrap(bytes("kept-")));
    String token = write.suspend();

    MultipartWrite second = store.resumeMultipart("data/r", token);
    second.write(ByteBuffer.wrap(bytes("LOST")));
    // the request dies here: no suspend

    try (ObjectStore other = reopen(store)) {
      MultipartWrite third = other.resumeMultipart("data/r", token);
      assertThat(third.size()).isEqualTo(5);
      third.write(ByteBuffer.wrap(bytes("and-more")));
      String next = third.suspend();
      MultipartWrite last = other.resumeMultipart("data/r", next);
      last.complete();
    }
    assertThat(store.read("data/r"))
        .hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("kept-and-more")));
    cleanUp("data/r");
  }

  @Test
  void multipartOfOddSizedPiecesAcrossSuspendsKeepsEveryByte() throws Exception {
    // Sizes straddle 4 KiB blocks and 1 MiB buffers; suspends land on odd offsets.
    int[] pieces = {1, 4095, 4097, 3, (1 << 20) - 7, (1 << 20) + 9, 5000, 2 << 20, 1, 77777};
    MessageDigest expected = MessageDigest.getInstance("SHA-256");
    Random random = new Random(42);
    MultipartWrite write = store.startMultipart("data/odd");
    long total = 0;
    for (int i = 0; i < pieces.length; i++) {
      byte[] piece = new byte[pieces[i]];
      random.nextBytes(piece);
      expected.update(piece);
      write.write(ByteBuffer.wrap(piece));
      total += piece.length;
      assertThat(write.size()).isEqualTo(total);
      if (i % 3 == 1) {
        write = store.resumeMultipart("data/odd", write.suspend());
        assertThat(write.size()).isEqualTo(total);
      }
    }
    write.complete();
    MessageDigest actual = MessageDigest.getInstance("SHA-256");
    try (BlobSource source = store.openRange("data/odd", 0, total)) {
      actual.update(readAll(source));
    }
    assertThat(actual.digest()).isEqualTo(expected.digest());
    cleanUp("data/odd");
  }

  @Test
  void abortedMultipartLeavesNothing() throws Exception {
    MultipartWrite write = store.startMultipart("data/a");
    write.write(ByteBuffer.wrap(bytes("doomed")));
    String token = write.suspend();
    store.resumeMultipart("data/a", token).abort();
    assertThat(store.stat("data/a")).isEmpty();
    assertThat(store.list("", Optional.empty(), 10).keys()).isEmpty();
  }

  @Test
  void emptyMultipartCompletesToAnEmptyObject() throws Exception {
    MultipartWrite write = store.startMultipart("data/e");
    write.complete();
    assertThat(store.stat("data/e")).hasValueSatisfying(i -> assertThat(i.size()).isZero());
    cleanUp("data/e");
  }

  @Test
  void largeMultipartStreamsThroughInConstantMemory() throws Exception {
    MultipartWrite write = store.startMultipart("data/big");
    ByteBuffer chunk = ByteBuffer.allocate(1024 * 1024);
    long total = 0;
    for (int i = 0; i < 12; i++) {
      chunk.clear();
      while (chunk.hasRemaining()) {
        chunk.put((byte) (i + chunk.position()));
      }
      chunk.flip();
      write.write(chunk);
      total += 1024 * 1024;
      if (i == 5) {
        write = store.resumeMultipart("data/big", write.suspend());
      }
    }
    write.complete();
    assertThat(store.stat("data/big"))
        .hasValueSatisfying(i -> assertThat(i.size()).isEqualTo(12L << 20));
    try (BlobSource source = store.openRange("data/big", 7L << 20, 3)) {
      byte[] three = readAll(source);
      assertThat(three).containsExactly((byte) 7, (byte) 8, (byte) 9);
    }
    assertThat(total).isEqualTo(12L << 20);
    cleanUp("data/big");
  }
}
