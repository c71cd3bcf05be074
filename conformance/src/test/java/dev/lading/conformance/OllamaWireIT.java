package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest.BodyPublishers;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code ollama push} and {@code ollama pull} as their wire shows, replayed over real sockets on
 * the filesystem store and on S3 (the {@code on-s3} run), read from ollama's source:
 *
 * <ul>
 *   <li>push: {@code server/upload.go} {@code uploadBlob} ({@code HEAD} of the blob), {@code
 *       blobUpload.Prepare} ({@code POST .../blobs/uploads/}, next URL parsed from {@code Location}
 *       without resolving it against the request: it must be absolute), {@code
 *       blobUpload.uploadPart} ({@code PATCH} with {@code X-Redirect-Uploads: 1} and {@code
 *       Content-Range: <first>-<last>} without a unit; a {@code 307} would send the part elsewhere,
 *       anything else below 400 takes the answer's {@code Location} as the next URL), {@code
 *       blobUpload.Run} (closing {@code PUT ...?digest=<d>&etag=<md5 of part md5s>-<parts>} with
 *       {@code Content-Length: 0} and no body); {@code server/images.go} {@code PushModel} (the
 *       Docker v2 manifest with {@code application/vnd.ollama.image.*} layers).
 *   <li>pull: {@code server/images.go} {@code PullModel} (manifest GET), {@code server/download.go}
 *       {@code blobDownload.Prepare} ({@code HEAD} for the size), {@code blobDownload.run} (a
 *       {@code GET} with {@code User-Agent: ollama/...} that follows redirects to the same host
 *       name and then needs {@code resp.Location()}, issue #7244), {@code downloadChunk} (up to 16
 *       parallel ranged GETs on that location with {@code http.DefaultClient}: no {@code
 *       Authorization}, Go's own User-Agent).
 * </ul>
 *
 * Parts are smaller than ollama's 100 MB minimum so the test stays fast; the sequence is the same.
 */
class OllamaWireIT {
  @RegisterExtension static final RegistryProcess registry = RegistryProcess.create();

  static final String UA = "ollama/0.32.15 (amd64 linux) Go/go1.24.4";
  static final String DOCKER_V2 = "application/vnd.docker.distribution.manifest.v2+json";

  @Test
  void pushThenPullAsOllamaDoes() throws Exception {
    RegistryClient client = registry.client();
    String repo = Checks.uniqueRepo("library/tiny");
    Blob model = Blob.random(3 * 1024 * 1024 + 333);
    Blob template = Blob.of("{{ .Prompt }}".getBytes(StandardCharsets.UTF_8));
    Blob config =
        Blob.of(
            "{\"model_format\":\"gguf\",\"model_family\":\"llama\"}"
                .getBytes(StandardCharsets.UTF_8));
    for (Blob b : List.of(model, template, config)) {
      pushAsOllama(client, repo, b, 1024 * 1024);
    }
    Manifest manifest =
        Manifest.docker()
            .config(config.descriptor("application/vnd.docker.container.image.v1+json"))
            .add(model.descriptor("application/vnd.ollama.image.model"))
            .add(template.descriptor("application/vnd.ollama.image.template"))
            .build();
    Reply put =
        client.send(
            "PUT",
            "/v2/" + repo + "/manifests/latest",
            manifest.bytes(),
            "Content-Type",
            DOCKER_V2,
            "User-Agent",
            UA);
    assertThat(put.status()).as("%s", put).isEqualTo(201);
    assertAbsolute(put.headerOrNull("Location"));

    // Pull.
    Reply m =
        client.get("/v2/" + repo + "/manifests/latest", "Accept", DOCKER_V2, "User-Agent", UA);
    assertThat(m.status()).isEqualTo(200);
    assertThat(m.body()).isEqualTo(manifest.bytes());
    for (Blob b : List.of(config, model, template)) {
      assertThat(pullAsOllama(client, repo, b)).isEqualTo(b.bytes());
    }

    // Any other client still gets the blob itself.
    Reply plain = client.getBlob(repo, model.digest());
    assertThat(plain.status()).isIn(200, 307);
    if (!registry.onS3Store() || plain.status() == 200) {
      assertThat(plain.status()).as("only ollama is redirected on this store").isEqualTo(200);
      assertThat(plain.body()).isEqualTo(model.bytes());
    }
  }

  @Test
  void aSignedLocationIsRefusedWhenTamperedWith() {
    RegistryClient client = registry.client();
    String repo = Checks.uniqueRepo("library/signed");
    Blob blob = Blob.random(1000);
    Blob other = Blob.random(1000);
    client.pushBlob(repo, blob);
    client.pushBlob(repo, other);
    Reply redirect = client.getBlob(repo, blob.digest(), "User-Agent", UA);
    assertThat(redirect.status()).isEqualTo(307);
    String location = redirect.headerOrNull("Location");
    assertAbsolute(location);
    assertThat(client.get(location).status()).isEqualTo(200);
    if (!location.contains("/signed/")) {
      return; // a presigned store URL (storage.s3.redirect): the store checks it
    }
    Checks.assertError(client.get(location.replace(blob.digest(), other.digest())), 403, "DENIED");
    Checks.assertError(
        client.get(location.replaceAll("expires=\\d+", "expires=99999999999")), 403, "DENIED");
    Checks.assertError(client.get(location.replaceAll("&signature=.*", "")), 403, "DENIED");
    Checks.assertError(client.get(location.replaceAll("expires=\\d+", "expires=1")), 403, "DENIED");
    // An unknown blob is a 404 at the registry, never a redirect.
    Checks.assertError(
        client.getBlob(repo, Blob.unknownDigest(), "User-Agent", UA), 404, "BLOB_UNKNOWN");
  }

  /**
   * {@code uploadBlob}, {@code Prepare}, {@code Run}, {@code uploadPart} of ollama {@code
   * server/upload.go}.
   */
  static void pushAsOllama(RegistryClient client, String repo, Blob blob, int partSize)
      throws Exception {
    Reply head =
        client.send(
            "HEAD",
            client.resolve("/v2/" + repo + "/blobs/" + blob.digest()),
            BodyPublishers.noBody(),
            "User-Agent",
            UA);
    assertThat(head.status()).isEqualTo(404);
    Reply post =
        client.send(
            "POST",
            client.resolve("/v2/" + repo + "/blobs/uploads/"),
            BodyPublishers.noBody(),
            "User-Agent",
            UA);
    assertThat(post.status()).isEqualTo(202);
    URI next = assertAbsolute(post.headerOrNull("Location"));
    MessageDigest md5sums = MessageDigest.getInstance("MD5");
    int parts = 0;
    for (int offset = 0; offset < blob.bytes().length; offset += partSize) {
      byte[] part =
          Arrays.copyOfRange(
              blob.bytes(), offset, Math.min(blob.bytes().length, offset + partSize));
      Reply patch =
          client.send(
              "PATCH",
              next,
              BodyPublishers.ofByteArray(part),
              "Content-Type",
              "application/octet-stream",
              "User-Agent",
              UA,
              "X-Redirect-Uploads",
              "1",
              "Content-Range",
              offset + "-" + (offset + part.length - 1));
      assertThat(patch.status())
          .as("no redirect: ollama keeps uploading here %s", patch)
          .isEqualTo(202);
      next = assertAbsolute(patch.headerOrNull("Location"));
      md5sums.update(MessageDigest.getInstance("MD5").digest(part));
      parts++;
    }
    String etag = HexFormat.of().formatHex(md5sums.digest()) + "-" + parts;
    URI close =
        URI.create(
            next
                + (next.getQuery() == null ? "?" : "&")
                + "digest="
                + blob.digest().replace(":", "%3A")
                + "&etag="
                + etag);
    Reply put =
        client.send(
            "PUT",
            close,
            BodyPublishers.noBody(),
            "Content-Type",
            "application/octet-stream",
            "User-Agent",
            UA);
    assertThat(put.status()).as("%s", put).isEqualTo(201);
    assertAbsolute(put.headerOrNull("Location"));
  }

  /**
   * {@code blobDownload.Prepare}, {@code run} and {@code downloadChunk} of ollama {@code
   * server/download.go}.
   */
  static byte[] pullAsOllama(RegistryClient client, String repo, Blob blob) throws Exception {
    URI blobUrl = client.resolve("/v2/" + repo + "/blobs/" + blob.digest());
    Reply head = client.send("HEAD", blobUrl, BodyPublishers.noBody(), "User-Agent", UA);
    long total = Long.parseLong(head.headerOrNull("Content-Length"));
    // The direct URL: follow redirects to the same host name (CheckRedirect), then Location.
    URI at = blobUrl;
    Reply reply = client.send("GET", at, BodyPublishers.noBody(), "User-Agent", UA);
    for (int hops = 0; reply.status() == 307 && hops < 10; hops++) {
      URI to = at.resolve(reply.headerOrNull("Location"));
      if (!to.getHost().equals(blobUrl.getHost())) {
        break; // http.ErrUseLastResponse: the 307 itself is the answer
      }
      at = to;
      reply = client.send("GET", at, BodyPublishers.noBody(), "User-Agent", UA);
    }
    assertThat(reply.status()).as("%s", reply).isIn(200, 307);
    assertThat(reply.headerOrNull("Location")).as("resp.Location() of %s", reply).isNotNull();
    URI direct = at.resolve(reply.headerOrNull("Location"));
    // Parts in parallel, without Authorization, with Go's default User-Agent.
    int partSize = 256 * 1024;
    byte[] out = new byte[(int) total];
    try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
      List<Future<?>> parts = new ArrayList<>();
      for (long offset = 0; offset < total; offset += partSize) {
        long first = offset;
        long last = Math.min(total, offset + partSize) - 1;
        parts.add(
            pool.submit(
                () -> {
                  Reply r =
                      client.send(
                          "GET",
                          direct,
                          BodyPublishers.noBody(),
                          "Range",
                          "bytes=" + first + "-" + last,
                          "User-Agent",
                          "Go-http-client/1.1");
                  assertThat(r.status()).as("%s", r).isEqualTo(206);
                  System.arraycopy(r.body(), 0, out, (int) first, r.body().length);
                  assertThat(r.body().length).isEqualTo((int) (last - first + 1));
                  return null;
                }));
      }
      for (Future<?> f : parts) {
        f.get();
      }
    }
    return out;
  }

  private static URI assertAbsolute(String location) {
    assertThat(location).as("Location").isNotNull().matches("https?://[^/]+/.*");
    return URI.create(location);
  }
}
