package dev.lading.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model clients under token auth. The files endpoint is authorized exactly like a pull of its
 * repository: anonymous where the rules let anonymous pull, a token with pull on that repository
 * otherwise, and a caller without access gets what a blob GET of the same repository gets (status,
 * error and challenge).
 */
class ModelsAuthTest {
  @TempDir Path root;

  @Test
  void filesAreAuthorizedLikeTheBlobGetOfTheirRepository() throws Exception {
    try (AuthFixture registry = new AuthFixture(root)) {
      byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
      byte[] gguf = "GGUF tiny model".getBytes(StandardCharsets.UTF_8);
      String manifest =
          AuthFixture.manifest(
                  AuthFixture.sha256(config), config.length, AuthFixture.sha256(gguf), gguf.length)
              .replace(
                  "\"size\":" + gguf.length + "}]",
                  "\"size\":"
                      + gguf.length
                      + ",\"annotations\":{\"org.opencontainers.image.title\":\"model.gguf\"}}]");
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
        assertThat(viaFile.statusCode())
            .as("token %s", token)
            .isEqualTo(viaBlob.statusCode())
            .isIn(401, 403);
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
          registry.send(
              registry.request("/files/other/tiny/-/v1/model.gguf", anonymousToken).GET().build());
      assertThat(anonymous.statusCode()).isEqualTo(200);
    }
  }

  /**
   * ollama pull with token auth (ollama {@code server/download.go} {@code blobDownload.run}, {@code
   * downloadChunk}): its blob GET carries the token and is answered {@code 307}; the parts are then
   * fetched from that location with {@code http.DefaultClient}, without Authorization.
   */
  @Test
  void ollamaPullIsRedirectedToASignedUrlThatNeedsNoToken() throws Exception {
    try (AuthFixture registry = new AuthFixture(root)) {
      byte[] gguf = "GGUF weights for a tiny model".getBytes(StandardCharsets.UTF_8);
      String repo = "ml/models/ollama";
      assertThat(
              registry.pushBlob(
                  repo, gguf, registry.token("admin", "repository:" + repo + ":pull,push")))
          .isEqualTo(201);
      String blob = "/v2/" + repo + "/blobs/" + AuthFixture.sha256(gguf);
      String ua = "ollama/0.32.15 (amd64 linux) Go/go1.24.4";

      HttpResponse<String> anonymous =
          registry.send(registry.request(blob, null).header("User-Agent", ua).GET().build());
      assertThat(anonymous.statusCode()).as("no token, no redirect").isEqualTo(401);

      String pull = registry.token("reader", "repository:" + repo + ":pull");
      HttpResponse<String> redirect =
          registry.send(registry.request(blob, pull).header("User-Agent", ua).GET().build());
      assertThat(redirect.statusCode()).isEqualTo(307);
      String location = redirect.headers().firstValue("Location").orElseThrow();
      assertThat(location).startsWith(registry.uri("/signed/" + repo + "/-/").toString());

      HttpResponse<String> part =
          registry.send(
              registry.request(location, null).header("Range", "bytes=5-11").GET().build());
      assertThat(part.statusCode()).isEqualTo(206);
      assertThat(part.body()).isEqualTo("weights");
      assertThat(part.headers().firstValue("Location"))
          .as("resp.Location() after a same-host redirect")
          .hasValue(location);
      // Without the ollama User-Agent, the blob itself, as before.
      assertThat(registry.send(registry.request(blob, pull).GET().build()).statusCode())
          .isEqualTo(200);
    }
  }

  /**
   * ollama pull of a repository anonymous may pull, with token auth on, as ollama asks for its
   * token (ollama {@code server/auth.go} {@code getAuthorizationToken}: the realm with {@code
   * service}, {@code scope}, {@code ts} and {@code nonce}, and an {@code Authorization} that is its
   * own key signature, not Basic): it gets the anonymous token, then the 307.
   */
  @Test
  void ollamaGetsAnAnonymousTokenWithItsKeySignature() throws Exception {
    try (AuthFixture registry = new AuthFixture(root)) {
      byte[] gguf = "GGUF public weights".getBytes(StandardCharsets.UTF_8);
      String repo = "other/public";
      assertThat(
              registry.pushBlob(
                  repo, gguf, registry.token("admin", "repository:" + repo + ":pull,push")))
          .isEqualTo(201);
      String blob = "/v2/" + repo + "/blobs/" + AuthFixture.sha256(gguf);
      String ua = "ollama/0.32.15 (amd64 linux) Go/go1.24.4";
      HttpResponse<String> challenge =
          registry.send(registry.request(blob, null).header("User-Agent", ua).GET().build());
      assertThat(challenge.statusCode()).isEqualTo(401);
      String signature =
          "AAAAC3NzaC1lZDI1NTE5AAAAIJ4x0pUWZ0Wl1q9r9Xo4pQwWm1aFZ3kWq7m0z5b1c2d3"
              + ":MEUCIQDx8vYQ0f9m6Xg2WZ4p1c8jv2E4rQ5xkW0p4r3g1u9s2wIgR5o3bq0t6y8w1n2m4k6j8h0g2f4d6s8a0q2w4e6r8t0=";
      HttpResponse<String> token =
          registry.send(
              registry
                  .request(
                      "/auth/token?service="
                          + AuthFixture.SERVICE
                          + "&scope=repository:"
                          + repo
                          + ":pull&ts=1767225600&nonce=bm9uY2Vub25jZQ",
                      null)
                  .header("Authorization", signature)
                  .header("User-Agent", ua)
                  .GET()
                  .build());
      assertThat(token.statusCode()).as(token.body()).isEqualTo(200);
      String bearer = registry.json(token.body()).path("token").asText();
      HttpResponse<String> redirect =
          registry.send(registry.request(blob, bearer).header("User-Agent", ua).GET().build());
      assertThat(redirect.statusCode()).isEqualTo(307);
      HttpResponse<String> part =
          registry.send(
              registry
                  .request(redirect.headers().firstValue("Location").orElseThrow(), null)
                  .header("Range", "bytes=0-3")
                  .GET()
                  .build());
      assertThat(part.body()).isEqualTo("GGUF");
      // A private repository stays private: the anonymous token does not reach it.
      String privateBlob = "/v2/ml/models/x/blobs/" + AuthFixture.sha256(gguf);
      assertThat(
              registry
                  .send(
                      registry.request(privateBlob, bearer).header("User-Agent", ua).GET().build())
                  .statusCode())
          .isEqualTo(401);
    }
  }
}
