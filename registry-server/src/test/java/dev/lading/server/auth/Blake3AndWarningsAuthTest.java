package dev.lading.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.model.Digest;
import dev.lading.core.model.DigestAlgorithm;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The 2026 protocol additions under token auth, over a socket: blake3 digests with {@code
 * digests.allow_blake3} on (pushes, automatic mount only from what the caller may pull, manifests
 * by blake3 digest, multi-range reads) and off (a caller without access learns nothing: 401 before
 * the algorithm is looked at), and the {@code Warning} a deprecated push gets.
 */
class Blake3AndWarningsAuthTest {
  @TempDir static Path onRoot;
  @TempDir static Path offRoot;
  static AuthFixture on;
  static AuthFixture off;
  static byte[] baseLayer;
  static String inMlBase;
  static String inVault;

  @BeforeAll
  static void start() throws Exception {
    on =
        new AuthFixture(
            onRoot, auth -> auth, Clock.systemUTC(), config -> config.withAllowBlake3(true));
    off = new AuthFixture(offRoot);
    baseLayer = new byte[300_000];
    new Random(1).nextBytes(baseLayer);
    inMlBase = push(on, "ml/base", baseLayer, "admin");
    inVault = push(on, "vault/secret", bytes("a blake3 layer only in vault/secret"), "admin");
  }

