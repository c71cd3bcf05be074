package dev.lading.server.http;

import static dev.lading.server.http.RunningRegistry.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.model.Digest;
import dev.lading.core.model.DigestAlgorithm;
import dev.lading.server.config.LadingConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /v2/<name>/blobs/uploads/?digest-algorithm=<algorithm>} (distribution-spec, end-4c):
 * an algorithm the registry takes opens the session as usual and the blob is closed under it; one
 * it does not take, or a digest of another algorithm in the same request, is {@code 400
 * DIGEST_INVALID} before any session or byte exists.
 */
class DigestAlgorithmParamTest {
  @TempDir Path root;

  private static byte[] data(int size) {
    byte[] b = new byte[size];
    new Random(size).nextBytes(b);
    return b;
  }

  private static HttpResponse<String> post(RunningRegistry registry, String query, byte[] body)
      throws Exception {
    return registry.send(
        registry
            .request("/v2/team/app/blobs/uploads/?" + query)
            .header("Content-Type", "application/octet-stream")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build());
  }

  /** Every file under the store's root: a refused request adds none. */
  private List<Path> files() {
    try (Stream<Path> walk = Files.walk(root)) {
      return walk.filter(Files::isRegularFile).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void aSha512HintOpensASessionThatClosesUnderSha512() throws Exception {
    try (RunningRegistry registry = new RunningRegistry(root)) {
      byte[] blob = data(200_000);
      String digest = Digest.compute(DigestAlgorithm.SHA512, blob).toString();
      HttpResponse<String> session = post(registry, "digest-algorithm=sha512", new byte[0]);
      assertThat(session.statusCode()).as(session.body()).isEqualTo(202);
      String location = session.headers().firstValue("Location").orElseThrow();
      HttpResponse<String> patch =
          registry.send(
              registry
                  .request(location)
                  .header("Content-Type", "application/octet-stream")
                  .header("Content-Range", "0-199999")
                  .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(blob))
                  .build());
      assertThat(patch.statusCode()).as(patch.body()).isEqualTo(202);
      HttpResponse<String> put =
          registry.send(
              registry
                  .request(location + "?digest=" + digest)
                  .PUT(HttpRequest.BodyPublishers.noBody())
                  .build());
      assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
      assertThat(put.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
      HttpResponse<byte[]> get =
          registry.sendForBytes(registry.request("/v2/team/app/blobs/" + digest).GET().build());
      assertThat(get.body()).isEqualTo(blob);
      // With a single POST naming the same algorithm, and sha256 named outright.
      byte[] small = data(5000);
      String small512 = Digest.compute(DigestAlgorithm.SHA512, small).toString();
      HttpResponse<String> single =
          post(registry, "digest-algorithm=sha512&digest=" + small512, small);
      assertThat(single.statusCode()).as(single.body()).isEqualTo(201);
      assertThat(post(registry, "digest-algorithm=sha256", new byte[0]).statusCode())
          .isEqualTo(202);
    }
  }

  @Test
  void anAlgorithmTheRegistryDoesNotTakeIsRefusedBeforeAnySession() throws Exception {
    try (RunningRegistry registry = new RunningRegistry(root)) {
      List<Path> before = files();
      for (String value : List.of("md5", "SHA512", "", "sha384", "blake3", "sha256%20")) {
        HttpResponse<String> r = post(registry, "digest-algorithm=" + value, new byte[0]);
        assertError(r, 400, "DIGEST_INVALID");
        assertThat(r.headers().firstValue("Location")).as(value).isEmpty();
        assertThat(r.body()).contains("digest-algorithm");
      }
      assertThat(files()).isEqualTo(before);
    }
  }

  @Test
  void blake3IsTakenOnlyWithTheSwitch() throws Exception {
    try (RunningRegistry registry =
        new RunningRegistry(LadingConfig.forTests(root).withAllowBlake3(true))) {
      HttpResponse<String> r = post(registry, "digest-algorithm=blake3", new byte[0]);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    }
  }

  @Test
  void aDigestOfAnotherAlgorithmInTheSameRequestIsRefusedAndNothingIsStored() throws Exception {
    try (RunningRegistry registry = new RunningRegistry(root)) {
      String existing = registry.pushBlob("team/base", data(3000));
      List<Path> before = files();
      byte[] blob = data(4000);
      String sha256 = Digest.compute(DigestAlgorithm.SHA256, blob).toString();
      assertError(
          post(registry, "digest-algorithm=sha512&digest=" + sha256, blob), 400, "DIGEST_INVALID");
      assertError(
          post(registry, "digest-algorithm=sha512&mount=" + existing + "&from=team/base", blob),
          400,
          "DIGEST_INVALID");
      assertThat(files()).isEqualTo(before);
      HttpResponse<String> head =
          registry.send(
              registry
                  .request("/v2/team/app/blobs/" + sha256)
                  .method("HEAD", HttpRequest.BodyPublishers.noBody())
                  .build());
      assertThat(head.statusCode()).isEqualTo(404);
    }
  }
}
