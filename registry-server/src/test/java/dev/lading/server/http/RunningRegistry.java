package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lading.server.LadingServer;
import dev.lading.server.config.LadingConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** A real server on an ephemeral port over a temporary filesystem store, and a real client. */
final class RunningRegistry implements AutoCloseable {
  final LadingServer server;
  final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  RunningRegistry(Path root) {
    this(LadingConfig.forTests(root));
  }

  RunningRegistry(LadingConfig config) {
    server = LadingServer.start(config);
  }

  URI uri(String pathAndQuery) {
    if (pathAndQuery.startsWith("http://") || pathAndQuery.startsWith("https://")) {
      return URI.create(pathAndQuery); // an absolute Location as the server sends it
    }
    return URI.create("http://127.0.0.1:" + server.port() + pathAndQuery);
  }

  HttpRequest.Builder request(String pathAndQuery) {
    return HttpRequest.newBuilder(uri(pathAndQuery));
  }

  HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** A GET of {@code pathAndQuery}, the body as text. */
  HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
    return send(request(pathAndQuery).GET().build());
  }

  HttpResponse<byte[]> sendForBytes(HttpRequest request) throws IOException, InterruptedException {
    return client.send(request, HttpResponse.BodyHandlers.ofByteArray());
  }

  /** Pushes {@code content} monolithically and returns its digest. */
  String pushBlob(String repo, byte[] content) throws IOException, InterruptedException {
    String digest = sha256(content);
    HttpResponse<String> r =
        send(
            request("/v2/" + repo + "/blobs/uploads/?digest=" + digest)
                .POST(HttpRequest.BodyPublishers.ofByteArray(content))
                .build());
    if (r.statusCode() != 201) {
      throw new AssertionError("push failed: " + r.statusCode() + " " + r.body());
    }
    return digest;
  }

  /**
   * The one error code of a spec error body; fails unless the body carries exactly one error, so a
   * test that pins a code cannot pass on a body with several or none.
   */
  static String errorCode(HttpResponse<String> response) {
    try {
      JsonNode errors = new ObjectMapper().readTree(response.body()).path("errors");
      if (errors.size() != 1) {
        throw new AssertionError("expected exactly one error in " + response.body());
      }
      return errors.get(0).path("code").asText();
    } catch (IOException e) {
      throw new AssertionError("not a JSON error body: " + response.body(), e);
    }
  }

  /** Asserts a spec error: the status and the body's one error code. */
  static void assertError(HttpResponse<String> response, int status, String code) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(errorCode(response)).isEqualTo(code);
  }

  static String sha256(byte[] content) {
    try {
      return "sha256:"
          + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  @Override
  public void close() {
    server.close();
  }
}
