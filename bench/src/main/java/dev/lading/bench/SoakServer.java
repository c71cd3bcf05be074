package dev.lading.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The Lading process a soak runs against, killed with SIGKILL and started again on the same port
 * and store, as often as the crash loop likes. It remembers when each restart happened, so a 5xx
 * can be told apart: one answered while the server was coming back is expected, one long after is a
 * finding.
 */
final class SoakServer implements AutoCloseable {

  /** After a restart answers, this long still counts as its window (stores settle, caches fill). */
  private static final Duration SETTLE = Duration.ofSeconds(5);

  private static final int START_TRIES = 5;

  /** From the kill until the new process had answered for {@link #SETTLE}. */
  private record Window(long fromNanos, long toNanos) {
    boolean covers(long nanos) {
      return fromNanos <= nanos && nanos <= toNanos;
    }
  }

  private final Path jar;
  private final List<String> jvmOptions;
  private final Path directory;
  private final int port;
  private final Map<String, String> env;
  private final List<Window> windows = new CopyOnWriteArrayList<>();
  private volatile ServerProcess process;

  SoakServer(Path jar, List<String> jvmOptions, Path directory, Map<String, String> env)
      throws IOException {
    this.jar = jar;
    this.jvmOptions = List.copyOf(jvmOptions);
    this.directory = directory;
    this.port = ServerProcess.freePort();
    this.env = Map.copyOf(env);
  }

  synchronized void start() throws IOException {
    process = startOnPort();
  }

  int port() {
    return port;
  }

  long pid() {
    return process.pid();
  }

  RegistryClient client() {
    return new RegistryClient("127.0.0.1", port);
  }

  /** SIGKILL, then the same jar on the same port and store; returns the seconds it was down. */
  synchronized double killAndRestart() throws IOException, InterruptedException {
    long killed = System.nanoTime();
    windows.add(new Window(killed, Long.MAX_VALUE));
    process.kill();
    return restartAfter(killed);
  }

  /**
   * Starts the server again when it died without being killed (itself: an OOM, a crash); returns
   * its exit status then, or -1 when it is alive.
   */
  synchronized int restartIfDead() throws IOException {
    if (process.isAlive()) {
      return -1;
    }
    long noticed = System.nanoTime();
    windows.add(new Window(noticed, Long.MAX_VALUE));
    int status = process.exitValue();
    restartAfter(noticed);
    return status;
  }

  private double restartAfter(long downSince) throws IOException {
    process = startOnPort();
    long ready = System.nanoTime();
    windows.set(windows.size() - 1, new Window(downSince, ready + SETTLE.toNanos()));
    return (ready - downSince) / 1e9;
  }

  /**
   * The listening port of a SIGKILLed JVM is free at once, but a start can still lose a race for it
   * (or fail for a reason its log names): try a few times before giving up the run.
   */
  private ServerProcess startOnPort() throws IOException {
    IOException last = null;
    for (int i = 0; i < START_TRIES; i++) {
      try {
        return ServerProcess.ladingOnPort(jar, jvmOptions, directory, port, env);
      } catch (IOException e) {
        last = e;
        try {
          Thread.sleep(1000);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while restarting the server", interrupted);
        }
      }
    }
    throw last;
  }

  /** Whether {@code nanos} (a System.nanoTime) fell while the server was down or settling. */
  boolean inRestartWindow(long nanos) {
    for (Window w : windows) {
      if (w.covers(nanos)) {
        return true;
      }
    }
    return false;
  }

  /** Waits until {@code GET /v2/} answers; false when it did not within {@code timeout}. */
  boolean awaitUp(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    RegistryClient client = client();
    while (System.nanoTime() < deadline) {
      if (client.answers()) {
        return true;
      }
      Thread.sleep(200);
    }
    return false;
  }

  String logTail() {
    return process.logTail();
  }

  /** A graceful stop (SIGTERM, drain), as an operator would at the end. */
  @Override
  public synchronized void close() {
    if (process != null) {
      process.close();
    }
  }
}
