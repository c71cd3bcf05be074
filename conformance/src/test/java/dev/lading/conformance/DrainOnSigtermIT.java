package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * SIGTERM as Kubernetes sends it to a pod: readiness turns 503 at once while the listener keeps
 * accepting and serving for {@code http.drain_delay_seconds}, so no client routed here before the
 * endpoints update meets a refused connection; then the listener closes, the push in flight
 * finishes, and the process exits 0.
 */
class DrainOnSigtermIT {
  private static final int DRAIN_SECONDS = 3;

  @RegisterExtension
  static final RegistryProcess registry =
      RegistryProcess.create()
          .withEnvironment("LADING_HTTP_DRAIN_DELAY_SECONDS", Integer.toString(DRAIN_SECONDS))
          .withEnvironment("LADING_HTTP_SHUTDOWN_TIMEOUT_SECONDS", "30");

  /**
   * One probe on a new connection, as a kubelet or load balancer makes it: the status, or -1 when
   * refused.
   */
  static int probe(int port, String path) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
      socket.setSoTimeout(5_000);
      socket
          .getOutputStream()
          .write(
              ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      String line =
          new BufferedReader(
                  new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
              .readLine();
      return Integer.parseInt(line.substring(9, 12));
    } catch (ConnectException refused) {
      return -1;
    }
  }

  @Test
  void sigtermTurnsReadinessFirstKeepsServingThenFinishesThePushAndExitsZero() throws Exception {
    RegistryClient client = registry.client();
    String repo = Checks.uniqueRepo("drain");
    Blob blob = Blob.random(6 * 1024 * 1024);
    URI upload = client.startUpload(repo);
    assertThat(probe(registry.port(), "/readyz")).isEqualTo(200);
    // 64 KiB every 50 ms: about 5 s for the blob, longer than the drain delay.
    SlowChunkedPush push =
        SlowChunkedPush.start(upload, blob.bytes(), 64 * 1024, Duration.ofMillis(50));
    while (push.sent() < 512 * 1024) {
      Thread.sleep(10);
    }

    long signalled = System.nanoTime();
    registry.terminate();
    List<String> during = new ArrayList<>();
    boolean saw503 = false;
    long first503 = -1;
    boolean servedV2 = false;
    // Probe until shortly before the delay ends (after it, a refusal is expected).
    while (System.nanoTime() - signalled
        < TimeUnit.MILLISECONDS.toNanos(DRAIN_SECONDS * 1000L - 600)) {
      long at = (System.nanoTime() - signalled) / 1_000_000;
      int ready = probe(registry.port(), "/readyz");
      during.add(at + "ms:" + ready);
      assertThat(ready)
          .as("readiness %d ms after SIGTERM (so far %s)", at, during)
          .isNotEqualTo(-1);
      if (ready == 503) {
        first503 = saw503 ? first503 : at;
        saw503 = true;
      } else {
        assertThat(saw503).as("200 again after a 503: %s", during).isFalse();
      }
      if (saw503 && !servedV2) {
        assertThat(probe(registry.port(), "/v2/"))
            .as("a normal request while draining")
            .isEqualTo(200);
        servedV2 = true;
      }
      Thread.sleep(50);
    }
    assertThat(saw503).as("readiness during the drain delay: %s", during).isTrue();
    assertThat(first503).as("ms from SIGTERM to the first 503: %s", during).isLessThan(1_000);
    assertThat(servedV2).isTrue();

    String head = push.result().get(60, TimeUnit.SECONDS);
    assertThat(SlowChunkedPush.status(head)).as(head).isEqualTo(202);
    assertThat(head).containsIgnoringCase("Range: 0-" + (blob.size() - 1));
    int exit = registry.awaitExit(Duration.ofSeconds(30 + 10));
    assertThat(exit).as("exit status after SIGTERM").isZero();
    long took = (System.nanoTime() - signalled) / 1_000_000;
    assertThat(took)
        .as("ms from SIGTERM to exit")
        .isGreaterThanOrEqualTo(DRAIN_SECONDS * 1000L - 100);
    assertThat(Files.readString(registry.logFile())).contains("SIGTERM received", "draining");

    // The session was saved at 202: the next start completes the upload.
    registry.start();
    RegistryClient after = registry.client();
    Reply put = after.putUpload(upload, blob.digest(), new byte[0]);
    assertThat(put.status()).as("%s", put).isEqualTo(201);
    assertThat(Blob.sha256(after.getBlob(repo, blob.digest()).body())).isEqualTo(blob.digest());
  }
}
