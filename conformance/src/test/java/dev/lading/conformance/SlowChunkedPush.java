package dev.lading.conformance;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@code PATCH} that streams a blob as a chunked body at a set pace on its own socket, the way a
 * client on a slow link pushes a big layer: the request is in flight for as long as the test needs.
 * {@link #result} completes with the response's status line and headers, or with the failure when
 * the server ends the connection first; {@link #sent} tells how far it got.
 */
final class SlowChunkedPush {
  private final AtomicLong sent = new AtomicLong();
  private final CompletableFuture<String> result = new CompletableFuture<>();

  /**
   * Starts streaming {@code bytes} to {@code upload} in {@code chunk}-byte pieces, one per {@code
   * pause}.
   */
  static SlowChunkedPush start(URI upload, byte[] bytes, int chunk, Duration pause) {
    SlowChunkedPush push = new SlowChunkedPush();
    Thread.ofPlatform()
        .name("slow-push")
        .daemon()
        .start(() -> push.run(upload, bytes, chunk, pause));
    return push;
  }

  long sent() {
    return sent.get();
  }

  CompletableFuture<String> result() {
    return result;
  }

  private void run(URI upload, byte[] bytes, int chunk, Duration pause) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(upload.getHost(), upload.getPort()), 2_000);
      OutputStream out = socket.getOutputStream();
      String target =
          upload.getRawPath() + (upload.getRawQuery() == null ? "" : "?" + upload.getRawQuery());
      out.write(
          ("PATCH "
                  + target
                  + " HTTP/1.1\r\nHost: "
                  + upload.getHost()
                  + ":"
                  + upload.getPort()
                  + "\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      for (int off = 0; off < bytes.length; off += chunk) {
        int n = Math.min(chunk, bytes.length - off);
        out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes, off, n);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        sent.addAndGet(n);
        Thread.sleep(pause);
      }
      out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
      StringBuilder head = new StringBuilder();
      for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
        head.append(line).append('\n');
      }
      if (head.isEmpty()) {
        throw new IOException("the connection ended without a response");
      }
      result.complete(head.toString());
    } catch (IOException | InterruptedException | RuntimeException e) {
      result.completeExceptionally(e);
    }
  }

  /** The status code of a response head. */
  static int status(String head) {
    return Integer.parseInt(head.substring(9, 12));
  }
}
