package dev.lading.core.storage.fs;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.lading.core.storage.ListedLevel;
import dev.lading.core.storage.ListedObject;
import dev.lading.core.storage.MultipartWrite;
import dev.lading.core.storage.ObjectWrite;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The filesystem store with its index of small objects, beyond the contract: files from before the
 * index, keys that stay files, stores of one process sharing one index, and a writer killed while
 * it commits.
 */
class FilesystemSmallObjectIndexTest {
  @TempDir Path dir;

  private static byte[] bytes(String s) {
    return s.getBytes(US_ASCII);
  }

  @Test
  void filesFromBeforeTheIndexAreReadShadowedListedOnceAndDeleted() throws Exception {
    Path root = dir.resolve("root");
    try (FilesystemStore files = new FilesystemStore(root, false, false)) {
      files.write("r/a", bytes("old"));
      files.write("r/b", bytes("file"));
    }
    try (FilesystemStore store = new FilesystemStore(root, false, true)) {
      assertThat(store.read("r/a")).hasValue(bytes("old"));
      store.write("r/a", bytes("newer"));
      store.write("r/c", bytes("entry"));
      assertThat(store.read("r/a")).hasValue(bytes("newer"));
      assertThat(store.stat("r/a").orElseThrow().size()).isEqualTo(5);
      assertThat(store.writeIfAbsent("r/b", bytes("x"))).as("the file is an object").isFalse();
      assertThat(store.read("r/b")).hasValue(bytes("file"));

      List<ListedObject> listed = store.listWithInfo("r/", Optional.empty(), 10).objects();
      assertThat(listed).extracting(ListedObject::key).containsExactly("r/a", "r/b", "r/c");
      assertThat(listed.get(0).info().size()).as("the entry, not the file it shadows").isEqualTo(5);
      assertThat(store.list("r/", Optional.of("r/a"), 1).keys()).containsExactly("r/b");

      store.deleteDurably(List.of("r/a", "r/b", "r/c"));
      assertThat(store.read("r/a")).isEmpty();
      assertThat(store.read("r/b")).isEmpty();
      assertThat(store.list("r/", Optional.empty(), 10).keys()).isEmpty();
      assertThat(root.resolve("r")).doesNotExist();
    }
  }

  @Test
  void aLevelMergesEntriesWithFilesAndPagesThroughBothInKeyOrder() throws Exception {
    Path root = dir.resolve("root");
    try (FilesystemStore files = new FilesystemStore(root, false, false)) {
      files.write("r/a/x", bytes("1"));
      files.write("r/f", bytes("2"));
    }
    try (FilesystemStore store = new FilesystemStore(root, false, true)) {
      store.write("r/a/y", bytes("3"));
      store.write("r/b/z/deep", bytes("4"));
      store.write("r/e", bytes("5"));
      ListedLevel whole = store.listLevel("r/", Optional.empty(), 10);
      assertThat(whole.prefixes()).containsExactly("r/a/", "r/b/");
      assertThat(whole.objects()).extracting(ListedObject::key).containsExactly("r/e", "r/f");
      assertThat(whole.truncated()).isFalse();

      List<String> paged = new ArrayList<>();
      Optional<String> after = Optional.empty();
      while (true) {
        ListedLevel page = store.listLevel("r/", after, 1);
        page.prefixes().forEach(paged::add);
        page.objects().forEach(o -> paged.add(o.key()));
        if (!page.truncated()) {
          break;
        }
        after = page.lastEntry();
      }
      assertThat(paged).containsExactly("r/a/", "r/b/", "r/e", "r/f");
      assertThat(store.listLevel("r/", Optional.of("r/a/"), 10).prefixes()).containsExactly("r/b/");
      store.delete(List.of("r/a/x", "r/f", "r/a/y", "r/b/z/deep", "r/e"));
      assertThat(store.listLevel("", Optional.empty(), 10).prefixes()).isEmpty();
    }
  }

