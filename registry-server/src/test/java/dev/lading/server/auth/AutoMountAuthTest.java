package dev.lading.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /v2/<name>/blobs/uploads/?mount=<digest>} without {@code from} under token auth, over
 * a socket: mounts from a repository the token names with pull that links the blob; a blob only in
 * repositories the caller cannot read answers exactly like an unknown blob (202 and a session) and
 * stays unlinked. A {@code from} that is not a repository name counts as none.
 */
class AutoMountAuthTest {
  @TempDir static Path root;
  static AuthFixture registry;
  static String inMlBase;
  static String inVault;

  @BeforeAll
  static void start() throws Exception {
    registry = new AuthFixture(root);
    inMlBase = push("ml/base", "a layer in ml/base");
    inVault = push("vault/secret", "a layer only in vault/secret");
  }

  @AfterAll
  static void stop() {
    registry.close();
  }

  private static String push(String repo, String content) throws Exception {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    String digest = AuthFixture.sha256(bytes);
    String token = registry.token("admin", "repository:" + repo + ":pull,push");
    HttpResponse<String> r =
        registry.send(
            registry
                .request("/v2/" + repo + "/blobs/uploads/?digest=" + digest, token)
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes))
                .build());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return digest;
  }

  private static HttpResponse<String> mount(String repo, String query, String token)
      throws Exception {
    return registry.send(
        registry
            .request("/v2/" + repo + "/blobs/uploads/?" + query, token)
            .POST(HttpRequest.BodyPublishers.noBody())
            .build());
  }

  private static int head(String repo, String digest) throws Exception {
    String admin = registry.token("admin", "repository:" + repo + ":pull");
    return registry
        .send(
            registry
                .request("/v2/" + repo + "/blobs/" + digest, admin)
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build())
        .statusCode();
  }

  private static void assertPlainUpload(HttpResponse<String> r, String repo) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    assertThat(r.headers().firstValue("Location"))
        .hasValueSatisfying(
            l ->
                assertThat(l)
                    .startsWith(registry.uri("/v2/" + repo + "/blobs/uploads/").toString()));
    assertThat(r.headers().firstValue("Docker-Upload-UUID")).isPresent();
    assertThat(r.headers().firstValue("Docker-Content-Digest")).isEmpty();
    assertThat(r.body()).isEmpty();
  }

  @Test
  void mountsFromARepositoryTheTokenMayPull() throws Exception {
    String token =
        registry.token("ml-builder", "repository:ml/auto1:pull,push", "repository:ml/base:pull");
    HttpResponse<String> r = mount("ml/auto1", "mount=" + inMlBase, token);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    assertThat(r.headers().firstValue("Location"))
        .hasValue(registry.uri("/v2/ml/auto1/blobs/" + inMlBase).toString());
    assertThat(r.headers().firstValue("Docker-Content-Digest")).hasValue(inMlBase);
    assertThat(head("ml/auto1", inMlBase)).isEqualTo(200);
  }

  @Test
  void aFromThatIsNoRepositoryNameIsTakenAsNone() throws Exception {
    String token =
        registry.token("ml-builder", "repository:ml/auto2:pull,push", "repository:ml/base:pull");
    HttpResponse<String> r =
        mount("ml/auto2", "mount=" + inMlBase + "&from=registry.ollama.ai%2FLibrary", token);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    assertThat(head("ml/auto2", inMlBase)).isEqualTo(200);
  }

  @Test
  void aBlobTheCallerCannotReadAnswersLikeAnUnknownOne() throws Exception {
    // ml-builder asks pull on vault/secret too; its rules (ml/**) leave it out of the token.
    String token =
        registry.token(
            "ml-builder", "repository:ml/auto3:pull,push", "repository:vault/secret:pull");
    HttpResponse<String> hidden = mount("ml/auto3", "mount=" + inVault, token);
    assertPlainUpload(hidden, "ml/auto3");
    HttpResponse<String> unknown =
        mount("ml/auto3", "mount=" + AuthFixture.sha256(new byte[] {1, 2, 3}), token);
    assertPlainUpload(unknown, "ml/auto3");
    assertThat(hidden.headers().map().keySet()).isEqualTo(unknown.headers().map().keySet());
    assertThat(head("ml/auto3", inVault)).isEqualTo(404);
  }

  @Test
  void repositoriesOnlyARuleCoversAreNotSearched() throws Exception {
    // ml-builder may pull ml/base by its rules, but the token does not name it: no listing of
    // the store per request, so no mount; naming it in from (or in the token) mounts.
    String token = registry.token("ml-builder", "repository:ml/auto4:pull,push");
    assertPlainUpload(mount("ml/auto4", "mount=" + inMlBase, token), "ml/auto4");
    assertThat(head("ml/auto4", inMlBase)).isEqualTo(404);
    HttpResponse<String> named =
        mount(
            "ml/auto4",
            "mount=" + inMlBase + "&from=ml/base",
            registry.token(
                "ml-builder", "repository:ml/auto4:pull,push", "repository:ml/base:pull"));
    assertThat(named.statusCode()).as(named.body()).isEqualTo(201);
  }
}
