package dev.lading.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.lading.core.testing.StrictMultipart;
import dev.lading.core.testing.TestPki;
import dev.lading.server.LadingServer;
import dev.lading.server.config.ConfigException;
import dev.lading.server.config.ConfigLoader;
import dev.lading.server.config.LadingConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The listener over TLS with real clients on real sockets: the JDK's HTTP client trusting a test
 * CA, and raw TLS sockets to see which certificate a connection was given.
 */
class TlsListenerTest {
  private static final TestPki PKI = TestPki.create("Lading Test CA");
  @TempDir Path root;
  @TempDir Path secrets;
  private LadingServer server;
  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .sslContext(PKI.clientContext())
          .build();

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private LadingServer start(Path cert, Path key, Duration reload) {
    server =
        LadingServer.start(
            LadingConfig.forTests(root.resolve("data"))
                .withTls(Optional.of(new LadingConfig.Tls(cert, key, reload))));
    return server;
  }

  private URI uri(String path) {
    return URI.create("https://127.0.0.1:" + server.port() + path);
  }

  @Test
  void httpsServesTheApiAndBlobsWholeAndByRangeByteExact() throws Exception {
    TestPki.Issued issued = PKI.issue(100, "RSA");
    issued.writeTo(secrets.resolve("tls.crt"), secrets.resolve("tls.key"), PKI.caPem());
    start(secrets.resolve("tls.crt"), secrets.resolve("tls.key"), LadingConfig.Tls.DEFAULT_RELOAD);

    HttpResponse<String> base =
        client.send(
            HttpRequest.newBuilder(uri("/v2/")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(base.statusCode()).isEqualTo(200);

    // Several chunks' worth, not a multiple of the chunk size, so the TLS path's loop and its tail
    // both run.
    byte[] blob = new byte[(5 << 20) + 12_345];
    new Random(7).nextBytes(blob);
    String digest =
        "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob));
    HttpResponse<String> push =
        client.send(
            HttpRequest.newBuilder(uri("/v2/tls/app/blobs/uploads/?digest=" + digest))
                .POST(HttpRequest.BodyPublishers.ofByteArray(blob))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(push.statusCode()).isEqualTo(201);
    assertThat(push.headers().firstValue("Location"))
        .hasValue(uri("/v2/tls/app/blobs/" + digest).toString());

    HttpResponse<byte[]> whole =
        client.send(
            HttpRequest.newBuilder(uri("/v2/tls/app/blobs/" + digest)).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(whole.statusCode()).isEqualTo(200);
    assertThat(Arrays.equals(whole.body(), blob)).as("whole blob over TLS is byte-exact").isTrue();

    long first = 70_000;
    long last = (3 << 20) + 999;
    HttpResponse<byte[]> range =
        client.send(
            HttpRequest.newBuilder(uri("/v2/tls/app/blobs/" + digest))
                .header("Range", "bytes=" + first + "-" + last)
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(range.statusCode()).isEqualTo(206);
    assertThat(range.headers().firstValue("Content-Range"))
        .hasValue("bytes " + first + "-" + last + "/" + blob.length);
    assertThat(Arrays.equals(range.body(), Arrays.copyOfRange(blob, (int) first, (int) last + 1)))
        .as("ranged read over TLS is byte-exact")
        .isTrue();
    HttpResponse<byte[]> tail =
        client.send(
            HttpRequest.newBuilder(uri("/v2/tls/app/blobs/" + digest))
                .header("Range", "bytes=-10")
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(tail.body()).isEqualTo(Arrays.copyOfRange(blob, blob.length - 10, blob.length));

    // Several ranges: over TLS each part is read into chunks, its framing before it.
    HttpResponse<byte[]> several =
        client.send(
            HttpRequest.newBuilder(uri("/v2/tls/app/blobs/" + digest))
                .header("Range", "bytes=-10,0-99999,4194300-4194400,70000-70099")
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(several.statusCode()).isEqualTo(206);
    assertThat(several.headers().firstValueAsLong("Content-Length"))
        .hasValue(several.body().length);
    List<StrictMultipart.Part> parts =
        StrictMultipart.parse(
            several.headers().firstValue("Content-Type").orElseThrow(), several.body());
    assertThat(parts)
        .extracting(p -> p.first() + "-" + p.last())
        .containsExactly(
            (blob.length - 10) + "-" + (blob.length - 1), "0-99999", "4194300-4194400");
    for (StrictMultipart.Part p : parts) {
      assertThat(
              Arrays.equals(
                  p.bytes(), Arrays.copyOfRange(blob, (int) p.first(), (int) p.last() + 1)))
          .as("part %d-%d over TLS is byte-exact", p.first(), p.last())
          .isTrue();
    }
  }

  @Test
  void onlyTls12AndNewerAreSpoken() throws Exception {
    TestPki.Issued issued = PKI.issue(101, "EC");
    issued.writeTo(secrets.resolve("tls.crt"), secrets.resolve("tls.key"));
    start(secrets.resolve("tls.crt"), secrets.resolve("tls.key"), LadingConfig.Tls.DEFAULT_RELOAD);
    try (SSLSocket s =
        (SSLSocket)
            PKI.clientContext().getSocketFactory().createSocket("127.0.0.1", server.port())) {
      s.setEnabledProtocols(new String[] {"TLSv1.3"});
      s.startHandshake();
      assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.3");
    }
    try (SSLSocket s =
        (SSLSocket)
            PKI.clientContext().getSocketFactory().createSocket("127.0.0.1", server.port())) {
      s.setEnabledProtocols(new String[] {"TLSv1.2"});
      s.startHandshake();
      assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.2");
    }
    // TLS 1.1 needs the JDK's own client to allow it; where it does not, the handshake fails on
    // the client's side, which proves nothing about the server, so only the allowed case is asked.
    assertThat(ServerTls.PROTOCOLS).containsExactly("TLSv1.3", "TLSv1.2");
  }

  /**
   * Kubernetes' Secret volume layout: the files are links through {@code ..data}, a link to a
   * timestamped directory; an update writes a new directory and swaps {@code ..data} atomically.
   */
  private Path publish(String version, TestPki.Issued issued, String keyPem) throws Exception {
    Path dir = Files.createDirectory(secrets.resolve("..2026_" + version));
    Files.writeString(dir.resolve("tls.crt"), issued.certificatePem());
    Files.writeString(dir.resolve("tls.key"), keyPem);
    Path tmp = secrets.resolve("..data_tmp");
    Files.createSymbolicLink(tmp, dir.getFileName());
    Files.move(
        tmp,
        secrets.resolve("..data"),
        StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
    return dir;
  }

  @Test
  void aRotatedPairReachesNewConnectionsWhileOpenOnesKeepTheirs() throws Exception {
    publish(
        "1",
        PKI.issue(1, "EC"),
        PKI.issue(1, "EC").keyPkcs8Pem()); // overwritten below; exercises the swap
    TestPki.Issued one = PKI.issue(1, "EC");
    publish("1b", one, one.keyTraditionalPem());
    Files.createSymbolicLink(secrets.resolve("tls.crt"), Path.of("..data/tls.crt"));
    Files.createSymbolicLink(secrets.resolve("tls.key"), Path.of("..data/tls.key"));
    start(secrets.resolve("tls.crt"), secrets.resolve("tls.key"), Duration.ofMillis(100));

    try (SSLSocket old = open()) {
      assertThat(serial(old)).isEqualTo(1);
      assertThat(get(old)).startsWith("HTTP/1.1 200");

      TestPki.Issued two = PKI.issue(2, "RSA");
      publish("2", two, two.keyTraditionalPem());
      awaitTrue(() -> serialOfNewConnection() == 2, "a new connection gets certificate 2");

      assertThat(get(old))
          .as("the connection opened before the rotation still serves")
          .startsWith("HTTP/1.1 200");
      assertThat(serial(old)).isEqualTo(1);
    }
    HttpResponse<String> fresh =
        client.send(
            HttpRequest.newBuilder(uri("/v2/")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(fresh.statusCode()).isEqualTo(200);
  }

  @Test
  void aBrokenNewPairIsLoggedOnceAndTheOldOneKept() throws Exception {
    Path cert = secrets.resolve("tls.crt");
    Path key = secrets.resolve("tls.key");
    PKI.issue(5, "EC").writeTo(cert, key);
    try (Capture log = new Capture()) {
      start(cert, key, Duration.ofMillis(100));
      assertThat(serialOfNewConnection()).isEqualTo(5);

      // A new certificate whose key has not arrived yet (a writer replacing one file, then the
      // other).
      TestPki.Issued six = PKI.issue(6, "EC");
      String foreignKey = PKI.issue(66, "EC").keyPkcs8Pem();
      replace(cert, six.certificatePem());
      replace(key, foreignKey);
      awaitTrue(
          () -> log.warnings().stream().anyMatch(l -> l.contains("does not belong")),
          "the mismatch is logged");
      assertThat(serialOfNewConnection()).isEqualTo(5);

      replace(key, "-----BEGIN PRIVATE KEY-----\nnot base64 at all!\n-----END PRIVATE KEY-----\n");
      awaitTrue(() -> log.warnings().size() >= 2, "the broken key is logged");
      Thread.sleep(500); // five more polls of the same broken content
      assertThat(log.warnings()).as("logged once, not at every poll").hasSize(2);
      assertThat(serialOfNewConnection()).isEqualTo(5);
      Files.delete(key);
      awaitTrue(
          () -> log.warnings().stream().anyMatch(l -> l.contains("no such file")),
          "the missing key is logged");
      assertThat(serialOfNewConnection()).isEqualTo(5);

      replace(key, six.keyPkcs8Pem());
      awaitTrue(() -> serialOfNewConnection() == 6, "the completed pair is taken");
      String secretBody = foreignKey.lines().skip(1).findFirst().orElseThrow();
      assertThat(String.join("\n", log.all()))
          .doesNotContain(secretBody)
          .doesNotContain(six.keyPkcs8Pem().lines().skip(1).findFirst().orElseThrow());
    }
  }

  @Test
  void theStartStopsNamingTheKeyOfAMissingOrBrokenFile() throws Exception {
    Path cert = secrets.resolve("tls.crt");
    Path key = secrets.resolve("tls.key");
    assertThatThrownBy(
            () -> ConfigLoader.load(null, Map.of("LADING_HTTP_TLS_CERT_FILE", cert.toString())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("http.tls.key_file: required with http.tls.cert_file");
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    null,
                    Map.of(
                        "LADING_HTTP_TLS_CERT_FILE",
                        cert.toString(),
                        "LADING_HTTP_TLS_KEY_FILE",
                        key.toString())))
        .hasMessageContaining(
            "http.tls.cert_file: " + cert + ": no such file (from LADING_HTTP_TLS_CERT_FILE)")
        .hasMessageContaining("http.tls.key_file: " + key + ": no such file");
    PKI.issue(3, "EC").writeTo(cert, key);
    LadingConfig loaded =
        ConfigLoader.load(
                null,
                Map.of(
                    "LADING_HTTP_TLS_CERT_FILE",
                    cert.toString(),
                    "LADING_HTTP_TLS_KEY_FILE",
                    key.toString()))
            .config();
    assertThat(loaded.http().tls()).hasValue(new LadingConfig.Tls(cert, key));

    Files.writeString(cert, "garbage");
    assertThatThrownBy(() -> start(cert, key, LadingConfig.Tls.DEFAULT_RELOAD))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("http.tls.cert_file: " + cert + ": holds no PEM CERTIFICATE block");
    server = null;
  }

  // ---- helpers ---------------------------------------------------------------------------------

  /**
   * Writes a file's new content beside it and renames it over the old one, as careful writers do.
   */
  private static void replace(Path file, String content) throws Exception {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, content);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private SSLSocket open() throws Exception {
    SSLSocket s =
        (SSLSocket) PKI.clientContext().getSocketFactory().createSocket("127.0.0.1", server.port());
    s.setSoTimeout(10_000);
    s.startHandshake();
    return s;
  }

  private static long serial(SSLSocket s) throws Exception {
    BigInteger serial =
        ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
    return serial.longValueExact();
  }

  private long serialOfNewConnection() {
    try (SSLSocket s = open()) {
      return serial(s);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** A keep-alive {@code GET /v2/} on an open connection; the response's head. */
  private static String get(SSLSocket s) throws Exception {
    OutputStream out = s.getOutputStream();
    out.write("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
    StringBuilder head = new StringBuilder();
    int length = 0;
    for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
      head.append(line).append('\n');
      if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
        length = Integer.parseInt(line.substring(15).strip());
      }
    }
    in.skip(length); // the body ("{}"), so the next response starts clean
    return head.toString();
  }

  private static void awaitTrue(BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(50);
    }
  }

  /** What {@link ServerTls} logs. */
  private static final class Capture implements AutoCloseable {
    private final Logger logger = (Logger) LoggerFactory.getLogger(ServerTls.class);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    Capture() {
      appender.start();
      logger.addAppender(appender);
    }

    List<String> warnings() {
      synchronized (appender) {
        return appender.list.stream()
            .filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
            .map(ILoggingEvent::getFormattedMessage)
            .toList();
      }
    }

    List<String> all() {
      synchronized (appender) {
        return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
      }
    }

    @Override
    public void close() {
      logger.detachAppender(appender);
    }
  }
}
