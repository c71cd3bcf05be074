package dev.lading.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The filesystem's share of a small write, without the registry: what the durable writes of one
 * closing {@code PUT} of a 1 KiB blob cost the kernel on the filesystem under {@code --dir}, done
 * the way the filesystem store does them, next to the same bytes appended to one log whose
 * concurrent writers share each fsync (group commit). It prints writes/s and the CPU time (user +
 * system of this process, from {@code /proc/self/stat}) per write, for each thread count.
 *
 * <ul>
 *   <li><b>files</b>, as the store at layout version 4: the blob's record (1.4 KiB) written to a
 *       staging file, fsynced, hard-linked into its shard directory, which is fsynced, and the
 *       staging name unlinked; the repository's layer link created empty in place and its directory
 *       fsynced; the upload's closed state created empty in place.
 *   <li><b>log</b>: the same three keys and contents appended to one file as length-prefixed
 *       entries; a writer returns once an fdatasync that started after its append has ended, and
 *       one fdatasync covers every append before it.
 * </ul>
 *
 * <p>What the log leaves out, and a store built on one would need: reading the entries back (an
 * index), compaction, and recovery at start. The log's row is the cost of the durable write alone,
 * the floor such a design could reach; the files row is what this layout pays for it.
 *
 * <pre>
 * java -cp bench/target/lading-bench.jar dev.lading.bench.SmallWriteFloor --dir /mnt/b/floor
 * </pre>
 */
@Command(
    name = "small-write-floor",
    mixinStandardHelpOptions = true,
    description =
        "The filesystem's cost of one small durable write: the store's files against a"
            + " group-committed log.")
public final class SmallWriteFloor implements Callable<Integer> {
  private static final int RECORD_BYTES = 1394;

  @Option(names = "--dir", required = true, description = "A fresh directory on the filesystem.")
  Path dir;

  @Option(names = "--writes", description = "Writes per run (default 4000).")
  int writes = 4000;

  @Option(
      names = "--threads",
      split = ",",
      description = "Concurrent writers, one run per entry (default 1,8).")
  List<Integer> threads = List.of(1, 8);

  private final PrintStream out = System.out;

