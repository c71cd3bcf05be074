package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /healthz} and {@code /readyz} over real sockets: both answer without credentials, other
 * methods are refused, and readiness turns 503 as soon as a shutdown starts draining, while a
 * request in flight still finishes.
 */
class HealthEndpointsTest {
  @TempDir Path root;

  @Test
  void livenessAndReadinessAnswerOkOnAWorkingStore() throws Exception {
    try (RunningRegistry r = new RunningRegistry(root)) {
      HttpResponse<String> live = r.send(r.request("/healthz").GET().build());
      assertThat(live.statusCode()).isEqualTo(200);
      assertThat(live.body()).isEqualTo("{\"status\":\"ok\"}");
      HttpResponse<String> ready = r.send(r.request("/readyz").GET().build());
      assertThat(ready.statusCode()).isEqualTo(200);
      assertThat(ready.body()).isEqualTo("{\"status\":\"ready\"}");
      assertThat(
              r.send(
                      r.request("/readyz")
                          .method("HEAD", HttpRequest.BodyPublishers.noBody())
                          .build())
                  .statusCode())
          .isEqualTo(200);
    }
  }

  @Test
  void otherMethodsAreRefused() throws Exception {
    try (RunningRegistry r = new RunningRegistry(root)) {
      HttpResponse<String> post =
          r.send(r.request("/readyz").POST(HttpRequest.BodyPublishers.noBody()).build());
      assertThat(post.statusCode()).isEqualTo(405);
      assertThat(RunningRegistry.errorCode(post)).isEqualTo("METHOD_NOT_ALLOWED");
      assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
    }
  }

  @Test
  void everyEndpointOutsideV2NamesItsMethodsWhenRefusingOne() throws Exception {
    try (RunningRegistry r = new RunningRegistry(root)) {
      for (String[] pathAndAllow :
          new String[][] {
            {"/healthz", "GET, HEAD"},
            {"/readyz", "GET, HEAD"},
            {"/metrics", "GET, HEAD"},
            {"/admin/gc", "GET, HEAD, POST"}
          }) {
        HttpResponse<String> put =
            r.send(r.request(pathAndAllow[0]).PUT(HttpRequest.BodyPublishers.noBody()).build());
        assertThat(put.statusCode()).as(pathAndAllow[0]).isEqualTo(405);
        assertThat(RunningRegistry.errorCode(put)).isEqualTo("METHOD_NOT_ALLOWED");
        assertThat(put.headers().firstValue("Allow")).as(pathAndAllow[0]).hasValue(pathAndAllow[1]);
      }
    }
  }

  @Test
  void readinessTurns503WhileTheServerDrainsAndTheRequestInFlightFinishes() throws Exception {
    RunningRegistry r = new RunningRegistry(root);
    try {
      // An upload whose body waits on a latch keeps one request in flight.
      HttpResponse<String> started =
          r.send(
              r.request("/v2/team/app/blobs/uploads/")
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build());
      assertThat(started.statusCode()).isEqualTo(202);
      String location = started.headers().firstValue("Location").orElseThrow();
      // Half of a PATCH body: the request stays in flight until the other half comes.
      Socket upload = new Socket("127.0.0.1", r.server.port());
      upload
          .getOutputStream()
          .write(
              ("PATCH "
                      + location
                      + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      + "Content-Type: application/octet-stream\r\nContent-Length: 10\r\n\r\nhello")
                  .getBytes(StandardCharsets.US_ASCII));
      upload.getOutputStream().flush();
      long inFlightDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (r.server.requestsInFlight() == 0 && System.nanoTime() < inFlightDeadline) {
        Thread.onSpinWait();
      }
      assertThat(r.server.requestsInFlight()).as("the PATCH reached the server").isEqualTo(1);
      // A second, keep-alive connection on which readiness is asked again while draining: a
      // draining server accepts no new connections.
      try (Socket probe = new Socket("127.0.0.1", r.server.port())) {
        assertThat(askReadiness(probe)).startsWith("HTTP/1.1 200 ");

        CompletableFuture<Void> closing = CompletableFuture.runAsync(r::close);
        String draining = askReadiness(probe);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (draining.startsWith("HTTP/1.1 200 ") && System.nanoTime() < deadline) {
          draining = askReadiness(probe);
        }
        assertThat(draining).startsWith("HTTP/1.1 503 ").endsWith("{\"status\":\"draining\"}");
        assertThat(closing).isNotDone();

        upload.getOutputStream().write("world".getBytes(StandardCharsets.US_ASCII));
        upload.getOutputStream().flush();
        assertThat(line(upload.getInputStream())).startsWith("HTTP/1.1 202 ");
        closing.get(30, TimeUnit.SECONDS);
      } finally {
        upload.close();
      }
    } finally {
      r.close();
    }
  }

  /** Sends {@code GET /readyz} on {@code socket}; returns the status line and the body. */
  private static String askReadiness(Socket socket) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(
        "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = socket.getInputStream();
    String status = line(in);
    int length = 0;
    for (String header = line(in); !header.isEmpty(); header = line(in)) {
      if (header.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(header.substring("content-length:".length()).trim());
      }
    }
    return status + "\n" + new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new IOException("connection closed after: " + line);
      }
      if (c != '\r') {
        line.append((char) c);
      }
    }
    return line.toString();
  }
}
