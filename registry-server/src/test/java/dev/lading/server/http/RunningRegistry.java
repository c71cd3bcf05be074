package dev.lading.server.http;

import dev.lading.server.LadingServer;
import dev.lading.server.config.LadingConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
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
    return URI.create("http://127.0.0.1:" + server.port() + pathAndQuery);
  }

  HttpRequest.Builder request(String pathAndQuery) {
    return HttpRequest.newBuilder(uri(pathAndQuery));
  }

  HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<byte[]> sendForBytes(HttpRequest request) throws IOException, InterruptedException {
    return client.send(request, HttpResponse.BodyHandlers.ofByteArray());
  }

  /** Pushes {@code content} monolithically and returns its digest. */
  String pushBlob(String repo, byte[] content) throws IOException, InterruptedException {
    String digest = sha256(content);
    HttpResponse<String> r = send(request("/v2/" + repo + "/blobs/uploads/?digest=" + digest)
        .POST(HttpRequest.BodyPublishers.ofByteArray(content)).build());
    if (r.statusCode() != 201) {
      throw new AssertionError("push failed: " + r.statusCode() + " " + r.body());
    }
    return digest;
  }

  /**
   * The one error code of a spec error body; fails unless the body carries exactly one error,
   * so a test that pins a code cannot pass on a body with several or none.
   */
  static String errorCode(HttpResponse<String> response) {
    try {
      com.fasterxml.jackson.databind.JsonNode errors =
          new com.fasterxml.jackson.databind.ObjectMapper().readTree(response.body()).path("errors");
      if (errors.size() != 1) {
        throw new AssertionError("expected exactly one error in " + response.body());
      }
      return errors.get(0).path("code").asText();
    } catch (IOException e) {
      throw new AssertionError("not a JSON error body: " + response.body(), e);
    }
  }

  static String sha256(byte[] content) {
    try {
      return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  @Override
  public void close() {
    server.close();
  }
}
