package dev.lading.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit trail ({@code lading.audit}) read back line by line: every push (monolithic blob,
 * chunked upload's closing PUT, mount, manifest), tag move, delete and refused request gives
 * exactly one line of its kind, requests that change nothing give none, and no line ever holds a
 * token, secret or hash.
 */
class AuditTrailTest {
  @TempDir Path root;
  AuthFixture registry;
  AuditCapture audit;
  final List<String> everything = new ArrayList<>();
  final List<String> secrets = new ArrayList<>(AuthFixture.SECRETS.values());

  @BeforeEach
  void start() {
    registry = new AuthFixture(root);
    audit = new AuditCapture();
  }

  @AfterEach
  void stop() {
    audit.close();
    registry.close();
  }

  /** The lines written since the last call. */
  List<String> lines() {
    List<String> out = audit.drain();
    everything.addAll(out);
    return out;
  }

  String token(String user, String... scopes) throws Exception {
    String t = registry.token(user, scopes);
    secrets.add(t);
    return t;
  }

  HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    return registry.send(b.build());
  }

  @Test
  void eachAuditedKindGivesExactlyOneLineAndNothingElseDoes() throws Exception {
    String admin =
        token("admin", "repository:ml/a:pull,push,delete", "repository:ml/b:pull,push,delete");
    byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
    byte[] one = "layer one".getBytes(StandardCharsets.UTF_8);
    byte[] two = "layer two".getBytes(StandardCharsets.UTF_8);
    lines();

    // Monolithic blob push.
    assertThat(registry.pushBlob("ml/a", config, admin)).isEqualTo(201);
    assertThat(lines())
        .singleElement()
        .satisfies(
            l ->
                assertThat(l)
                    .startsWith(
                        "action=push-blob outcome=201 who=admin kind=user remote=/127.0.0.1:")
                    .endsWith("repository=ml/a digest=" + AuthFixture.sha256(config) + " tag=-"));

    // Chunked upload: POST and PATCH are no push; the closing PUT is one.
    HttpResponse<String> started =
        send(
            registry
                .request("/v2/ml/a/blobs/uploads/", admin)
                .POST(HttpRequest.BodyPublishers.noBody()));
    assertThat(started.statusCode()).isEqualTo(202);
    String location = started.headers().firstValue("Location").orElseThrow();
    HttpResponse<String> patched =
        send(
            registry
                .request(location, admin)
                .header("Content-Type", "application/octet-stream")
                .header("Content-Range", "0-" + (one.length - 1))
                .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(one)));
    assertThat(patched.statusCode()).isEqualTo(202);
    assertThat(lines()).isEmpty();
    String closing = patched.headers().firstValue("Location").orElseThrow();
    assertThat(
            send(registry
                    .request(
                        closing
                            + (closing.contains("?") ? "&" : "?")
                            + "digest="
                            + AuthFixture.sha256(one),
                        admin)
                    .PUT(HttpRequest.BodyPublishers.noBody()))
                .statusCode())
        .isEqualTo(201);
    assertThat(lines())
        .singleElement()
        .satisfies(
            l ->
                assertThat(l)
                    .startsWith("action=push-blob outcome=201 who=admin")
                    .contains("digest=" + AuthFixture.sha256(one)));

    // Mount from a readable repository: one line; a mount that falls back to an upload: none.
    assertThat(
            send(registry
                    .request(
                        "/v2/ml/b/blobs/uploads/?mount=" + AuthFixture.sha256(one) + "&from=ml/a",
                        admin)
                    .POST(HttpRequest.BodyPublishers.noBody()))
                .statusCode())
        .isEqualTo(201);
    assertThat(lines())
        .singleElement()
        .satisfies(
            l ->
                assertThat(l)
                    .startsWith("action=mount outcome=201 who=admin")
                    .contains("repository=ml/b digest=" + AuthFixture.sha256(one)));
    assertThat(
            send(registry
                    .request(
                        "/v2/ml/b/blobs/uploads/?mount=" + AuthFixture.sha256(two) + "&from=ml/a",
                        admin)
                    .POST(HttpRequest.BodyPublishers.noBody()))
                .statusCode())
        .isEqualTo(202);
    assertThat(lines()).isEmpty();

    // Manifest push to a new tag: one line; moving the tag: the push and one tag-move; the same
    // manifest again: the push only.
    assertThat(registry.pushBlob("ml/a", two, admin)).isEqualTo(201);
    lines();
    String m1 =
        AuthFixture.manifest(
            AuthFixture.sha256(config), config.length, AuthFixture.sha256(one), one.length);
    String m2 =
        AuthFixture.manifest(
            AuthFixture.sha256(config), config.length, AuthFixture.sha256(two), two.length);
    String d1 = AuthFixture.sha256(m1.getBytes(StandardCharsets.UTF_8));
    String d2 = AuthFixture.sha256(m2.getBytes(StandardCharsets.UTF_8));
    assertThat(registry.putManifest("ml/a", "v1", m1, admin)).isEqualTo(201);
    assertThat(lines())
        .singleElement()
        .satisfies(
            l ->
                assertThat(l)
                    .startsWith("action=push-manifest outcome=201 who=admin")
                    .endsWith("digest=" + d1 + " tag=v1"));
    assertThat(registry.putManifest("ml/a", "v1", m2, admin)).isEqualTo(201);
    assertThat(lines())
        .satisfiesExactly(
            l ->
                assertThat(l)
                    .startsWith("action=push-manifest outcome=201")
                    .endsWith("digest=" + d2 + " tag=v1"),
            l ->
                assertThat(l)
                    .startsWith("action=tag-move outcome=201 who=admin")
                    .endsWith("digest=" + d2 + " tag=v1 previous=" + d1));
    assertThat(registry.putManifest("ml/a", "v1", m2, admin)).isEqualTo(201);
    assertThat(lines())
        .singleElement()
        .satisfies(l -> assertThat(l).startsWith("action=push-manifest"));

    // Reads are not audited.
    assertThat(
            send(registry
                    .request("/v2/ml/a/manifests/v1", admin)
                    .header("Accept", "application/vnd.oci.image.manifest.v1+json")
                    .GET())
                .statusCode())
        .isEqualTo(200);
    assertThat(lines()).isEmpty();

    // Deletes: a tag, a manifest by digest, a blob.
    assertThat(send(registry.request("/v2/ml/a/manifests/v1", admin).DELETE()).statusCode())
        .isEqualTo(202);
    assertThat(lines())
        .singleElement()
        .satisfies(
            l ->
                assertThat(l)
                    .startsWith("action=delete-tag outcome=202 who=admin")
                    .endsWith("tag=v1"));
    assertThat(send(registry.request("/v2/ml/a/manifests/" + d1, admin).DELETE()).statusCode())
        .isEqualTo(202);
    assertThat(lines())
        .singleElement()
        .satisfies(
            l ->
                assertThat(l)
                    .startsWith("action=delete-manifest outcome=202")
                    .contains("digest=" + d1));
    int blobDelete =
        send(registry.request("/v2/ml/b/blobs/" + AuthFixture.sha256(one), admin).DELETE())
            .statusCode();
    assertThat(lines())
        .singleElement()
        .satisfies(
            l ->
                assertThat(l)
                    .startsWith("action=delete-blob outcome=" + blobDelete + " who=admin")
                    .contains("digest=" + AuthFixture.sha256(one)));

    assertNoSecretIn(everything);
  }

  @Test
  void everyRefusalOfPresentedCredentialsGivesExactlyOneDeniedLine() throws Exception {
    String reader = token("reader", "repository:ml/a:pull,push");
    String pullOnlyRobot = token("ml-builder", "repository:ml/a:pull");
    lines();

    // No token: the challenge every client gets first is no denial, so no line.
    assertThat(send(registry.request("/v2/ml/a/tags/list", null).GET()).statusCode())
        .isEqualTo(401);
    assertThat(send(registry.request("/v2/", null).GET()).statusCode()).isEqualTo(401);
    assertThat(lines()).isEmpty();

    // A forged token.
    assertThat(
            send(registry
                    .request("/v2/ml/a/tags/list", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.")
                    .GET())
                .statusCode())
        .isEqualTo(401);
    assertThat(lines())
        .singleElement()
        .satisfies(l -> assertThat(l).startsWith("action=denied outcome=401 who=-"));

    // A token the rules will never widen: 403, named.
    assertThat(registry.pushBlob("ml/a", "x".getBytes(StandardCharsets.UTF_8), reader))
        .isEqualTo(403);
    assertThat(lines())
        .singleElement()
        .satisfies(
            l ->
                assertThat(l)
                    .startsWith("action=denied outcome=403 who=reader kind=user")
                    .contains("method=POST repository=ml/a"));

    // A short token of an account that could have more: 401 insufficient scope, named.
    assertThat(registry.pushBlob("ml/a", "x".getBytes(StandardCharsets.UTF_8), pullOnlyRobot))
        .isEqualTo(401);
    assertThat(lines())
        .singleElement()
        .satisfies(
            l -> assertThat(l).startsWith("action=denied outcome=401 who=ml-builder kind=robot"));

    // A delete refused.
    assertThat(send(registry.request("/v2/ml/a/manifests/v1", reader).DELETE()).statusCode())
        .isEqualTo(403);
    assertThat(lines())
        .singleElement()
        .satisfies(
            l ->
                assertThat(l)
                    .startsWith("action=denied outcome=403 who=reader")
                    .contains("needed=[DELETE]"));

    // A failed login at the token endpoint: one login line, without the guess.
    assertThat(registry.tokenResponse("reader", "hunter2-guess").statusCode()).isEqualTo(401);
    secrets.add("hunter2-guess");
    assertThat(lines())
        .singleElement()
        .satisfies(l -> assertThat(l).startsWith("action=login outcome=401 who=reader"));

    assertNoSecretIn(everything);
  }

  private void assertNoSecretIn(List<String> lines) {
    String all = String.join("\n", lines);
    assertThat(all).isNotEmpty();
    for (String s : secrets) {
      assertThat(all).doesNotContain(s);
    }
    assertThat(all)
        .doesNotContain("eyJ")
        .doesNotContain("Bearer")
        .doesNotContain("Basic")
        .doesNotContain("$2");
  }
}