  @AfterAll
  static void stop() {
    on.close();
    off.close();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String blake3(byte[] content) {
    return Digest.compute(DigestAlgorithm.BLAKE3, content).toString();
  }

  private static HttpResponse<String> post(
      AuthFixture registry, String repo, String query, byte[] body, String token) throws Exception {
    return registry.send(
        registry
            .request("/v2/" + repo + "/blobs/uploads/?" + query, token)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build());
  }

  private static String push(AuthFixture registry, String repo, byte[] content, String user)
      throws Exception {
    String digest = blake3(content);
    String token = registry.token(user, "repository:" + repo + ":pull,push");
    HttpResponse<String> r = post(registry, repo, "digest=" + digest, content, token);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    assertThat(r.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
    return digest;
  }

  private static HttpResponse<byte[]> get(
      AuthFixture registry, String path, String token, String... headers) throws Exception {
    HttpRequest.Builder b = registry.request(path, token);
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return registry.client.send(b.GET().build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void aRobotPushesABlake3ImageMountsWhatItMayPullAndReadsItBack() throws Exception {
    String token =
        on.token("ml-builder", "repository:ml/b3app:pull,push", "repository:ml/base:pull");
    // Automatic mount from a repository the token names with pull.
    HttpResponse<String> mount = post(on, "ml/b3app", "mount=" + inMlBase, new byte[0], token);
    assertThat(mount.statusCode()).as(mount.body()).isEqualTo(201);
    assertThat(mount.headers().firstValue("Docker-Content-Digest")).hasValue(inMlBase);
    // A config pushed by blake3, then the manifest by its own blake3 digest with ?tag=.
    byte[] config = bytes("{\"architecture\":\"amd64\",\"os\":\"linux\"}");
    String configDigest = blake3(config);
    assertThat(post(on, "ml/b3app", "digest=" + configDigest, config, token).statusCode())
        .isEqualTo(201);
    String manifest = AuthFixture.manifest(configDigest, config.length, inMlBase, baseLayer.length);
    String manifestDigest = blake3(bytes(manifest));
    HttpResponse<String> put =
        on.send(
            on.request("/v2/ml/b3app/manifests/" + manifestDigest + "?tag=v1", token)
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .PUT(HttpRequest.BodyPublishers.ofString(manifest))
                .build());
    assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
    assertThat(put.headers().allValues("OCI-Tag")).containsExactly("v1");
    assertThat(put.headers().firstValue("Docker-Content-Digest")).hasValue(manifestDigest);
    // A reader pulls it by tag, and two ranges of the layer in one request.
    String reader = on.token("reader", "repository:ml/b3app:pull");
    HttpResponse<byte[]> m = get(on, "/v2/ml/b3app/manifests/v1", reader);
    assertThat(m.statusCode()).isEqualTo(200);
    assertThat(m.headers().firstValue("Docker-Content-Digest")).hasValue(manifestDigest);
    HttpResponse<byte[]> ranges =
        get(on, "/v2/ml/b3app/blobs/" + inMlBase, reader, "Range", "bytes=0-9,1000-1009");
    assertThat(ranges.statusCode()).isEqualTo(206);
    assertThat(ranges.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("multipart/byteranges; boundary="));
    String body = new String(ranges.body(), StandardCharsets.ISO_8859_1);
    assertThat(body)
        .contains(new String(Arrays.copyOfRange(baseLayer, 0, 10), StandardCharsets.ISO_8859_1))
        .contains(
            new String(Arrays.copyOfRange(baseLayer, 1000, 1010), StandardCharsets.ISO_8859_1));
  }

  @Test
  void aBlake3BlobTheCallerCannotReadIsNeitherMountedNorRevealed() throws Exception {
    String token =
        on.token("ml-builder", "repository:ml/b3hidden:pull,push", "repository:vault/secret:pull");
    HttpResponse<String> hidden = post(on, "ml/b3hidden", "mount=" + inVault, new byte[0], token);
    HttpResponse<String> unknown =
        post(on, "ml/b3hidden", "mount=" + blake3(bytes("never pushed")), new byte[0], token);
    assertThat(hidden.statusCode()).isEqualTo(202);
    assertThat(unknown.statusCode()).isEqualTo(202);
    assertThat(hidden.headers().map().keySet()).isEqualTo(unknown.headers().map().keySet());
    String admin = on.token("admin", "repository:ml/b3hidden:pull");
    assertThat(get(on, "/v2/ml/b3hidden/blobs/" + inVault, admin).statusCode()).isEqualTo(404);
  }

  @Test
  void offTheAlgorithmIsRefusedOnlyAfterTheCallerIsAuthorized() throws Exception {
    String digest = blake3(bytes("anything"));
    // No token: the challenge, as for any digest; nothing says whether blake3 is taken.
    HttpResponse<byte[]> anonymous = get(off, "/v2/ml/app/blobs/" + digest, null);
    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(anonymous.headers().firstValue("WWW-Authenticate")).isPresent();
    // Authorized: the spec's answer for an unsupported algorithm.
    String token = off.token("ml-builder", "repository:ml/app:pull,push");
    HttpResponse<byte[]> refused = get(off, "/v2/ml/app/blobs/" + digest, token);
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(off.json(new String(refused.body(), StandardCharsets.UTF_8)).toString())
        .contains("DIGEST_INVALID");
    Map<String, Long> before = off.storeSnapshot();
    HttpResponse<String> push = post(off, "ml/app", "digest=" + digest, bytes("anything"), token);
    assertThat(push.statusCode()).isEqualTo(400);
    assertThat(off.storeSnapshot()).isEqualTo(before);
  }

  @Test
  void aPushWithDeprecatedNonDistributableLayersIsStoredWithAWarning() throws Exception {
    String token = off.token("ml-builder", "repository:ml/legacy:pull,push");
    byte[] config = bytes("{}");
    byte[] layer = bytes("a layer pushed as non-distributable");
    assertThat(off.pushBlob("ml/legacy", config, token)).isEqualTo(201);
    assertThat(off.pushBlob("ml/legacy", layer, token)).isEqualTo(201);
    String manifest =
        AuthFixture.manifest(
                AuthFixture.sha256(config), config.length, AuthFixture.sha256(layer), layer.length)
            .replace(
                "application/vnd.oci.image.layer.v1.tar",
                "application/vnd.oci.image.layer.nondistributable.v1.tar");
    HttpResponse<String> put =
        off.send(
            off.request("/v2/ml/legacy/manifests/old", token)
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .PUT(HttpRequest.BodyPublishers.ofString(manifest))
                .build());
    assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
    assertThat(put.headers().allValues("Warning"))
        .singleElement()
        .satisfies(w -> assertThat(w).startsWith("299 - \"").endsWith("\"").contains("deprecated"));
  }
}