  @Test
  void keysAtTheRootAndKeysTooLongForTheIndexStayFiles() throws Exception {
    Path root = dir.resolve("root");
    String marker = "lading-format";
    String longKey = "r/" + ("x".repeat(200) + "/").repeat(3) + "k"; // 606 characters
    try (FilesystemStore store = new FilesystemStore(root, false, true)) {
      store.write(marker, bytes("5"));
      store.write(longKey, bytes("long"));
      store.write("r/short", bytes("short"));
      assertThat(root.resolve(marker)).as("an older Lading finds the marker").hasContent("5");
      assertThat(root.resolve(longKey)).hasContent("long");
      assertThat(root.resolve("r/short")).doesNotExist();
      assertThat(store.read(longKey)).hasValue(bytes("long"));
      assertThat(store.list("r/", Optional.empty(), 10).keys()).containsExactly("r/short", longKey);
      store.delete(List.of(marker, longKey, "r/short"));
      assertThat(store.list("", Optional.empty(), 10).keys()).isEmpty();
    }
  }

  @Test
  void storesOfOneProcessShareTheIndexUntilTheLastCloses() throws Exception {
    Path root = dir.resolve("root");
    FilesystemStore first = new FilesystemStore(root, false, true);
    FilesystemStore second = new FilesystemStore(root, false, true);
    first.write("r/k", bytes("v"));
    assertThat(second.read("r/k")).hasValue(bytes("v"));
    first.close();
    first.close(); // a second close releases nothing more
    second.write("r/k", bytes("w"));
    assertThat(second.read("r/k")).hasValue(bytes("w"));
    second.close();
    try (FilesystemStore reopened = new FilesystemStore(root, false, true)) {
      assertThat(reopened.read("r/k")).hasValue(bytes("w"));
    }
  }

