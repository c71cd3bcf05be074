package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Upload sessions and content live in the store, not in the process: a push interrupted by a
 * restart continues where it stopped, and what was pushed before is still served after.
 */
class RestartIT {
  @RegisterExtension static final RegistryProcess registry = RegistryProcess.create();

  @Test
  void chunkedUploadContinuesAcrossARestart() throws InterruptedException {
    RegistryClient client = registry.client();
    String repo = Checks.uniqueRepo("restart");
    Blob blob = Blob.random(3 * 1024 * 1024 + 17);
    int half = 1536 * 1024;
    URI upload = client.startUpload(repo);
    Reply first = client.patchChunk(upload, Arrays.copyOfRange(blob.bytes(), 0, half), 0);
    assertThat(first.status()).as("%s", first).isEqualTo(202);
    assertThat(first.headerOrNull("Range")).isEqualTo("0-" + (half - 1));
    URI next = first.location();

    registry.restart();
    client = registry.client();

    Reply status = client.get(next);
    assertThat(status.status()).as("%s", status).isEqualTo(204);
    assertThat(status.headerOrNull("Range")).isEqualTo("0-" + (half - 1));
    Reply second =
        client.patchChunk(
            status.location(), Arrays.copyOfRange(blob.bytes(), half, blob.bytes().length), half);
    assertThat(second.status()).as("%s", second).isEqualTo(202);
    assertThat(second.headerOrNull("Range")).isEqualTo("0-" + (blob.size() - 1));
    Reply put = client.putUpload(second.location(), blob.digest(), new byte[0]);
    assertThat(put.status()).as("%s", put).isEqualTo(201);

    Reply get = client.getBlob(repo, blob.digest());
    assertThat(get.status()).isEqualTo(200);
    assertThat(Blob.sha256(get.body())).isEqualTo(blob.digest());
  }

  @Test
  void pushedImageIsServedAfterARestart() throws InterruptedException {
    RegistryClient client = registry.client();
    String repo = Checks.uniqueRepo("restart");
    Images image = Images.pushed(client, repo, "durable");

    registry.restart();
    client = registry.client();

    Reply manifest = client.getManifest(repo, "durable");
    assertThat(manifest.status()).as("%s", manifest).isEqualTo(200);
    assertThat(manifest.body()).isEqualTo(image.manifest().bytes());
    for (Blob layer : image.layers()) {
      assertThat(client.getBlob(repo, layer.digest()).body()).isEqualTo(layer.bytes());
    }
    assertThat(RegistryClient.strings(client.listTags(repo), "tags")).containsExactly("durable");
  }

  @Test
  void aStoppedServerHasWrittenOutEveryLineItLogged() throws InterruptedException, IOException {
    // Log lines are queued for a logging thread (so no event loop waits on stdout); a stop
    // must still write out the last requests' access lines and the shutdown's own lines.
    String repo = Checks.uniqueRepo("lastwords");
    Reply last = registry.client().headManifest(repo, "gone");
    assertThat(last.status()).as("%s", last).isEqualTo(404);

    registry.stop();
    List<String> lines = Files.readAllLines(registry.logFile());
    registry.start();

    assertThat(lines)
        .anyMatch(line -> line.contains(" access HEAD /v2/" + repo + "/manifests/gone 404 "));
    assertThat(lines.getLast()).endsWith("LadingServer stopped");
  }
}
