package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A push still streaming when {@code http.shutdown_timeout_seconds} runs out is cut, and that is
 * the server's doing, not the client's: the log says "interrupted by shutdown", no audit line calls
 * it a client's 400, and the session keeps the bytes received so the client resumes after the
 * restart from the offset the server reports.
 */
class ShutdownCutUploadIT {
  @RegisterExtension
  static final RegistryProcess registry =
      RegistryProcess.create().withEnvironment("LADING_HTTP_SHUTDOWN_TIMEOUT_SECONDS", "2");

  @Test
  void anUploadCutAtTheShutdownDeadlineResumesAfterTheRestart() throws Exception {
    RegistryClient client = registry.client();
    String repo = Checks.uniqueRepo("cut");
    Blob blob = Blob.random(8 * 1024 * 1024);
    URI upload = client.startUpload(repo);
    // 64 KiB every 50 ms: about 6.5 s, far beyond the 2 s the shutdown allows.
    SlowChunkedPush push =
        SlowChunkedPush.start(upload, blob.bytes(), 64 * 1024, Duration.ofMillis(50));
    while (push.sent() < 1024 * 1024) {
      Thread.sleep(10);
    }
    long signalled = System.nanoTime();
    registry.terminate();
    assertThatThrownBy(() -> push.result().get(30, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class);
    assertThat(registry.awaitExit(Duration.ofSeconds(20))).as("exit status").isZero();
    assertThat((System.nanoTime() - signalled) / 1_000_000)
        .as("ms to exit")
        .isLessThan(2_000 + 5_000 + 5_000);
    String log = Files.readString(registry.logFile());
    assertThat(log).contains("interrupted by shutdown");
    assertThat(
            log.lines()
                .filter(l -> l.contains("lading.audit") || l.contains("action="))
                .filter(l -> l.contains(repo))
                .filter(l -> l.contains("outcome=400")))
        .isEmpty();

    registry.start();
    RegistryClient after = registry.client();
    Reply status = after.get(upload);
    assertThat(status.status()).as("%s", status).isEqualTo(204);
    String range = status.headerOrNull("Range");
    long kept = Long.parseLong(range.substring(range.indexOf('-') + 1)) + 1;
    assertThat(kept).as("bytes the session kept").isPositive().isLessThanOrEqualTo(push.sent());
    Reply rest =
        after.patchChunk(
            status.location(),
            Arrays.copyOfRange(blob.bytes(), (int) kept, blob.bytes().length),
            kept);
    assertThat(rest.status()).as("%s", rest).isEqualTo(202);
    Reply put = after.putUpload(rest.location(), blob.digest(), new byte[0]);
    assertThat(put.status()).as("%s", put).isEqualTo(201);
    assertThat(Blob.sha256(after.getBlob(repo, blob.digest()).body())).isEqualTo(blob.digest());
  }
}