  public static void main(String[] args) {
    System.exit(new CommandLine(new SmallWriteFloor()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    out.printf(
        Locale.ROOT,
        "small-write-floor: %s (%s), %d writes per run%n",
        dir,
        Files.getFileStore(Files.createDirectories(dir)).type(),
        writes);
    out.printf(
        Locale.ROOT, "  %-6s %8s %12s %16s%n", "layout", "threads", "writes/s", "CPU us/write");
    int run = 0;
    for (int n : threads) {
      for (String layout : List.of("files", "log")) {
        Path root = Files.createDirectories(dir.resolve("run" + run++));
        Writer writer = layout.equals("files") ? new FileWrites(root, n) : new LogWrites(root);
        writer.write(0, 0); // directories created, classes loaded
        double cpuBefore = processCpuSeconds();
        long start = System.nanoTime();
        runConcurrently(writer, n);
        long nanos = System.nanoTime() - start;
        double cpu = processCpuSeconds() - cpuBefore;
        writer.close();
        out.printf(
            Locale.ROOT,
            "  %-6s %8d %12.0f %16.1f%n",
            layout,
            n,
            writes / (nanos / 1e9),
            cpu * 1e6 / writes);
      }
    }
    return 0;
  }

  private void runConcurrently(Writer writer, int n) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<Void>> done = new ArrayList<>();
      for (int t = 0; t < n; t++) {
        int thread = t;
        done.add(
            pool.submit(
                () -> {
                  for (int i = thread; i < writes; i += n) {
                    writer.write(thread, i + 1);
                  }
                  return null;
                }));
      }
      for (Future<Void> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
  }

  /** One small write's durable steps; {@code thread} picks the writer's repository. */
  private interface Writer extends AutoCloseable {
    void write(int thread, int index) throws IOException;

    @Override
    default void close() throws IOException {}
  }

  private static byte[] record(int index) {
    byte[] bytes = new byte[RECORD_BYTES];
    new SplittableRandom(index).nextBytes(bytes);
    return bytes;
  }

  private static String digestHex(int index) {
    byte[] b = new byte[32];
    new SplittableRandom(~index).nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** The store's steps for one closing PUT of a small blob at layout version 4. */
  private static final class FileWrites implements Writer {
    private final Path root;

    /** Every directory made before the run: the store's writes find theirs in place. */
    FileWrites(Path root, int threads) throws IOException {
      this.root = root;
      for (int i = 0; i < 256; i++) {
        Files.createDirectories(root.resolve("blobs/sha256/" + String.format("%02x", i)));
      }
      for (int i = 0; i < 16; i++) {
        Files.createDirectories(root.resolve("+staging/" + i));
      }
      for (int t = 0; t < threads; t++) {
        Files.createDirectories(root.resolve("repositories/r" + t + "/_layers"));
        Files.createDirectories(root.resolve("repositories/r" + t + "/_uploads"));
      }
    }

    @Override
    public void write(int thread, int index) throws IOException {
      String hex = digestHex(index);
      Path shard = root.resolve("blobs/sha256/" + hex.substring(0, 2));
      Path staging = root.resolve("+staging/" + (index % 16));
      Path links = root.resolve("repositories/r" + thread + "/_layers");
      Path uploads = root.resolve("repositories/r" + thread + "/_uploads");

      Path temp = staging.resolve("t" + index);
      try (FileChannel c =
          FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        c.write(ByteBuffer.wrap(record(index)));
        c.force(true);
      }
      Files.createLink(shard.resolve(hex), temp);
      fsync(shard);
      Files.delete(temp);

      FileChannel.open(links.resolve(hex), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)
          .close();
      fsync(links);

      FileChannel.open(
              uploads.resolve("u" + index), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)
          .close();
    }

    private static void fsync(Path directory) throws IOException {
      try (FileChannel c = FileChannel.open(directory, StandardOpenOption.READ)) {
        c.force(true);
      }
    }
  }

  /** The same keys and bytes appended to one log, each fdatasync shared by all before it. */
  private static final class LogWrites implements Writer {
    private final FileChannel log;
    private long appended;
    private long durable;
    private boolean syncing;

    LogWrites(Path root) throws IOException {
      log =
          FileChannel.open(
              root.resolve("log"),
              StandardOpenOption.CREATE_NEW,
              StandardOpenOption.WRITE,
              StandardOpenOption.APPEND);
    }

    @Override
    public void write(int thread, int index) throws IOException {
      String hex = digestHex(index);
      ByteBuffer entries = ByteBuffer.allocate(RECORD_BYTES + 512);
      entry(entries, "blobs/sha256/" + hex.substring(0, 2) + "/" + hex, record(index));
      entry(entries, "repositories/r" + thread + "/_layers/sha256/" + hex, new byte[0]);
      entry(entries, "repositories/r" + thread + "/_uploads/u" + index, new byte[0]);
      entries.flip();
      long end;
      synchronized (this) {
        while (entries.hasRemaining()) {
          log.write(entries);
        }
        end = appended += entries.limit();
      }
      awaitDurable(end);
    }

    private static void entry(ByteBuffer buffer, String key, byte[] value) {
      byte[] k = key.getBytes(StandardCharsets.US_ASCII);
      buffer.putShort((short) k.length).put(k).putInt(value.length).put(value);
    }

    /** Group commit: one writer syncs for everyone who appended before the sync began. */
    private void awaitDurable(long end) throws IOException {
      while (true) {
        long target;
        synchronized (this) {
          while (syncing && durable < end) {
            try {
              wait();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new IOException("interrupted", e);
            }
          }
          if (durable >= end) {
            return;
          }
          syncing = true;
          target = appended;
        }
        try {
          log.force(false);
        } finally {
          synchronized (this) {
            syncing = false;
            durable = Math.max(durable, target);
            notifyAll();
          }
        }
      }
    }

    @Override
    public void close() throws IOException {
      log.close();
    }
  }

  private static double processCpuSeconds() throws IOException {
    return ServerProcess.cpuSeconds(ProcessHandle.current().pid());
  }
}
