package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code kill -9} of the real process while it closes an upload: the closing {@code PUT} carries
 * the last 8 MiB of a 16 MiB blob, and the process dies at a different moment of it in every round
 * (before the body is in, while the bytes are made durable, around the commit). A client that got
 * no answer retries the same {@code PUT} against the restarted server and must get {@code 201} with
 * the blob pullable, or {@code 404 BLOB_UPLOAD_UNKNOWN} after which a fresh upload succeeds; never
 * a {@code 5xx}, which clients retry forever.
 */
class KillDuringCloseIT {
  @RegisterExtension static final RegistryProcess registry = RegistryProcess.create();

  private static final int HALF = 8 * 1024 * 1024;

  /** Delays from sending the PUT to the kill, spread over the window the PUT takes here. */
  private static final long[] KILL_AFTER_MILLIS = {0, 10, 25, 40, 55, 70, 100, 150};

  @Test
  void aRetriedCloseAfterAKillAnswers201Or404AndNeverAServerError() throws Exception {
    List<String> outcomes = new ArrayList<>();
    for (long delay : KILL_AFTER_MILLIS) {
      outcomes.add(delay + " ms: " + round(delay));
    }
    // Which outcome a round sees depends on timing; every round above asserted its own.
    System.out.println("kill during close: " + outcomes);
  }

  private String round(long killAfterMillis) throws Exception {
    RegistryClient client = registry.client();
    String repo = Checks.uniqueRepo("killclose");
    Blob blob = Blob.random(2 * HALF);
    URI upload = client.startUpload(repo);
    Reply first = client.patchChunk(upload, Arrays.copyOfRange(blob.bytes(), 0, HALF), 0);
    assertThat(first.status()).as("%s", first).isEqualTo(202);
    URI session = first.location();
    byte[] last = Arrays.copyOfRange(blob.bytes(), HALF, 2 * HALF);

    CompletableFuture<Reply> inFlight =
        CompletableFuture.supplyAsync(() -> client.putUpload(session, blob.digest(), last));
    Thread.sleep(killAfterMillis);
    registry.kill();
    String firstAnswer;
    try {
      firstAnswer = Integer.toString(inFlight.join().status());
    } catch (RuntimeException connectionDied) {
      firstAnswer = "none";
    }
    registry.start();

    RegistryClient after = registry.client();
    Reply retry = after.putUpload(session, blob.digest(), last);
    assertThat(retry.status())
        .as("retried close after a kill (first answer %s): %s", firstAnswer, retry)
        .isIn(201, 404);
    if (retry.status() == 404) {
      assertThat(retry.errorCodes()).contains("BLOB_UPLOAD_UNKNOWN");
      after.pushBlob(repo, blob); // the client starts over
    }
    Reply get = after.getBlob(repo, blob.digest());
    assertThat(get.status()).as("%s", get).isEqualTo(200);
    assertThat(Blob.sha256(get.body())).isEqualTo(blob.digest());
    return "first answer " + firstAnswer + ", retry " + retry.status();
  }
}
