package dev.lading.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files endpoint is authorized exactly like a pull of its repository: anonymous where the
 * rules let anonymous pull, a token with pull on that repository otherwise, and a caller
 * without access gets what a blob GET of the same repository gets (status, error and challenge).
 */
class FilesAuthTest {
  @TempDir Path root;

  @Test
  void filesAreAuthorizedLikeTheBlobGetOfTheirRepository() throws Exception {
    try (AuthFixture registry = new AuthFixture(root)) {
      byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
      byte[] gguf = "GGUF tiny model".getBytes(StandardCharsets.UTF_8);
      String manifest = AuthFixture.manifest(AuthFixture.sha256(config), config.length,
              AuthFixture.sha256(gguf), gguf.length)
          .replace("\"size\":" + gguf.length + "}]",
              "\"size\":" + gguf.length + ",\"annotations\":{\"org.opencontainers.image.title\":\"model.gguf\"}}]");
      for (String repo : new String[] {"ml/models/tiny", "other/tiny"}) {
        String push = registry.token("admin", "repository:" + repo + ":pull,push");
        assertThat(registry.pushBlob(repo, config, push)).isEqualTo(201);
        assertThat(registry.pushBlob(repo, gguf, push)).isEqualTo(201);
        assertThat(registry.putManifest(repo, "v1", manifest, push)).isEqualTo(201);
      }
      String blob = "/v2/ml/models/tiny/blobs/" + AuthFixture.sha256(gguf);
      String file = "/files/ml/models/tiny/-/v1/model.gguf";

      String wrongRepo = registry.token("admin", "repository:other/tiny:pull");
      for (String token : new String[] {null, wrongRepo, "not-a-token"}) {
        HttpResponse<String> viaBlob = registry.send(registry.request(blob, token).GET().build());
        HttpResponse<String> viaFile = registry.send(registry.request(file, token).GET().build());
        assertThat(viaFile.statusCode()).as("token %s", token).isEqualTo(viaBlob.statusCode()).isIn(401, 403);
        assertThat(viaFile.headers().firstValue("WWW-Authenticate"))
            .isEqualTo(viaBlob.headers().firstValue("WWW-Authenticate"));
        assertThat(viaFile.body()).isEqualTo(viaBlob.body());
      }

      String pull = registry.token("reader", "repository:ml/models/tiny:pull");
      HttpResponse<String> allowed = registry.send(registry.request(file, pull).GET().build());
      assertThat(allowed.statusCode()).isEqualTo(200);
      assertThat(allowed.body()).isEqualTo("GGUF tiny model");

      // Anonymous may pull other/*: its files too, with the anonymous token a pull would use.
      String anonymousToken = registry.token(null, "repository:other/tiny:pull");
      HttpResponse<String> anonymous =
          registry.send(registry.request("/files/other/tiny/-/v1/model.gguf", anonymousToken).GET().build());
      assertThat(anonymous.statusCode()).isEqualTo(200);
    }
  }

  /**
   * ollama pull with token auth (ollama {@code server/download.go} {@code blobDownload.run},
   * {@code downloadChunk}): its blob GET carries the token and is answered {@code 307}; the parts
   * are then fetched from that location with {@code http.DefaultClient}, without Authorization.
   */
  @Test
  void ollamaPullIsRedirectedToASignedUrlThatNeedsNoToken() throws Exception {
    try (AuthFixture registry = new AuthFixture(root)) {
      byte[] gguf = "GGUF weights for a tiny model".getBytes(StandardCharsets.UTF_8);
      String repo = "ml/models/ollama";
      assertThat(registry.pushBlob(repo, gguf, registry.token("admin", "repository:" + repo + ":pull,push")))
          .isEqualTo(201);
      String blob = "/v2/" + repo + "/blobs/" + AuthFixture.sha256(gguf);
      String ua = "ollama/0.32.15 (amd64 linux) Go/go1.24.4";

      HttpResponse<String> anonymous = registry.send(registry.request(blob, null).header("User-Agent", ua).GET().build());
      assertThat(anonymous.statusCode()).as("no token, no redirect").isEqualTo(401);

      String pull = registry.token("reader", "repository:" + repo + ":pull");
      HttpResponse<String> redirect = registry.send(registry.request(blob, pull).header("User-Agent", ua).GET().build());
      assertThat(redirect.statusCode()).isEqualTo(307);
      String location = redirect.headers().firstValue("Location").orElseThrow();
      assertThat(location).startsWith(registry.uri("/signed/" + repo + "/-/").toString());

      HttpResponse<String> part = registry.send(registry.request(location, null).header("Range", "bytes=5-11").GET().build());
      assertThat(part.statusCode()).isEqualTo(206);
      assertThat(part.body()).isEqualTo("weights");
      assertThat(part.headers().firstValue("Location")).as("resp.Location() after a same-host redirect")
          .hasValue(location);
      // Without the ollama User-Agent, the blob itself, as before.
      assertThat(registry.send(registry.request(blob, pull).GET().build()).statusCode()).isEqualTo(200);
    }
  }
}
