package dev.lading.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Talks to a real socket that replays canned answers, one per request, on one connection. */
class HttpConnectionTest {

  @Test
  void headAnswerHasNoBodyWhateverItsContentLengthAndTheConnectionStaysUsable() throws Exception {
    List<String> answers =
        List.of(
            "HTTP/1.1 200 OK\r\nContent-Length: 4294967296\r\nDocker-Content-Digest: sha256:x\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ExecutorService thread = Executors.newSingleThreadExecutor()) {
      Future<String> requests = thread.submit(() -> replay(server, answers));
      try (HttpConnection c = new HttpConnection("127.0.0.1", server.getLocalPort())) {
        HttpConnection.Response head = c.exchange("HEAD", "/v2/a/blobs/x", Map.of(), true);
        HttpConnection.Response get = c.exchange("GET", "/v2/", Map.of(), true);

        assertThat(head.status()).isEqualTo(200);
        assertThat(head.bodyLength()).isZero();
        assertThat(head.header("Docker-Content-Digest")).isEqualTo("sha256:x");
        assertThat(get.bodyText()).isEqualTo("hello");
      }
      assertThat(requests.get())
          .startsWith("HEAD /v2/a/blobs/x HTTP/1.1\r\n")
          .contains("GET /v2/ HTTP/1.1\r\n");
    }
  }

  @Test
  void chunkedBodyIsReassembledAndCounted() throws Exception {
    List<String> answers =
        List.of(
            "HTTP/1.1 206 Partial Content\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\nX-Trailer: 1\r\n\r\n");
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ExecutorService thread = Executors.newSingleThreadExecutor()) {
      thread.submit(() -> replay(server, answers));
      try (HttpConnection c = new HttpConnection("127.0.0.1", server.getLocalPort())) {
        HttpConnection.Response got =
            c.exchange("GET", "/blob", Map.of("Range", "bytes=0-6"), true);

        assertThat(got.status()).isEqualTo(206);
        assertThat(got.bodyLength()).isEqualTo(7);
        assertThat(got.bodyText()).isEqualTo("abcdefg");
      }
    }
  }

  /**
   * Answers each request (headers only; bodies are not sent by these tests) with the next answer.
   */
  private static String replay(ServerSocket server, List<String> answers) throws IOException {
    ByteArrayOutputStream seen = new ByteArrayOutputStream();
    try (Socket s = server.accept();
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream()) {
      for (String answer : answers) {
        int matched = 0;
        while (matched < 4) {
          int b = in.read();
          if (b < 0) {
            return seen.toString(StandardCharsets.ISO_8859_1);
          }
          seen.write(b);
          matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
      }
    }
    return seen.toString(StandardCharsets.ISO_8859_1);
  }
}
