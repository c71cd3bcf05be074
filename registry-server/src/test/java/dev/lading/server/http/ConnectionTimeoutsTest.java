package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.registry.Registry;
import dev.lading.core.registry.RegistryOptions;
import dev.lading.core.registry.StoreRegistry;
import dev.lading.core.storage.fs.FilesystemStore;
import dev.lading.server.LadingServer;
import dev.lading.server.config.LadingConfig;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The header, idle and body-stall timeouts over real sockets, each configured to a second or two
 * with the others far away, so that only the one under test can end the connection. Bounds are
 * generous: a test asserts that the connection ends, not when.
 */
class ConnectionTimeoutsTest {
  private static final Duration SHORT = Duration.ofSeconds(1);
  private static final Duration LONG = Duration.ofSeconds(600);
  private static final Duration BOUND = Duration.ofSeconds(15);
  @TempDir Path root;
  LadingServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private LadingServer start(Duration header, Duration idle, Duration bodyStall) {
    server =
        LadingServer.start(LadingConfig.forTests(root).withHttpTimeouts(header, idle, bodyStall));
    return server;
  }

  private double timeouts(String kind) {
    String line = "lading_http_timeouts_total{kind=\"" + kind + "\"} ";
    return server
        .metrics()
        .scrape()
        .lines()
        .filter(l -> l.startsWith(line))
        .mapToDouble(l -> Double.parseDouble(l.substring(line.length())))
        .findFirst()
        .orElse(-1);
  }

