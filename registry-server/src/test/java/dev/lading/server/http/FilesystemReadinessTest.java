package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Readiness on the filesystem store checks the store as it does S3: a store whose root directory
 * vanished (an unmounted volume) or cannot be read is not ready, although its listing would simply
 * look empty; and ready again once it is back.
 */
class FilesystemReadinessTest {
  @TempDir Path dir;

  private static int readyStatus(RunningRegistry r, int wanted) throws Exception {
    // The store's answer is reused for a second: poll a little longer than that.
    int status = -1;
    for (int i = 0; i < 40 && status != wanted; i++) {
      HttpResponse<String> ready = r.send(r.request("/readyz").GET().build());
      status = ready.statusCode();
      if (status != wanted) {
        Thread.sleep(100);
      }
    }
    return status;
  }

  @Test
  void readinessTurns503WhenTheRootVanishesAndBackWhenItReturns() throws Exception {
    Path root = Files.createDirectories(dir.resolve("data"));
    try (RunningRegistry r = new RunningRegistry(root)) {
      assertThat(readyStatus(r, 200)).isEqualTo(200);
      Path away = Files.move(root, dir.resolve("unmounted"));
      assertThat(readyStatus(r, 503)).isEqualTo(503);
      assertThat(r.send(r.request("/readyz").GET().build()).body()).contains("storage unavailable");
      assertThat(r.send(r.request("/healthz").GET().build()).statusCode())
          .as("liveness stays")
          .isEqualTo(200);
      Files.move(away, root);
      assertThat(readyStatus(r, 200)).isEqualTo(200);
    }
  }

  @Test
  void readinessTurns503WhenTheRootIsUnreadable() throws Exception {
    // root reads every directory whatever its mode, so only another user can see the refusal.
    assumeTrue(
        !"root".equals(System.getProperty("user.name")),
        "runs as root, who may read a mode-000 directory");
    Path root = Files.createDirectories(dir.resolve("data"));
    try (RunningRegistry r = new RunningRegistry(root)) {
      assertThat(readyStatus(r, 200)).isEqualTo(200);
      Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("---------"));
      try {
        assertThat(readyStatus(r, 503)).isEqualTo(503);
      } finally {
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
      }
    }
  }
}
