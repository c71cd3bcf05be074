package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BlobDownloadTest {
  RunningRegistry registry;
  final byte[] blob = new byte[1000];
  String digest;

  @BeforeAll
  void start(@TempDir Path root) throws Exception {
    registry = new RunningRegistry(root);
    new Random(7).nextBytes(blob);
    digest = registry.pushBlob("p2p/cache", blob);
  }

  @AfterAll
  void stop() {
    registry.close();
  }

  @Test
  void wholeBlobWithCacheHeaders() throws Exception {
    HttpResponse<byte[]> r = registry.sendForBytes(registry.request("/v2/p2p/cache/blobs/" + digest).GET().build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(blob);
    assertThat(r.headers().firstValue("Content-Length")).hasValue("1000");
    assertThat(r.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
    assertThat(r.headers().firstValue("ETag")).hasValue("\"" + digest + "\"");
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("max-age=31536000, immutable");
    assertThat(r.headers().firstValue("Accept-Ranges")).hasValue("bytes");
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
  }

  @Test
  void headAnswersSizeWithoutBody() throws Exception {
    HttpResponse<byte[]> r = registry.sendForBytes(registry.request("/v2/p2p/cache/blobs/" + digest)
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Length")).hasValue("1000");
    assertThat(r.body()).isEmpty();
  }

  @ParameterizedTest(name = "{0} -> 206 {1}-{2}")
  @CsvSource({
    "'bytes=0-0',     0,   0",
    "'bytes=0-999',   0,   999",
    "'bytes=100-199', 100, 199",
    "'bytes=900-',    900, 999",
    "'bytes=-24',     976, 999",
    "'bytes=990-5000', 990, 999",
    "'bytes=0-99999999999999999999999', 0, 999",
    "'bytes=500-99999999999999999999999', 500, 999",
    "'bytes=-99999999999999999999', 0, 999",
  })
  void rangeIsAlways206WithExactContentRange(String range, int first, int last) throws Exception {
    HttpResponse<byte[]> r = registry.sendForBytes(registry.request("/v2/p2p/cache/blobs/" + digest)
        .header("Range", range).GET().build());
    assertThat(r.statusCode()).isEqualTo(206);
    assertThat(r.headers().firstValue("Content-Range")).hasValue("bytes " + first + "-" + last + "/1000");
    assertThat(r.headers().firstValue("Content-Length")).hasValue(String.valueOf(last - first + 1));
    assertThat(r.body()).isEqualTo(Arrays.copyOfRange(blob, first, last + 1));
  }

  @ParameterizedTest(name = "{0} -> 416")
  @CsvSource({"'bytes=1000-'", "'bytes=5-1'", "'bytes=0-1,3-4'", "'bytes=x'",
      "'bytes=99999999999999999999-'", "'bytes=99999999999999999999-99999999999999999999'"})
  void unsatisfiableOrUnsupportedRangeIs416WithSize(String range) throws Exception {
    HttpResponse<String> r = registry.send(registry.request("/v2/p2p/cache/blobs/" + digest)
        .header("Range", range).GET().build());
    assertThat(r.statusCode()).isEqualTo(416);
    assertThat(r.headers().firstValue("Content-Range")).hasValue("bytes */1000");
    assertThat(RunningRegistry.errorCode(r)).isEqualTo("RANGE_INVALID");
  }

  @ParameterizedTest(name = "{0} -> 200")
  @CsvSource({"'items=0-1'", "'pages=1-2,3-4'"})
  void rangeInAnotherUnitIsIgnoredAndTheWholeBlobSent(String range) throws Exception {
    HttpResponse<byte[]> r = registry.sendForBytes(registry.request("/v2/p2p/cache/blobs/" + digest)
        .header("Range", range).GET().build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Range")).isEmpty();
    assertThat(r.body()).isEqualTo(blob);
  }

  @Test
  void ifRangeWithTheEtagHonoursTheRange() throws Exception {
    HttpResponse<byte[]> r = registry.sendForBytes(registry.request("/v2/p2p/cache/blobs/" + digest)
        .header("Range", "bytes=10-19").header("If-Range", "\"" + digest + "\"").GET().build());
    assertThat(r.statusCode()).isEqualTo(206);
    assertThat(r.body()).isEqualTo(Arrays.copyOfRange(blob, 10, 20));
  }

  @Test
  void ifRangeThatDoesNotMatchGetsTheWholeBlob() throws Exception {
    HttpResponse<byte[]> r = registry.sendForBytes(registry.request("/v2/p2p/cache/blobs/" + digest)
        .header("Range", "bytes=10-19").header("If-Range", "\"sha256:other\"").GET().build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(blob);
  }

  @Test
  void unknownBlobIs404BlobUnknown() throws Exception {
    HttpResponse<String> r = registry.get("/v2/p2p/cache/blobs/" + RunningRegistry.sha256(new byte[] {9}));
    RunningRegistry.assertError(r, 404, "BLOB_UNKNOWN");
  }

  @Test
  void manyRequestsReuseOneConnection() throws Exception {
    for (int i = 0; i < 20; i++) {
      HttpResponse<byte[]> r = registry.sendForBytes(registry.request("/v2/p2p/cache/blobs/" + digest)
          .header("Range", "bytes=" + i + "-" + i).GET().build());
      assertThat(r.body()).containsExactly(blob[i]);
    }
  }
}
