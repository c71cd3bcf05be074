package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class UploadFlowTest {
  @TempDir Path root;
  RunningRegistry registry;

  @BeforeEach
  void start() {
    registry = new RunningRegistry(root);
  }

  @AfterEach
  void stop() {
    registry.close();
  }

  private HttpResponse<String> startSession(String repo) throws Exception {
    HttpResponse<String> r =
        registry.send(
            registry
                .request("/v2/" + repo + "/blobs/uploads/")
                .POST(HttpRequest.BodyPublishers.noBody())
                .build());
    assertThat(r.statusCode()).isEqualTo(202);
    return r;
  }

  @Test
  void sessionAnswersLocationUuidAndEmptyRange() throws Exception {
    HttpResponse<String> r = startSession("ml/llm");
    String location = r.headers().firstValue("Location").orElseThrow();
    assertThat(location)
        .as("absolute, at the origin the client used")
        .startsWith(registry.uri("/v2/ml/llm/blobs/uploads/").toString());
    assertThat(location).endsWith(r.headers().firstValue("Docker-Upload-UUID").orElseThrow());
    assertThat(r.headers().firstValue("Range")).hasValue("0-0");
    assertThat(r.headers().firstValue("Content-Length")).hasValue("0");
  }

  @Test
  void chunkedUploadThenPutCommitsTheBlob() throws Exception {
    byte[] data = new byte[300_000];
    new Random(1).nextBytes(data);
    String location = startSession("a").headers().firstValue("Location").orElseThrow();
    HttpResponse<String> first =
        registry.send(
            registry
                .request(location)
                .header("Content-Range", "0-99999")
                .header("Content-Type", "application/octet-stream")
                .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(data, 0, 100_000))
                .build());
    assertThat(first.statusCode()).as(first.body()).isEqualTo(202);
    assertThat(first.headers().firstValue("Range")).hasValue("0-99999");
    // A chunk streamed without a declared length (chunked transfer encoding).
    HttpResponse<String> second =
        registry.send(
            registry
                .request(location)
                .method(
                    "PATCH",
                    HttpRequest.BodyPublishers.ofInputStream(
                        () -> new ByteArrayInputStream(data, 100_000, 150_000)))
                .build());
    assertThat(second.statusCode()).as(second.body()).isEqualTo(202);
    assertThat(second.headers().firstValue("Range")).hasValue("0-249999");
    HttpResponse<String> status = registry.get(location);
    assertThat(status.statusCode()).isEqualTo(204);
    assertThat(status.headers().firstValue("Range")).hasValue("0-249999");
    String digest = RunningRegistry.sha256(data);
    HttpResponse<String> put =
        registry.send(
            registry
                .request(location + "?digest=" + digest)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(data, 250_000, 50_000))
                .build());
    assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
    assertThat(put.headers().firstValue("Location"))
        .hasValue(registry.uri("/v2/a/blobs/" + digest).toString());
    assertThat(put.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
    HttpResponse<byte[]> get =
        registry.sendForBytes(registry.request("/v2/a/blobs/" + digest).GET().build());
    assertThat(get.body()).isEqualTo(data);
  }

  @Test
  void outOfOrderChunkIs416WithTheCurrentOffset() throws Exception {
    String location = startSession("a").headers().firstValue("Location").orElseThrow();
    registry.send(
        registry
            .request(location)
            .header("Content-Range", "0-9")
            .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(new byte[10]))
            .build());
    HttpResponse<String> r =
        registry.send(
            registry
                .request(location)
                .header("Content-Range", "20-29")
                .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(new byte[10]))
                .build());
    assertThat(r.statusCode()).isEqualTo(416);
    assertThat(r.headers().firstValue("Range")).hasValue("0-9");
    assertThat(r.headers().firstValue("Location")).hasValue(location);
    assertThat(RunningRegistry.errorCode(r)).isEqualTo("BLOB_UPLOAD_INVALID");
    assertThat(sessionRange(location)).isEqualTo("0-9");
  }

  @ParameterizedTest
  @ValueSource(strings = {"ten-twenty", "10-5", "0-", "10-19/15", "bytes 10-19/10"})
  void malformedOrInconsistentContentRangeIsBlobUploadInvalidAndTakesNothing(String contentRange)
      throws Exception {
    String location = startSession("a").headers().firstValue("Location").orElseThrow();
    registry.send(
        registry
            .request(location)
            .header("Content-Range", "0-9")
            .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(new byte[10]))
            .build());
    HttpResponse<String> r =
        registry.send(
            registry
                .request(location)
                .header("Content-Range", contentRange)
                .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(new byte[10]))
                .build());
    RunningRegistry.assertError(r, 400, "BLOB_UPLOAD_INVALID");
    assertThat(sessionRange(location)).isEqualTo("0-9");
  }

  @Test
  void streamedChunkShorterOrLongerThanItsRangeIsSizeInvalidAndTakesNothing() throws Exception {
    String location = startSession("a").headers().firstValue("Location").orElseThrow();
    registry.send(
        registry
            .request(location)
            .header("Content-Range", "0-9")
            .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(new byte[10]))
            .build());
    for (String contentRange : new String[] {"10-99", "10-14"}) {
      // No Content-Length: the body is chunked, so only its end shows the mismatch.
      HttpResponse<String> r =
          registry.send(
              registry
                  .request(location)
                  .header("Content-Range", contentRange)
                  .method(
                      "PATCH",
                      HttpRequest.BodyPublishers.ofInputStream(
                          () -> new ByteArrayInputStream(new byte[10])))
                  .build());
      assertThat(r.statusCode()).as(contentRange).isEqualTo(400);
      assertThat(RunningRegistry.errorCode(r)).isEqualTo("SIZE_INVALID");
      assertThat(sessionRange(location)).isEqualTo("0-9");
    }
  }

  private String sessionRange(String location) throws Exception {
    HttpResponse<String> status = registry.get(location);
    assertThat(status.statusCode()).isEqualTo(204);
    return status.headers().firstValue("Range").orElseThrow();
  }

  @Test
  void wrongDigestAtPutIsDigestInvalidAndNothingIsVisible() throws Exception {
    String location = startSession("a").headers().firstValue("Location").orElseThrow();
    String wrong = RunningRegistry.sha256("other".getBytes());
    HttpResponse<String> r =
        registry.send(
            registry
                .request(location + "?digest=" + wrong)
                .PUT(HttpRequest.BodyPublishers.ofString("content"))
                .build());
    RunningRegistry.assertError(r, 400, "DIGEST_INVALID");
    assertThat(
            registry
                .send(
                    registry
                        .request("/v2/a/blobs/" + wrong)
                        .method("HEAD", HttpRequest.BodyPublishers.noBody())
                        .build())
                .statusCode())
        .isEqualTo(404);
  }

  @Test
  void cancelledSessionIsGone() throws Exception {
    String location = startSession("a").headers().firstValue("Location").orElseThrow();
    assertThat(registry.send(registry.request(location).DELETE().build()).statusCode())
        .isEqualTo(204);
    HttpResponse<String> r = registry.get(location);
    RunningRegistry.assertError(r, 404, "BLOB_UPLOAD_UNKNOWN");
  }

  @Test
  void unknownUploadIdIs404() throws Exception {
    HttpResponse<String> r = registry.get("/v2/a/blobs/uploads/not-a-uuid");
    RunningRegistry.assertError(r, 404, "BLOB_UPLOAD_UNKNOWN");
  }

  @Test
  void mountFromAnotherRepositoryIs201AndUnknownBlobFallsBackToASession() throws Exception {
    String digest = registry.pushBlob("source", "layer".getBytes());
    HttpResponse<String> mounted =
        registry.send(
            registry
                .request("/v2/target/blobs/uploads/?mount=" + digest + "&from=source")
                .POST(HttpRequest.BodyPublishers.noBody())
                .build());
    assertThat(mounted.statusCode()).isEqualTo(201);
    assertThat(mounted.headers().firstValue("Location"))
        .hasValue(registry.uri("/v2/target/blobs/" + digest).toString());
    String unknown = RunningRegistry.sha256("nowhere".getBytes());
    HttpResponse<String> session =
        registry.send(
            registry
                .request("/v2/target/blobs/uploads/?mount=" + unknown + "&from=source")
                .POST(HttpRequest.BodyPublishers.noBody())
                .build());
    assertThat(session.statusCode()).isEqualTo(202);
    assertThat(session.headers().firstValue("Location"))
        .hasValueSatisfying(
            l -> assertThat(l).startsWith(registry.uri("/v2/target/blobs/uploads/").toString()));
  }

  @Test
  void expectContinueIsAnsweredAndTheBodyArrives() throws Exception {
    byte[] data = new byte[70_000];
    Arrays.fill(data, (byte) 3);
    String digest = RunningRegistry.sha256(data);
    HttpResponse<String> r =
        registry.client.send(
            registry
                .request("/v2/a/blobs/uploads/?digest=" + digest)
                .expectContinue(true)
                .POST(HttpRequest.BodyPublishers.ofByteArray(data))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
  }
}
