package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.server.config.LadingConfig;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestHandlerTest {
  private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  @TempDir Path root;
  RunningRegistry registry;

  @BeforeEach
  void start() {
    registry = new RunningRegistry(LadingConfig.forTests(root).withManifestLimit(4096));
  }

  @AfterEach
  void stop() {
    registry.close();
  }

  private String manifest(String repo) throws Exception {
    byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
    String digest = registry.pushBlob(repo, config);
    return """
        {"schemaVersion":2,"mediaType":"%s",
         "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},
         "layers":[]}"""
        .formatted(OCI_MANIFEST, digest, config.length);
  }

  private static String sparseIndex(String child) {
    String absent = "sha256:" + "0".repeat(64);
    return """
        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
         {"mediaType":"%s","digest":"%s","size":10},{"mediaType":"%s","digest":"%s","size":10}]}"""
        .formatted(OCI_MANIFEST, child, OCI_MANIFEST, absent);
  }

  private static HttpResponse<String> putIndex(RunningRegistry r, String body) throws Exception {
    return r.send(
        r.request("/v2/a/b/manifests/sparse")
            .header("Content-Type", "application/vnd.oci.image.index.v1+json")
            .PUT(HttpRequest.BodyPublishers.ofString(body))
            .build());
  }

  @Test
  void sparseIndexIsRefusedByDefaultAndAcceptedWhenConfigured(@TempDir Path other)
      throws Exception {
    String body = manifest("a/b");
    String child = RunningRegistry.sha256(body.getBytes(StandardCharsets.UTF_8));
    registry.send(
        registry
            .request("/v2/a/b/manifests/" + child)
            .header("Content-Type", OCI_MANIFEST)
            .PUT(HttpRequest.BodyPublishers.ofString(body))
            .build());
    HttpResponse<String> refused = putIndex(registry, sparseIndex(child));
    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
    assertThat(refused.body()).contains("MANIFEST_BLOB_UNKNOWN");
    try (RunningRegistry sparse =
        new RunningRegistry(LadingConfig.forTests(other).withAllowSparseIndex(true))) {
      String config = "{}";
      String configDigest = sparse.pushBlob("a/b", config.getBytes(StandardCharsets.UTF_8));
      String m =
          """
          {"schemaVersion":2,"mediaType":"%s",
           "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":2},
           "layers":[]}"""
              .formatted(OCI_MANIFEST, configDigest);
      String mDigest = RunningRegistry.sha256(m.getBytes(StandardCharsets.UTF_8));
      assertThat(
              sparse
                  .send(
                      sparse
                          .request("/v2/a/b/manifests/" + mDigest)
                          .header("Content-Type", OCI_MANIFEST)
                          .PUT(HttpRequest.BodyPublishers.ofString(m))
                          .build())
                  .statusCode())
          .isEqualTo(201);
      HttpResponse<String> accepted = putIndex(sparse, sparseIndex(mDigest));
      assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(201);
      assertThat(sparse.get("/v2/a/b/manifests/sparse").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void putThenGetAndHeadAnswerTheStoredBytesAndHeaders() throws Exception {
    String body = manifest("a/b");
    String digest = RunningRegistry.sha256(body.getBytes(StandardCharsets.UTF_8));
    HttpResponse<String> put =
        registry.send(
            registry
                .request("/v2/a/b/manifests/v1")
                .header("Content-Type", OCI_MANIFEST)
                .PUT(HttpRequest.BodyPublishers.ofString(body))
                .build());
    assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
    assertThat(put.headers().firstValue("Location"))
        .hasValue(registry.uri("/v2/a/b/manifests/" + digest).toString());
    assertThat(put.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
    HttpResponse<String> get = registry.get("/v2/a/b/manifests/v1");
    assertThat(get.statusCode()).isEqualTo(200);
    assertThat(get.body()).isEqualTo(body);
    assertThat(get.headers().firstValue("Content-Type")).hasValue(OCI_MANIFEST);
    assertThat(get.headers().firstValue("ETag")).hasValue("\"" + digest + "\"");
    HttpResponse<String> head =
        registry.send(
            registry
                .request("/v2/a/b/manifests/" + digest)
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.headers().firstValue("Content-Length")).hasValue(String.valueOf(body.length()));
    assertThat(head.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
    HttpResponse<String> delete =
        registry.send(registry.request("/v2/a/b/manifests/" + digest).DELETE().build());
    assertThat(delete.statusCode()).isEqualTo(202);
  }

  @Test
  void declaredLengthAboveTheLimitIs413() throws Exception {
    byte[] big = new byte[5000];
    HttpResponse<String> r =
        registry.send(
            registry
                .request("/v2/a/manifests/big")
                .header("Content-Type", OCI_MANIFEST)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(big))
                .build());
    RunningRegistry.assertError(r, 413, "MANIFEST_INVALID");
  }

  @Test
  void streamedManifestIsCutOffSoonAfterTheLimit() throws Exception {
    AtomicLong produced = new AtomicLong();
    // An endless chunked body: the server must answer after reading about the limit, not wait for
    // the end.
    InputStream endless =
        new InputStream() {
          @Override
          public int read() {
            produced.incrementAndGet();
            return ' ';
          }

          @Override
          public int read(byte[] b, int off, int len) {
            int n = Math.min(len, 1024);
            Arrays.fill(b, off, off + n, (byte) ' ');
            produced.addAndGet(n);
            return n;
          }
        };
    HttpResponse<String> r =
        registry.send(
            registry
                .request("/v2/a/manifests/big")
                .header("Content-Type", OCI_MANIFEST)
                .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> endless))
                .build());
    RunningRegistry.assertError(r, 413, "MANIFEST_INVALID");
  }
}
