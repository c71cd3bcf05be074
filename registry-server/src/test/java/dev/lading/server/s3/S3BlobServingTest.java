package dev.lading.server.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.registry.RegistryOptions;
import dev.lading.core.registry.StoreRegistry;
import dev.lading.core.storage.BlobSource;
import dev.lading.core.storage.ForwardingObjectStore;
import dev.lading.core.storage.ObjectStore;
import dev.lading.core.testing.StrictMultipart;
import dev.lading.server.LadingServer;
import dev.lading.server.config.LadingConfig;
import dev.lading.server.http.RequestAuthorizer;
import dev.lading.storage.s3.S3Store;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Blob GETs served from the S3 store: streamed with backpressure, or redirected when asked. */
class S3BlobServingTest {
  private static final int MIB = 1 << 20;
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @TempDir Path root;

  @Test
  void aClientThatStopsReadingStopsTheReadsFromS3() throws Exception {
    byte[] blob = new byte[64 * MIB];
    new Random(3).nextBytes(blob);
    LadingConfig config = EmbeddedS3.serverConfig(root, "backpressure", false);
    try (CountingStore store =
            new CountingStore(S3Store.create(config.storage().s3().orElseThrow().store()));
        LadingServer server =
            LadingServer.start(
                config,
                new StoreRegistry(store, RegistryOptions.defaults()),
                RequestAuthorizer.allowAll())) {
      String digest = push(server, "slow/reader", blob);

      try (Socket socket = new Socket()) {
        socket.setReceiveBufferSize(64 * 1024);
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()));
        OutputStream out = socket.getOutputStream();
        out.write(
            ("GET /v2/slow/reader/blobs/" + digest + " HTTP/1.1\r\nHost: x\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = socket.getInputStream();
        byte[] head = readHead(in);
        assertThat(new String(head, StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 200");

        // The client reads nothing more. The server must stop pulling from S3 once the socket
        // and its outbound buffer (1 MiB high water mark) are full: wait until the thread that
        // reads from S3 waits for the client to read, then check it read a small part of the blob.
        long settled = awaitWaitingForTheClient(store);
        assertThat(settled)
            .as("bytes read from S3 while the client read nothing")
            .isLessThan(24L * MIB);

        // Reading on resumes the stream, and every byte arrives.
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[MIB];
        long remaining = blob.length;
        while (remaining > 0) {
          int n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
          assertThat(n).isPositive();
          sha.update(buffer, 0, n);
          remaining -= n;
        }
        assertThat("sha256:" + HexFormat.of().formatHex(sha.digest())).isEqualTo(digest);
        assertThat(store.streamed.get()).isEqualTo(blob.length);
      }
    }
  }

  @Test
  void redirectedGetLeadsToTheBytesAndARangeWorksThroughIt() throws Exception {
    byte[] blob = new byte[6 * MIB + 99];
    new Random(5).nextBytes(blob);
    try (LadingServer server =
        LadingServer.start(EmbeddedS3.serverConfig(root, "redirect", true))) {
      String digest = push(server, "ml/weights", blob);
      URI url = URI.create("http://127.0.0.1:" + server.port() + "/v2/ml/weights/blobs/" + digest);

      HttpResponse<Void> head =
          http.send(
              HttpRequest.newBuilder(url)
                  .method("HEAD", HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      assertThat(head.statusCode()).as("HEAD is never redirected").isEqualTo(200);
      assertThat(head.headers().firstValueAsLong("Content-Length")).hasValue(blob.length);

      HttpResponse<Void> redirect =
          http.send(
              HttpRequest.newBuilder(url).GET().build(), HttpResponse.BodyHandlers.discarding());
      assertThat(redirect.statusCode()).isEqualTo(307);
      assertThat(redirect.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
      URI location = URI.create(redirect.headers().firstValue("Location").orElseThrow());
      assertThat(location.toString())
          .startsWith(EmbeddedS3.endpoint().toString())
          .contains("X-Amz-Signature=");

      HttpResponse<byte[]> whole =
          http.send(
              HttpRequest.newBuilder(location).GET().build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertThat(whole.statusCode()).isEqualTo(200);
      assertThat(whole.body()).isEqualTo(blob);

      HttpResponse<byte[]> ranged =
          http.send(
              HttpRequest.newBuilder(location)
                  .header("Range", "bytes=5242870-5242889")
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertThat(ranged.statusCode()).isEqualTo(206);
      assertThat(ranged.body()).isEqualTo(Arrays.copyOfRange(blob, 5242870, 5242890));

      // A client that follows redirects itself (the JDK's, as container runtimes do) gets there
      // too.
      HttpClient following =
          HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
      HttpResponse<byte[]> followed =
          following.send(
              HttpRequest.newBuilder(url).header("Range", "bytes=10-19").GET().build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertThat(followed.statusCode()).isEqualTo(206);
      assertThat(followed.body()).isEqualTo(Arrays.copyOfRange(blob, 10, 20));

      HttpResponse<String> unknown =
          http.send(
              HttpRequest.newBuilder(URI.create(url.toString().replace("ml/weights", "ml/other")))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(unknown.statusCode()).as("no redirect for a blob not linked here").isEqualTo(404);
    }
  }

  @Test
  void severalRangesAreServedHereEvenWithRedirectsOneBoundedReadPerPart() throws Exception {
    byte[] blob = new byte[6 * MIB + 99];
    new Random(9).nextBytes(blob);
    LadingConfig config = EmbeddedS3.serverConfig(root, "multirange", true);
    try (CountingStore store =
            new CountingStore(S3Store.create(config.storage().s3().orElseThrow().store()));
        LadingServer server =
            LadingServer.start(
                config,
                new StoreRegistry(store, RegistryOptions.defaults()),
                RequestAuthorizer.allowAll())) {
      String digest = push(server, "ml/chunks", blob);
      URI url = URI.create("http://127.0.0.1:" + server.port() + "/v2/ml/chunks/blobs/" + digest);
      store.opened.clear();
      store.streamed.set(0);

      // S3 serves one range per GET (several get the whole object), so these are not redirected.
      HttpResponse<byte[]> r =
          http.send(
              HttpRequest.newBuilder(url)
                  .header("Range", "bytes=5242870-5242889,10-19,6291000-6291455,15-16")
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertThat(r.statusCode()).isEqualTo(206);
      assertThat(r.headers().firstValueAsLong("Content-Length")).hasValue(r.body().length);
      List<StrictMultipart.Part> parts =
          StrictMultipart.parse(r.headers().firstValue("Content-Type").orElseThrow(), r.body());
      assertThat(parts)
          .extracting(p -> p.first() + "-" + p.last())
          .containsExactly("5242870-5242889", "10-19", "6291000-6291455");
      for (StrictMultipart.Part p : parts) {
        assertThat(p.bytes())
            .isEqualTo(Arrays.copyOfRange(blob, (int) p.first(), (int) p.last() + 1));
      }
      // One ranged read per part, of that part only: never the gaps, never the whole blob.
      assertThat(store.opened).containsExactly(5242870L + "+20", 10L + "+10", 6291000L + "+456");
      assertThat(store.streamed.get()).isEqualTo(20 + 10 + 456);

      HttpResponse<Void> head =
          http.send(
              HttpRequest.newBuilder(url)
                  .header("Range", "bytes=0-0,9-9")
                  .method("HEAD", HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      assertThat(head.statusCode()).isEqualTo(206);
      assertThat(head.headers().firstValue("Content-Type"))
          .hasValueSatisfying(t -> assertThat(t).startsWith("multipart/byteranges; boundary="));
    }
  }

  @Test
  void nearbyRangesOfOneRequestShareOneBoundedReadAndComeBackExact() throws Exception {
    byte[] blob = new byte[9 * MIB];
    new Random(11).nextBytes(blob);
    LadingConfig config = EmbeddedS3.serverConfig(root, "coalesced", false);
    try (CountingStore store =
            new CountingStore(S3Store.create(config.storage().s3().orElseThrow().store()));
        LadingServer server =
            LadingServer.start(
                config,
                new StoreRegistry(store, RegistryOptions.defaults()),
                RequestAuthorizer.allowAll())) {
      String digest = push(server, "ml/lazy", blob);
      URI url = URI.create("http://127.0.0.1:" + server.port() + "/v2/ml/lazy/blobs/" + digest);
      store.opened.clear();
      store.streamed.set(0);

      // Three parts a few KiB apart (touching ones included), one far after them, one before
      // them again (descending), and two large ones whose span passes the 8 MiB bound.
      String ranges =
          "bytes=100-199,200-299,1000-1099,60000-60099,200000-200099,130000-130010,"
              + "262144-4456447,4456500-8650800,8650900-8650999";
      HttpResponse<byte[]> r =
          http.send(
              HttpRequest.newBuilder(url).header("Range", ranges).GET().build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertThat(r.statusCode()).isEqualTo(206);
      assertThat(r.headers().firstValueAsLong("Content-Length")).hasValue(r.body().length);
      List<StrictMultipart.Part> parts =
          StrictMultipart.parse(r.headers().firstValue("Content-Type").orElseThrow(), r.body());
      assertThat(parts)
          .extracting(p -> p.first() + "-" + p.last())
          .containsExactly(
              "100-199",
              "200-299",
              "1000-1099",
              "60000-60099",
              "200000-200099",
              "130000-130010",
              "262144-4456447",
              "4456500-8650800",
              "8650900-8650999");
      for (StrictMultipart.Part p : parts) {
        assertThat(p.bytes())
            .as("part %d-%d", p.first(), p.last())
            .isEqualTo(Arrays.copyOfRange(blob, (int) p.first(), (int) p.last() + 1));
      }
      // One ranged read per group: 100..60099 (gaps under 64 KiB), 200000 alone (139 KiB after),
      // 130000 alone (before it), 262144..4456447 (the next part would pass 8 MiB of span), and
      // 4456500..8650999. Each is one GET: none is longer than the 8 MiB read window.
      assertThat(store.opened)
          .containsExactly(
              100L + "+60000",
              200000L + "+100",
              130000L + "+11",
              262144L + "+4194304",
              4456500L + "+4194500");
      // What was read from S3 beyond the parts: the gaps inside groups, all under 64 KiB.
      long partBytes = parts.stream().mapToLong(p -> p.last() - p.first() + 1).sum();
      assertThat(store.streamed.get() - partBytes).isEqualTo((1000 - 300) + (60000 - 1100) + 99);
    }
  }

  private String push(LadingServer server, String repo, byte[] blob) throws Exception {
    String digest =
        "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob));
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:"
                            + server.port()
                            + "/v2/"
                            + repo
                            + "/blobs/uploads/?digest="
                            + digest))
                .POST(HttpRequest.BodyPublishers.ofByteArray(blob))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return digest;
  }

  private static byte[] readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed in the response head");
      }
      head.write(b);
      matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toByteArray();
  }

  /**
   * Polls (every 20 ms, at most 30 s) until the thread streaming the blob from S3 is parked in the
   * server's writability gate on two polls in a row with no byte read in between, and answers the
   * bytes read from S3 by then: the point where the server waits for the client.
   */
  private static long awaitWaitingForTheClient(CountingStore store) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    long seenWaitingAt = -1;
    while (System.nanoTime() < deadline) {
      long now = store.streamed.get();
      if (waitsForTheClient(store.reader)) {
        if (now == seenWaitingAt) {
          return now;
        }
        seenWaitingAt = now;
      } else {
        seenWaitingAt = -1;
      }
      LockSupport.parkNanos(
          TimeUnit.MILLISECONDS.toNanos(20)); // poll, not spin: the machine is shared
    }
    throw new AssertionError(
        "the server never waited for the client; read " + store.streamed.get() + " bytes from S3");
  }

  private static boolean waitsForTheClient(Thread thread) {
    return thread != null
        && Arrays.stream(thread.getStackTrace())
            .anyMatch(
                frame ->
                    frame.getClassName().equals("dev.lading.server.http.WritabilityGate")
                        && frame.getMethodName().equals("awaitWritable"));
  }

  /** The S3 store, counting the bytes blob streams hand to the server. */
  private static final class CountingStore extends ForwardingObjectStore {
    final AtomicLong streamed = new AtomicLong();

    /** Every range opened, as {@code offset+length}. */
    final List<String> opened = new CopyOnWriteArrayList<>();

    volatile Thread reader;

    CountingStore(ObjectStore delegate) {
      super(delegate);
    }

    @Override
    public BlobSource openRange(String key, long offset, long length) throws IOException {
      opened.add(offset + "+" + length);
      BlobSource source = delegate.openRange(key, offset, length);
      if (source instanceof BlobSource.StreamSource s) {
        return new BlobSource.StreamSource(
            new FilterInputStream(s.stream()) {
              @Override
              public int read(byte[] b, int off, int len) throws IOException {
                reader = Thread.currentThread();
                int n = super.read(b, off, len);
                if (n > 0) {
                  streamed.addAndGet(n);
                }
                return n;
              }
            },
            s.length());
      }
      return source;
    }
  }
}
