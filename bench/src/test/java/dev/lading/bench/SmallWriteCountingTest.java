package dev.lading.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The counting behind SmallWriteBench's "S3 requests per image" and "fsync per image" rows. */
class SmallWriteCountingTest {

  /**
   * Three pipelined requests: a PUT whose body looks like a request line, a chunked POST whose
   * chunk data does too, and a HEAD without a body.
   */
  private static final String REQUESTS =
      "PUT /bucket/key HTTP/1.1\r\nHost: s3\r\nContent-Length: 21\r\n\r\n"
          + "GET /x HTTP/1.1\r\n\r\n\r\n"
          + "POST /bucket/key?uploads HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "7;ext=1\r\nDELETE \r\n5\r\n/ a\r\n\r\n0\r\nX-Trailer: 1\r\n\r\n"
          + "HEAD /bucket/key HTTP/1.1\r\ncontent-length: 0\r\n\r\n";

  @Test
  void countsRequestsByMethodAndSkipsBodiesWhateverTheyContain() throws IOException {
    RequestCounter counter = new RequestCounter();
    byte[] bytes = REQUESTS.getBytes(StandardCharsets.ISO_8859_1);

    counter.connection().accept(bytes, 0, bytes.length);

    assertThat(counter.snapshot()).isEqualTo(Map.of("HEAD", 1L, "POST", 1L, "PUT", 1L));
  }

  @Test
  void countsTheSameWhenTheBytesArriveOneAtATime() throws IOException {
    RequestCounter counter = new RequestCounter();
    RequestCounter.Connection connection = counter.connection();
    byte[] bytes = REQUESTS.getBytes(StandardCharsets.ISO_8859_1);

    for (int i = 0; i < bytes.length; i++) {
      connection.accept(bytes, i, 1);
    }

    assertThat(counter.snapshot()).isEqualTo(Map.of("HEAD", 1L, "POST", 1L, "PUT", 1L));
  }

  @Test
  void aRequestWaitingForItsBodyIsCountedOnceTheBodyComesLater() throws IOException {
    RequestCounter counter = new RequestCounter();
    RequestCounter.Connection connection = counter.connection();
    byte[] head =
        "PUT /b/k HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"
            .getBytes(StandardCharsets.ISO_8859_1);
    byte[] rest = "GET \r\nGET /b/k HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

    connection.accept(head, 0, head.length);
    Map<String, Long> before = counter.snapshot();
    connection.accept(rest, 0, rest.length);

    assertThat(before).isEqualTo(Map.of("PUT", 1L));
    assertThat(RequestCounter.difference(counter.snapshot(), before)).isEqualTo(Map.of("GET", 1L));
    assertThat(RequestCounter.total(counter.snapshot())).isEqualTo(2);
  }

  @Test
  void connectionsAreParsedApartAndCountedTogether() throws IOException {
    RequestCounter counter = new RequestCounter();
    RequestCounter.Connection a = counter.connection();
    RequestCounter.Connection b = counter.connection();
    byte[] put = "PUT /k HTTP/1.1\r\nContent-Length: 6\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] get = "GET /k HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] body = "GET / ".getBytes(StandardCharsets.US_ASCII);

    a.accept(put, 0, put.length);
    b.accept(get, 0, get.length);
    a.accept(body, 0, body.length);

    assertThat(counter.snapshot()).isEqualTo(Map.of("GET", 1L, "PUT", 1L));
  }

  @Test
  void aBadChunkSizeIsAnErrorNotAGuess() {
    RequestCounter.Connection connection = new RequestCounter().connection();
    byte[] bytes =
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
            .getBytes(StandardCharsets.US_ASCII);

    assertThatThrownBy(() -> connection.accept(bytes, 0, bytes.length))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("chunk size");
  }

  @Test
  void theProxyForwardsBothWaysUnchangedAndCountsWhatPassed() throws Exception {
    String headAnswer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n";
    String getAnswer = headAnswer + "ok";
    try (ServerSocket upstream = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ExecutorService thread = Executors.newSingleThreadExecutor()) {
      Future<String> received =
          thread.submit(
              () -> {
                try (Socket s = upstream.accept()) {
                  InputStream in = s.getInputStream();
                  OutputStream out = s.getOutputStream();
                  String first = readUntilBlankLine(in);
                  out.write(headAnswer.getBytes(StandardCharsets.US_ASCII));
                  out.flush();
                  String second = readUntilBlankLine(in);
                  out.write(getAnswer.getBytes(StandardCharsets.US_ASCII));
                  out.flush();
                  return first + second;
                }
              });
      try (CountingProxy proxy =
              CountingProxy.start(URI.create("http://127.0.0.1:" + upstream.getLocalPort()));
          HttpConnection c =
              new HttpConnection(proxy.endpoint().getHost(), proxy.endpoint().getPort())) {
        HttpConnection.Response head = c.exchange("HEAD", "/bucket/a", Map.of(), true);
        HttpConnection.Response get = c.exchange("GET", "/bucket/b", Map.of(), true);

        assertThat(head.status()).isEqualTo(200);
        assertThat(get.bodyText()).isEqualTo("ok");
        assertThat(received.get())
            .startsWith("HEAD /bucket/a HTTP/1.1\r\nHost: 127.0.0.1:" + proxy.endpoint().getPort())
            .contains("GET /bucket/b HTTP/1.1\r\n");
        assertThat(proxy.counter().snapshot()).isEqualTo(Map.of("GET", 1L, "HEAD", 1L));
      }
    }
  }

  @Test
  void bytesThatAreNotHttpStopTheCountingButNotTheForwarding() throws Exception {
    String garbage = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nmore";
    try (ServerSocket upstream = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ExecutorService thread = Executors.newSingleThreadExecutor()) {
      Future<String> received =
          thread.submit(
              () -> {
                try (Socket s = upstream.accept()) {
                  return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                }
              });
      try (CountingProxy proxy =
          CountingProxy.start(URI.create("http://127.0.0.1:" + upstream.getLocalPort()))) {
        try (Socket client = new Socket(proxy.endpoint().getHost(), proxy.endpoint().getPort())) {
          client.getOutputStream().write(garbage.getBytes(StandardCharsets.US_ASCII));
          client.shutdownOutput();
          assertThat(received.get()).isEqualTo(garbage);
        }
        assertThat(proxy.counter().unparsable()).isEqualTo(1);
        assertThat(proxy.counter().snapshot()).isEqualTo(Map.of("POST", 1L));
      }
    }
  }

  @Test
  void straceSummaryCallsAreReadFromTheCallsColumnWithOrWithoutErrors() {
    List<String> summary =
        List.of(
            "% time     seconds  usecs/call     calls    errors syscall",
            "------ ----------- ----------- --------- --------- ----------------",
            " 81.25    0.013000         130       100           fsync",
            " 18.75    0.003000          60        50         2 fdatasync",
            "  0.00    0.000000           0         7           write",
            "------ ----------- ----------- --------- --------- ----------------",
            "100.00    0.016000         106       150         2 total");

    assertThat(SyncCounter.calls(summary)).isEqualTo(150);
    assertThat(SyncCounter.calls(List.of())).isZero();
  }

  private static String readUntilBlankLine(InputStream in) throws IOException {
    StringBuilder text = new StringBuilder();
    while (!text.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed after " + text);
      }
      text.append((char) b);
    }
    return text.toString();
  }
}