  @Test
  void aHeadTrickledByteByByteIsCutOffByTheHeaderTimeout() throws Exception {
    start(SHORT, LONG, LONG);
    try (RawConnection c = new RawConnection(server.port())) {
      byte[] head =
          ("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + "a".repeat(600) + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII);
      // Every byte comes well within any per-byte timeout; only the whole head is late.
      CompletableFuture<Void> trickle =
          CompletableFuture.runAsync(
              () -> {
                try {
                  for (byte b : head) {
                    c.send(new byte[] {b});
                    Thread.sleep(50);
                  }
                } catch (IOException | InterruptedException closed) {
                  // The server ended the connection: what the test waits for.
                }
              });
      assertThat(c.endsWithin(BOUND)).as("ended while the head was still trickling in").isTrue();
      assertThat(trickle).as("the client was still sending its head").isNotDone();
      trickle.cancel(true);
    }
    assertThat(timeouts("header")).isEqualTo(1);
  }

  @Test
  void aConnectionThatNeverSendsARequestIsClosedByTheHeaderTimeout() throws Exception {
    start(SHORT, LONG, LONG);
    try (RawConnection c = new RawConnection(server.port())) {
      assertThat(c.endsWithin(BOUND)).isTrue();
    }
    assertThat(timeouts("header")).isEqualTo(1);
  }

  @Test
  void anIdleKeptAliveConnectionIsClosedByTheIdleTimeout() throws Exception {
    start(LONG, SHORT, LONG);
    try (RawConnection c = new RawConnection(server.port())) {
      c.send("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      RawConnection.Response r = c.read();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.closesConnection()).isFalse();
      assertThat(c.endsWithin(BOUND)).isTrue();
    }
    assertThat(timeouts("idle")).isEqualTo(1);
    assertThat(timeouts("header")).isZero();
  }

  @Test
  void aBodyThatStopsArrivingIsCutOffByTheStallTimeout() throws Exception {
    start(LONG, LONG, SHORT);
    try (LogCapture log = new LogCapture();
        RawConnection c = new RawConnection(server.port())) {
      c.send(
          "POST /v2/a/blobs/uploads/?digest="
              + RunningRegistry.sha256(new byte[100])
              + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n"
              + "x".repeat(10));
      assertThat(c.endsWithin(BOUND)).isTrue();
      assertThat(log.warnings()).as("a client's stall is no server failure").isEmpty();
    }
    assertThat(timeouts("body_stall")).isEqualTo(1);
  }

  /**
   * A store slower than the stall timeout, before the first body byte is read or in the middle of
   * the body (the server holds reading off for backpressure meanwhile), is the server's own time:
   * the upload completes.
   */
  @ParameterizedTest(name = "store pauses after {0} bytes")
  @ValueSource(ints = {0, 64 << 10})
  void aPauseOfTheServerItselfIsNoStall(int pauseAfter) throws Exception {
    Duration pause = Duration.ofSeconds(4);
    FilesystemStore store = new FilesystemStore(root, false);
    Registry slow =
        pausingUploads(new StoreRegistry(store, RegistryOptions.defaults()), pauseAfter, pause);
    server =
        LadingServer.start(
            LadingConfig.forTests(root).withHttpTimeouts(LONG, LONG, SHORT),
            slow,
            RequestAuthorizer.allowAll());
    byte[] blob =
        new byte[8 << 20]; // far beyond the body hand-off's high water mark and the socket buffers
    new Random(5).nextBytes(blob);
    try (store;
        RawConnection c = new RawConnection(server.port())) {
      c.send(
          "POST /v2/a/blobs/uploads/?digest="
              + RunningRegistry.sha256(blob)
              + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: "
              + blob.length
              + "\r\n\r\n");
      CompletableFuture<Void> sending =
          CompletableFuture.runAsync(
              () -> {
                try {
                  c.send(blob);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
      RawConnection.Response r = c.read();
      assertThat(r.status()).as(r.head() + r.body()).isEqualTo(201);
      sending.get(30, TimeUnit.SECONDS);
    }
    assertThat(timeouts("body_stall")).isZero();
  }

  /**
   * A client that waits for {@code 100 Continue} sends nothing until the server asks for the body,
   * however long the server took to get there; its stall clock starts when the server starts
   * reading, not when the head arrived.
   */
  @Test
  void theStallClockStartsWhenTheServerStartsReading() throws Exception {
    // The server reads from 5 s on, the client sends at 7 s; a stall counted from the head (0 s)
    // would end the connection at the check due at 6 s.
    Duration stall = Duration.ofSeconds(3);
    FilesystemStore store = new FilesystemStore(root, false);
    Registry slow =
        pausingUploads(
            new StoreRegistry(store, RegistryOptions.defaults()), 0, Duration.ofSeconds(5));
    server =
        LadingServer.start(
            LadingConfig.forTests(root).withHttpTimeouts(LONG, LONG, stall),
            slow,
            RequestAuthorizer.allowAll());
    byte[] blob = new byte[1000];
    try (store;
        RawConnection c = new RawConnection(server.port())) {
      c.send(
          "POST /v2/a/blobs/uploads/?digest="
              + RunningRegistry.sha256(blob)
              + " HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: "
              + blob.length
              + "\r\n\r\n");
      assertThat(c.read().status()).isEqualTo(100);
      Thread.sleep(2_000); // a slow client, but within the stall timeout
      c.send(blob);
      RawConnection.Response r = c.read();
      assertThat(r.status()).as(r.head() + r.body()).isEqualTo(201);
    }
    assertThat(timeouts("body_stall")).isZero();
  }

  /** {@code registry} with every {@code putBlob} body pausing once, after {@code after} bytes. */
  private static Registry pausingUploads(Registry registry, int after, Duration pause) {
    return (Registry)
        Proxy.newProxyInstance(
            Registry.class.getClassLoader(),
            new Class<?>[] {Registry.class},
            (proxy, method, args) -> {
              if (method.getName().equals("putBlob")) {
                args[2] = new PausingStream((InputStream) args[2], after, pause);
              }
              try {
                return method.invoke(registry, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  /** Sleeps once, when {@code after} bytes have been read, as a store falling behind would. */
  private static final class PausingStream extends FilterInputStream {
    private final long after;
    private final Duration pause;
    private long read;
    private boolean paused;

    PausingStream(InputStream in, long after, Duration pause) {
      super(in);
      this.after = after;
      this.pause = pause;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (!paused && read >= after) {
        paused = true;
        try {
          Thread.sleep(pause);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException();
        }
      }
      int n = super.read(b, off, read < after ? (int) Math.min(len, after - read) : len);
      if (n > 0) {
        read += n;
      }
      return n;
    }
  }
}