  @Test
  void aClosedStoreRefusesReadsAndWritesOfItsIndexInsteadOfWaiting() throws Exception {
    FilesystemStore store = new FilesystemStore(dir.resolve("root"), false, true);
    store.write("r/k", bytes("v"));
    store.close();
    assertThatThrownBy(() -> store.write("r/k", bytes("w"))).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> store.read("r/k")).isInstanceOf(IOException.class);
    try (FilesystemStore reopened = new FilesystemStore(dir.resolve("root"), false, true)) {
      assertThat(reopened.read("r/k")).hasValue(bytes("v"));
    }
  }

  @Test
  void closingAfterWritesLogsNoErrorForTheCommitterStillFinishingItsTransaction() throws Exception {
    // A close right after a write raced the committer closing its last transaction; it logged a
    // failed commit at every other server stop. The close now waits for the committer to end.
    Logger logger = (Logger) LoggerFactory.getLogger(SmallObjectIndex.class);
    ListAppender<ILoggingEvent> events = new ListAppender<>();
    events.start();
    logger.addAppender(events);
    try {
      for (int i = 0; i < 200; i++) {
        FilesystemStore store = new FilesystemStore(dir.resolve("root"), false, true);
        store.write("r/k" + i, bytes("v"));
        store.close();
      }
    } finally {
      logger.detachAppender(events);
    }
    assertThat(events.list).filteredOn(e -> e.getLevel() == Level.ERROR).isEmpty();
    try (FilesystemStore reopened = new FilesystemStore(dir.resolve("root"), false, true)) {
      assertThat(reopened.list("r/", Optional.empty(), 1000).keys()).hasSize(200);
    }
  }

  @Test
  void readsOnReusedTransactionsSeeEveryWriteAcknowledgedBeforeThem() throws Exception {
    // Reads reuse idle read transactions; each must take a fresh snapshot, not the one of its
    // previous read, also when more readers run at once than transactions are kept idle.
    try (FilesystemStore store = new FilesystemStore(dir.resolve("root"), false, true)) {
      store.write("r/k", bytes("v0"));
      assertThat(store.read("r/k")).hasValue(bytes("v0"));
      store.write("r/k", bytes("v1"));
      assertThat(store.read("r/k")).hasValue(bytes("v1"));
      List<Thread> readers = new ArrayList<>();
      List<String> wrong = Collections.synchronizedList(new ArrayList<>());
      for (int t = 0; t < 100; t++) {
        String key = "r/t" + t;
        readers.add(
            Thread.ofVirtual()
                .start(
                    () -> {
                      try {
                        for (int i = 0; i < 20; i++) {
                          store.write(key, bytes("v" + i));
                          String read =
                              store.read(key).map(b -> new String(b, US_ASCII)).orElse("none");
                          if (!read.equals("v" + i)) {
                            wrong.add(key + ": " + read + " after v" + i);
                          }
                        }
                      } catch (IOException e) {
                        wrong.add(key + ": " + e);
                      }
                    }));
      }
      for (Thread reader : readers) {
        reader.join();
      }
      assertThat(wrong).isEmpty();
    }
  }

  @Test
  void aCompletedMultipartWriteReplacesAnEntryOfTheSameKey() throws Exception {
    try (FilesystemStore store = new FilesystemStore(dir.resolve("root"), false, true)) {
      store.write("d/x", bytes("small"));
      MultipartWrite write = store.startMultipart("d/x");
      write.write(ByteBuffer.wrap(bytes("streamed")));
      write.complete();
      assertThat(store.read("d/x")).hasValue(bytes("streamed"));
      assertThat(store.list("d/", Optional.empty(), 10).keys()).containsExactly("d/x");
      store.delete(List.of("d/x"));
    }
  }

  /**
   * A child process writes entries and prints each key once its write has returned; it is killed
   * with SIGKILL mid-stream, possibly holding LMDB's write lock or inside a commit. The index opens
   * again and holds every acknowledged entry and every batch whole or not at all, and takes writes
   * again.
   */
  @Test
  void aWriterKilledMidCommitLosesNothingAcknowledged() throws Exception {
    Path root = dir.resolve("root");
    Process child =
        childJvm(List.of(), IndexWriter.class, root.toString())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    List<String> acknowledged = new ArrayList<>();
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), US_ASCII))) {
      String line;
      while (acknowledged.size() < 300 && (line = out.readLine()) != null) {
        acknowledged.add(line);
      }
      child.destroyForcibly();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(acknowledged).hasSize(300);
    try (FilesystemStore store = new FilesystemStore(root, false, true)) {
      for (String key : acknowledged) {
        if (key.startsWith("w")) {
          assertThat(store.read(key)).as(key).hasValue(bytes(key));
        } else {
          for (String part : BATCH) {
            assertThat(store.read(key + part)).as(key + part).hasValue(bytes(key + part));
          }
        }
      }
      // A batch is one commit: one the kill cut short left none of its writes, acknowledged or not.
      for (String prefix : List.of("b2/", "b3/")) {
        Map<String, Long> partsPerBatch =
            store.list(prefix, Optional.empty(), 100_000).keys().stream()
                .collect(
                    Collectors.groupingBy(
                        k -> k.substring(0, k.lastIndexOf('/')), Collectors.counting()));
        assertThat(partsPerBatch).isNotEmpty();
        assertThat(partsPerBatch)
            .allSatisfy((batch, parts) -> assertThat(parts).as(batch).isEqualTo(3));
      }
      store.write("after/kill", bytes("ok"));
      assertThat(store.read("after/kill")).hasValue(bytes("ok"));
    }
  }

  /**
   * Keys and values reach LMDB through native memory that must stay alive until the call that reads
   * it returns. With LmdbJava's byte-array proxy a collection in between freed it under the call:
   * values landed under keys they were not written to, or the JVM crashed in mdb_put. A child
   * process writes, reads back and lists small entries from 4 threads while a fifth allocates
   * garbage without pause in a small young generation; it must end on its own having read back
   * every value as written (it failed within seconds before the index owned its buffers).
   */
  @Test
  void keysAndValuesOutliveTheirLmdbCallsWhileGarbageIsCollected() throws Exception {
    Process child =
        childJvm(
                List.of(
                    "-Xmx32m",
                    "-Xmn2m",
                    "-XX:-CreateCoredumpOnCrash",
                    "-XX:ErrorFile=" + dir.resolve("hs_err_%p.log")),
                IndexUnderCollection.class,
                dir.resolve("root").toString(),
                "8")
            .redirectErrorStream(true)
            .start();
    String output = new String(child.getInputStream().readAllBytes(), US_ASCII);
    assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(child.exitValue()).as(output).isZero();
    assertThat(output).contains("rounds");
  }

  /**
   * The child of {@link #keysAndValuesOutliveTheirLmdbCallsWhileGarbageIsCollected}: for the
   * seconds given, 4 threads write, read back and list entries of up to 2 KiB while a fifth
   * allocates garbage; exits 1 on the first value or listing that differs.
   */
  public static final class IndexUnderCollection {
    public static void main(String[] args) throws Exception {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(args[1]));
      FilesystemStore store = new FilesystemStore(Path.of(args[0]), false, true);
      Thread collector =
          Thread.ofPlatform()
              .daemon()
              .start(
                  () -> {
                    byte[][] garbage = new byte[64][];
                    for (int i = 0; ; i++) {
                      garbage[i % garbage.length] = new byte[16 * 1024];
                    }
                  });
      AtomicLong rounds = new AtomicLong();
      List<Thread> workers = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        workers.add(
            Thread.ofVirtual()
                .start(
                    () -> {
                      try {
                        for (int i = 0; System.nanoTime() < end; i++) {
                          String key = "t" + thread + "/" + (i % 16);
                          byte[] value = new byte[1 + (i % 2048)];
                          Arrays.fill(value, (byte) (thread * 31 + i));
                          store.write(key, value);
                          if (!Arrays.equals(store.read(key).orElseThrow(), value)) {
                            System.out.println("read " + key + " differs from what was written");
                            System.exit(1);
                          }
                          if (store.list("t" + thread + "/", Optional.empty(), 100).keys().stream()
                              .anyMatch(k -> !k.startsWith("t" + thread + "/"))) {
                            System.out.println("listing of t" + thread + "/ went astray");
                            System.exit(1);
                          }
                          rounds.incrementAndGet();
                        }
                      } catch (IOException e) {
                        e.printStackTrace(System.out);
                        System.exit(1);
                      }
                    }));
      }
      for (Thread worker : workers) {
        worker.join();
      }
      System.out.println(rounds.get() + " rounds");
      store.close();
      System.exit(0);
    }
  }

  /** A JVM with this test's class path running {@code main}'s main method. */
  private static ProcessBuilder childJvm(List<String> options, Class<?> main, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(options);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(main.getName());
    command.addAll(List.of(args));
    return new ProcessBuilder(command);
  }

  /** The keys a batch of {@link IndexWriter} writes under its own prefix. */
  private static final List<String> BATCH = List.of("/a", "/b", "/c");

  /**
   * The child of {@link #aWriterKilledMidCommitLosesNothingAcknowledged}: writes until killed, two
   * threads one entry at a time, two a batch of three.
   */
  public static final class IndexWriter {
    public static void main(String[] args) throws Exception {
      FilesystemStore store = new FilesystemStore(Path.of(args[0]), false, true);
      List<Thread> writers = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        writers.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      try {
                        for (int i = 0; ; i++) {
                          String key = (thread < 2 ? "w" : "b") + thread + "/" + i;
                          if (thread < 2) {
                            store.write(key, bytes(key));
                          } else {
                            List<ObjectWrite> batch = new ArrayList<>();
                            for (String part : BATCH) {
                              batch.add(ObjectWrite.replace(key + part, bytes(key + part)));
                            }
                            store.writeAll(batch);
                          }
                          synchronized (System.out) {
                            System.out.println(key);
                            System.out.flush();
                          }
                        }
                      } catch (Exception e) {
                        e.printStackTrace();
                      }
                    }));
      }
      for (Thread writer : writers) {
        writer.join();
      }
    }
  }
}
