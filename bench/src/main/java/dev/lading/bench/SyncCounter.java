package dev.lading.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Counts a running process's {@code fsync} and {@code fdatasync} calls with {@code strace -f -c -e
 * trace=fsync,fdatasync -p PID}, attached for one short pass and detached after. {@code -f} with
 * {@code -p} attaches every thread of the process, and the threads it starts later. Tracing stops
 * the process at every system call it makes, not only the traced ones (an attach cannot install
 * strace's seccomp filter), so a traced pass is slow: it counts, it is never timed.
 */
final class SyncCounter implements AutoCloseable {

  static final Set<String> SYSCALLS = Set.of("fsync", "fdatasync");
  private static final Path STRACE = Path.of("/usr/bin/strace");

  private final Process strace;
  private final Path output;

  private SyncCounter(Process strace, Path output) {
    this.strace = strace;
    this.output = output;
  }

  /** True when strace is installed; it is looked for, never installed. */
  static boolean available() {
    return Files.isExecutable(STRACE);
  }

  /**
   * Attaches to {@code pid} and returns once every thread it has is traced, so no call of the pass
   * goes uncounted; {@code output} receives strace's summary.
   */
  static SyncCounter attach(long pid, Path output) throws IOException {
    Files.deleteIfExists(output);
    Process strace =
        new ProcessBuilder(
                STRACE.toString(),
                "-f",
                "-c",
                "-o",
                output.toString(),
                "-e",
                "trace=" + String.join(",", SYSCALLS.stream().sorted().toList()),
                "-p",
                Long.toString(pid))
            .redirectErrorStream(true)
            .redirectOutput(output.resolveSibling(output.getFileName() + ".log").toFile())
            .start();
    SyncCounter counter = new SyncCounter(strace, output);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!allThreadsTraced(pid, strace.pid())) {
      if (!strace.isAlive() || System.nanoTime() > deadline) {
        counter.close();
        throw new IOException(
            "strace did not attach to every thread of " + pid + " (exit " + exitOf(strace) + ")");
      }
      sleep(50);
    }
    return counter;
  }

  /** Detaches (SIGTERM makes strace detach and write its summary) and returns the calls seen. */
  long stop() throws IOException {
    strace.destroy();
    try {
      if (!strace.waitFor(30, TimeUnit.SECONDS)) {
        strace.destroyForcibly();
        throw new IOException("strace did not stop within 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while stopping strace", e);
    }
    return calls(Files.readAllLines(output, StandardCharsets.UTF_8));
  }

  /**
   * The calls of {@link #SYSCALLS} in an {@code strace -c} summary: rows of {@code % time, seconds,
   * usecs/call, calls, [errors,] syscall}, the calls in the fourth column whether or not the errors
   * column is filled. No row (a pass without a sync) is 0.
   */
  static long calls(List<String> summary) {
    long calls = 0;
    for (String line : summary) {
      String[] fields = line.trim().split("\\s+");
      if (fields.length >= 5 && SYSCALLS.contains(fields[fields.length - 1])) {
        calls += Long.parseLong(fields[3]);
      }
    }
    return calls;
  }

  @Override
  public void close() {
    if (strace.isAlive()) {
      strace.destroy();
      try {
        if (!strace.waitFor(30, TimeUnit.SECONDS)) {
          strace.destroyForcibly();
        }
      } catch (InterruptedException e) {
        strace.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  /** True when every task of {@code pid} has {@code tracer} as its TracerPid. */
  private static boolean allThreadsTraced(long pid, long tracer) throws IOException {
    Path tasks = Path.of("/proc", Long.toString(pid), "task");
    try (Stream<Path> list = Files.list(tasks)) {
      for (Path task : list.toList()) {
        String status;
        try {
          status = Files.readString(task.resolve("status"));
        } catch (IOException gone) {
          continue; // the thread ended meanwhile
        }
        if (!status.contains("\nTracerPid:\t" + tracer + "\n")) {
          return false;
        }
      }
    }
    return true;
  }

  private static String exitOf(Process p) {
    return p.isAlive() ? "still running" : Integer.toString(p.exitValue());
  }

  private static void sleep(long millis) throws IOException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
