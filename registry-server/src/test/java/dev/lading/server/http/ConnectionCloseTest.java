package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.server.config.LadingConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How connections end, over a raw socket so that the client's timing is ours: a refusal sent while
 * the client is still sending its body must reach the client even if the client reads it only after
 * sending much more. An immediate close would answer those later bytes with a reset, which discards
 * the unread refusal on the client's side.
 */
class ConnectionCloseTest {
  private static final long SENT_AFTER_LIMIT = 8L << 20;
  @TempDir Path root;

  @Test
  void aRefusalSentMidBodyReachesAClientThatReadsItOnlyAfterSendingMore() throws Exception {
    try (RunningRegistry registry =
            new RunningRegistry(LadingConfig.forTests(root).withManifestLimit(4096));
        Socket socket = new Socket("127.0.0.1", registry.server.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("PUT /v2/a/manifests/big HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  + "Content-Type: application/vnd.oci.image.manifest.v1+json\r\n"
                  + "Transfer-Encoding: chunked\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      // Far more than the limit and than both sides' socket buffers: the server has answered and
      // ended its side long before this is all sent, and must keep taking it.
      CompletableFuture<Long> sending =
          CompletableFuture.supplyAsync(
              () -> {
                byte[] chunk =
                    ("10000\r\n" + " ".repeat(0x10000) + "\r\n")
                        .getBytes(StandardCharsets.US_ASCII);
                long sent = 0;
                try {
                  while (sent < SENT_AFTER_LIMIT) {
                    out.write(chunk);
                    sent += 0x10000;
                  }
                  out.flush();
                } catch (IOException reset) {
                  // Counted below: the server stopped taking bytes.
                }
                return sent;
              });
      long sent = sending.get(30, TimeUnit.SECONDS);

      String response = readToEnd(socket.getInputStream());
      assertThat(response)
          .startsWith("HTTP/1.1 413 ")
          .containsIgnoringCase("connection: close")
          .contains("\"code\":\"MANIFEST_INVALID\"");
      assertThat(sent)
          .as("bytes the server read and discarded after its refusal")
          .isEqualTo(SENT_AFTER_LIMIT);
    }
  }

  @Test
  void aRequestAskingToCloseGetsItsResponseAndThenTheEndOfTheConnection() throws Exception {
    try (RunningRegistry registry = new RunningRegistry(root);
        Socket socket = new Socket("127.0.0.1", registry.server.port())) {
      socket
          .getOutputStream()
          .write(
              "GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                  .getBytes(StandardCharsets.US_ASCII));
      String response = readToEnd(socket.getInputStream());
      assertThat(response).startsWith("HTTP/1.1 200 ").containsIgnoringCase("connection: close");
    }
  }

  @Test
  void anHttp10ClientAskingForKeepAliveKeepsItsConnection() throws Exception {
    try (RunningRegistry registry = new RunningRegistry(root);
        Socket socket = new Socket("127.0.0.1", registry.server.port())) {
      socket.setSoTimeout(30_000);
      byte[] request =
          "GET /v2/ HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < 2; i++) {
        socket.getOutputStream().write(request);
        String head = readHead(socket.getInputStream());
        assertThat(head).startsWith("HTTP/1.1 200 ").containsIgnoringCase("connection: keep-alive");
        int length = Integer.parseInt(head.replaceAll("(?is).*content-length: *(\\d+).*", "$1"));
        assertThat(socket.getInputStream().readNBytes(length)).hasSize(length);
      }
    }
  }

  /** Everything until the server ends the connection; a reset instead fails the test. */
  private static String readToEnd(InputStream in) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    in.transferTo(all);
    return all.toString(StandardCharsets.US_ASCII);
  }

  private static String readHead(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection ended inside the response head: " + head);
      }
      head.append((char) b);
    }
    return head.toString();
  }
}
