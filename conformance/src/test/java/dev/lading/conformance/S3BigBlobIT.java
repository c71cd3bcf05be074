package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A blob of a few GiB (3 by default, {@code -Dlading.it.bigBlobMib=N}) pushed through a server on
 * the S3 store whose heap is 256 MiB, then pulled back and its digest checked: the bytes stream
 * into multipart parts and out of ranged GETs, never held whole. The content is generated on the
 * fly on both sides and never stored by the test.
 */
@EnabledIfSystemProperty(
    named = "lading.conformance.store",
    matches = "s3",
    disabledReason = "needs the S3 store; runs in the on-s3 failsafe execution")
class S3BigBlobIT {
  // 32 MiB parts (the default): the default budget at -Xmx256m is then two parts, 64 MiB.
  @RegisterExtension
  static final RegistryProcess registry =
      RegistryProcess.create()
          .withMaxHeap("256m")
          .withEnvironment("LADING_STORAGE_S3_PART_SIZE_MIB", "32");

  private static final long SIZE =
      Long.getLong("lading.it.bigBlobMib", 3 * 1024) * 1024 * 1024 + 12_345;

  @Test
  void multiGibibyteBlobGoesThroughA256MibHeapAndComesBackWhole() throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    String repo = Checks.uniqueRepo("big");
    URI upload = registry.client().startUpload(repo);

    GeneratedBody body = new GeneratedBody(SIZE);
    HttpResponse<String> patched =
        http.send(
            HttpRequest.newBuilder(upload)
                .method("PATCH", HttpRequest.BodyPublishers.ofInputStream(() -> body))
                .header("Content-Type", "application/octet-stream")
                .timeout(Duration.ofMinutes(20))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(patched.statusCode()).as(patched.body()).isEqualTo(202);
    assertThat(patched.headers().firstValue("Range")).hasValue("0-" + (SIZE - 1));
    String digest = body.digest();

    URI location = upload.resolve(patched.headers().firstValue("Location").orElseThrow());
    HttpResponse<String> closed =
        http.send(
            HttpRequest.newBuilder(RegistryClient.withQuery(location, "digest", digest))
                .PUT(HttpRequest.BodyPublishers.noBody())
                .header("Content-Type", "application/octet-stream")
                .timeout(Duration.ofMinutes(20))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(closed.statusCode()).as(closed.body()).isEqualTo(201);

    HttpResponse<InputStream> pulled =
        http.send(
            HttpRequest.newBuilder(registry.client().resolve("/v2/" + repo + "/blobs/" + digest))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    assertThat(pulled.statusCode()).isEqualTo(200);
    assertThat(pulled.headers().firstValueAsLong("Content-Length")).hasValue(SIZE);
    MessageDigest received = MessageDigest.getInstance("SHA-256");
    long count = 0;
    try (InputStream in = pulled.body()) {
      byte[] buffer = new byte[1 << 20];
      int n;
      while ((n = in.read(buffer)) > 0) {
        received.update(buffer, 0, n);
        count += n;
      }
    }
    assertThat(count).isEqualTo(SIZE);
    assertThat("sha256:" + HexFormat.of().formatHex(received.digest())).isEqualTo(digest);
    System.out.printf(
        "S3BigBlobIT: %d MiB through -Xmx256m, server peak RSS %d MiB%n",
        SIZE >> 20, registry.peakRssKib() / 1024);
  }
}
