package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.UrlSigningKeyKey;
import dev.lading.core.storage.fs.FilesystemStore;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lading's own signed blob URLs (what {@code ollama pull} is redirected to) are good on every
 * instance sharing the store and after a restart: behind a load balancer the ranged GETs of one
 * download reach other instances than the one that issued the URL.
 */
class SignedUrlsAcrossInstancesTest {
  private static final String OLLAMA = "ollama/0.32.15 (amd64 linux) Go/go1.24.4";

  @TempDir Path root;

  @Test
  void aUrlIssuedByOneInstanceIsServedByAnotherAndAfterARestart() throws Exception {
    byte[] gguf = "GGUF weights of a tiny model".getBytes(StandardCharsets.UTF_8);
    String repo = "ml/tiny";
    String pathAndQuery;
    try (RunningRegistry first = new RunningRegistry(root);
        RunningRegistry second = new RunningRegistry(root)) {
      String digest = first.pushBlob(repo, gguf);
      HttpResponse<String> redirect =
          first.send(
              first
                  .request("/v2/" + repo + "/blobs/" + digest)
                  .header("User-Agent", OLLAMA)
                  .GET()
                  .build());
      assertThat(redirect.statusCode()).isEqualTo(307);
      URI location = URI.create(redirect.headers().firstValue("Location").orElseThrow());
      pathAndQuery = location.getRawPath() + "?" + location.getRawQuery();

      HttpResponse<String> part =
          second.send(second.request(pathAndQuery).header("Range", "bytes=5-11").GET().build());
      assertThat(part.statusCode()).as("served by the other instance").isEqualTo(206);
      assertThat(part.body()).isEqualTo("weights");

      String tampered = pathAndQuery.substring(0, pathAndQuery.length() - 2) + "AA";
      if (tampered.equals(pathAndQuery)) {
        tampered = pathAndQuery.substring(0, pathAndQuery.length() - 2) + "BB";
      }
      assertThat(second.get(tampered).statusCode()).isEqualTo(403);
    }
    try (FilesystemStore store = new FilesystemStore(root, false, true)) {
      assertThat(store.read(StorageLayout.keyOf(new UrlSigningKeyKey())))
          .as("one key in the store, shared")
          .hasValueSatisfying(
              key -> assertThat(new String(key, StandardCharsets.UTF_8)).contains("\"key\""));
    }
    try (RunningRegistry restarted = new RunningRegistry(root)) {
      HttpResponse<String> whole = restarted.get(pathAndQuery);
      assertThat(whole.statusCode()).as("good after a restart").isEqualTo(200);
      assertThat(whole.body()).isEqualTo(new String(gguf, StandardCharsets.UTF_8));
    }
  }
}
