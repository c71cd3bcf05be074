package dev.lading.conformance;

import static dev.lading.conformance.Checks.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest.BodyPublishers;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad input of every kind gets a 4xx with the spec's error code, never a 5xx, and changes
 * nothing: no repository, blob, tag or upload appears.
 */
class NegativeInputIT {
  @RegisterExtension static final RegistryProcess registry = RegistryProcess.create();

  static RegistryClient client;
  static String repo;
  static Images image;

  @BeforeAll
  static void pushImage() {
    client = registry.client();
    repo = Checks.uniqueRepo("negative");
    image = Images.pushed(client, repo, "stable");
  }

  // ---- names --------------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(
      strings = {
        "Upper/case",
        "conformance/UPPER",
        "trailing-/x",
        "-leading",
        "double//slash",
        "dot./x",
        "a/_underscore-start",
        "spa%20ce",
        "semi;colon"
      })
  void invalidRepositoryNamesAnswerNameInvalid(String name) {
    assertError(client.listTags(name), 400, "NAME_INVALID");
    assertError(client.postUpload(name), 400, "NAME_INVALID");
    assertError(
        client.putManifest(name, "t", MediaType.OCI_MANIFEST, image.manifest().bytes()),
        400,
        "NAME_INVALID");
    assertThat(client.getManifest(name, "t").status()).isIn(400, 404);
  }

  @Test
  void nameLongerThan255CharactersAnswersNameInvalid() {
    String name = "a".repeat(128) + "/" + "b".repeat(127); // 256 characters
    assertThat(name).hasSize(256);
    assertError(client.postUpload(name), 400, "NAME_INVALID");
    String longest = "a".repeat(128) + "/" + "b".repeat(126);
    assertThat(client.postUpload(longest).status()).isEqualTo(202);
  }

  @Test
  void dotDotComponentNeverEscapesTheRepository() {
    String target = Checks.uniqueRepo("victim");
    String sneaky = repo + "/../../" + target;
    Reply put = client.putManifest(sneaky, "t", MediaType.OCI_MANIFEST, image.manifest().bytes());
    assertThat(put.status()).as("%s", put).isIn(400, 404);
    if (put.status() == 400) {
      Checks.assertErrorBody(put, "NAME_INVALID");
    }
    Reply post = client.postUpload(sneaky);
    assertThat(post.status()).as("%s", post).isIn(400, 404);
    assertThat(client.getManifest(target, "t").status()).isEqualTo(404);
    assertThat(client.getManifest(repo, "t").status()).isEqualTo(404);
  }

  @Test
  void encodedSlashesAndDotsInNamesAreRefused() {
    Reply reply = client.get("/v2/" + repo + "%2F..%2F..%2Fetc/tags/list");
    assertThat(reply.status()).as("%s", reply).isBetween(400, 404);
  }

  // ---- digests ------------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(
      strings = {
        "sha256:abc",
        "sha256:" + "A0000000000000000000000000000000000000000000000000000000000000000",
        "sha256:ABCDEF0000000000000000000000000000000000000000000000000000000000",
        "sha256:zz00000000000000000000000000000000000000000000000000000000000000",
        "md5:d41d8cd98f00b204e9800998ecf8427e",
        "sha512:0000",
        "sha256:",
        "sha256"
      })
  void malformedBlobDigestsAnswerDigestInvalid(String digest) {
    Reply get = client.getBlob(repo, digest);
    assertThat(get.status()).as("%s", get).isIn(400, 404);
    if (get.status() == 400) {
      Checks.assertErrorBody(get, "DIGEST_INVALID");
    }
    assertThat(client.deleteBlob(repo, digest).status()).isIn(400, 404, 405);
  }

  @Test
  void uploadClosedWithAMalformedDigestIsRefused() {
    Blob blob = Blob.random(100);
    URI upload = client.startUpload(repo);
    assertError(client.putUpload(upload, "sha256:nothex", blob.bytes()), 400, "DIGEST_INVALID");
    assertThat(client.headBlob(repo, blob.digest()).status()).isEqualTo(404);
  }

  @Test
  void uploadClosedWithoutADigestIsRefused() {
    Blob blob = Blob.random(100);
    URI upload = client.startUpload(repo);
    Reply put =
        client.send(
            "PUT",
            upload,
            BodyPublishers.ofByteArray(blob.bytes()),
            "Content-Type",
            RegistryClient.OCTET_STREAM);
    assertThat(put.status()).as("%s", put).isEqualTo(400);
    assertThat(put.errorCodes()).containsAnyOf("DIGEST_INVALID", "BLOB_UPLOAD_INVALID");
    assertThat(client.headBlob(repo, blob.digest()).status()).isEqualTo(404);
  }

  @Test
  void mountWithAMalformedDigestDoesNotCreateABlob() {
    Reply mount = client.postUpload(repo, "mount", "sha256:bad", "from", repo);
    assertThat(mount.status()).as("%s", mount).isIn(202, 400);
    if (mount.status() == 400) {
      Checks.assertErrorBody(mount, "DIGEST_INVALID");
    }
  }

  @Test
  void referrersOfAMalformedDigestAreRefused() {
    Reply reply = client.referrers(repo, "sha256:bad");
    assertError(reply, 400, "DIGEST_INVALID");
  }

  // ---- tags and references ------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"-dash-first", ".dot-first", "has+plus", "ttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt"})
  void invalidTagsAreRefusedAndCreateNothing(String tag) {
    Reply put = client.putManifest(repo, tag, MediaType.OCI_MANIFEST, image.manifest().bytes());
    assertThat(put.status()).as("%s", put).isIn(400, 404);
    assertThat(put.errorCodes()).isNotEmpty();
    assertThat(client.getManifest(repo, tag).status()).isIn(400, 404);
    Reply tags = client.listTags(repo);
    assertThat(RegistryClient.strings(tags, "tags")).containsExactly("stable");
  }

  @Test
  void longestValidTagIsAccepted() {
    String tag = "t".repeat(128);
    client.pushManifest(repo + "-long", tag, pushedCopy(repo + "-long"));
    assertThat(client.getManifest(repo + "-long", tag).status()).isEqualTo(200);
  }

  private static Manifest pushedCopy(String target) {
    image.pushBlobs(client, target);
    return image.manifest();
  }

  // ---- ranges -------------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"bytes=abc", "bytes=20-10", "lines=0-5", "bytes=--5", "bytes="})
  void malformedRangesAreIgnoredOrRefusedCleanly(String range) {
    Blob layer = image.layers().get(0);
    Reply reply = client.getBlob(repo, layer.digest(), "Range", range);
    assertThat(reply.status()).as("%s", reply).isIn(200, 416);
    if (reply.status() == 200) {
      assertThat(reply.body()).isEqualTo(layer.bytes());
    } else {
      assertThat(reply.headerOrNull("Content-Range")).isEqualTo("bytes */" + layer.size());
    }
  }

  // ---- uploads ------------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"garbage", "10-5", "-5", "bytes 0-9/10", "0-"})
  void malformedContentRangeOnAChunkAnswers416AndKeepsTheSession(String contentRange) {
    Blob blob = Blob.random(20);
    URI upload = client.startUpload(repo);
    Reply first = client.patchChunk(upload, Arrays.copyOfRange(blob.bytes(), 0, 10), 0);
    assertThat(first.status()).isEqualTo(202);
    Reply bad =
        client.send(
            "PATCH",
            first.location(),
            BodyPublishers.ofByteArray(Arrays.copyOfRange(blob.bytes(), 10, 20)),
            "Content-Type",
            RegistryClient.OCTET_STREAM,
            "Content-Range",
            contentRange);
    // Spec 1.0 answered 416 for a malformed Content-Range; 1.1 names 416 only for chunks out of
    // order, so a 400 is allowed too. Either way no byte of the chunk was taken.
    assertThat(bad.status()).as("%s", bad).isIn(400, 416);
    Reply status = client.get(first.location());
    if (bad.status() == 416) {
      assertThat(status.status()).as("%s", status).isEqualTo(204);
    }
    assertThat(status.status()).as("%s", status).isIn(204, 404);
    if (status.status() == 204) {
      assertThat(status.headerOrNull("Range")).isEqualTo("0-9");
    }
  }

  @Test
  void chunkShorterThanItsContentRangeIsRefusedAndKeepsTheSession() {
    Blob blob = Blob.random(100);
    URI upload = client.startUpload(repo);
    Reply first = client.patchChunk(upload, Arrays.copyOfRange(blob.bytes(), 0, 10), 0);
    assertThat(first.status()).isEqualTo(202);
    Reply bad =
        client.send(
            "PATCH",
            first.location(),
            BodyPublishers.ofByteArray(Arrays.copyOfRange(blob.bytes(), 10, 20)),
            "Content-Type",
            RegistryClient.OCTET_STREAM,
            "Content-Range",
            "10-99");
    assertThat(bad.status()).as("%s", bad).isIn(400, 416);
    Reply status = client.get(first.location());
    assertThat(status.status()).as("%s", status).isIn(204, 404);
    if (status.status() == 204) {
      assertThat(status.headerOrNull("Range")).isEqualTo("0-9");
    }
  }

  @Test
  void unknownUploadIdAnswersBlobUploadUnknown() {
    URI unknown = client.resolve("/v2/" + repo + "/blobs/uploads/" + UUID.randomUUID());
    Blob blob = Blob.random(10);
    assertError(client.get(unknown), 404, "BLOB_UPLOAD_UNKNOWN");
    assertError(client.patchChunk(unknown, blob.bytes(), 0), 404, "BLOB_UPLOAD_UNKNOWN");
    assertError(client.putUpload(unknown, blob.digest(), blob.bytes()), 404, "BLOB_UPLOAD_UNKNOWN");
    assertError(client.delete(unknown), 404, "BLOB_UPLOAD_UNKNOWN");
    assertThat(client.headBlob(repo, blob.digest()).status()).isEqualTo(404);
  }

  @ParameterizedTest
  @ValueSource(strings = {"..", "..%2F..%2Fblobs", "%2e%2e", "a%00b", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"})
  void hostileUploadIdsAreRefused(String id) {
    Reply reply = client.get("/v2/" + repo + "/blobs/uploads/" + id);
    assertThat(reply.status()).as("%s", reply).isBetween(400, 404);
  }

  @Test
  void uploadOfOneRepositoryCannotBeUsedFromAnother() {
    URI upload = client.startUpload(repo);
    String foreign = upload.toString().replace("/v2/" + repo + "/", "/v2/" + repo + "-other/");
    assertError(client.get(URI.create(foreign)), 404, "BLOB_UPLOAD_UNKNOWN");
  }

  // ---- routes and methods -------------------------------------------------------------------

  @Test
  void unknownRouteAnswers404() {
    assertThat(client.get("/v2/" + repo + "/nonsense/x").status()).isEqualTo(404);
    assertThat(client.get("/v3/").status()).isEqualTo(404);
  }

  @Test
  void wrongMethodOnAKnownRouteAnswers405() {
    Reply reply =
        client.send(
            "PATCH",
            client.resolve("/v2/" + repo + "/manifests/stable"),
            BodyPublishers.ofByteArray("{}".getBytes(StandardCharsets.UTF_8)));
    assertThat(reply.status()).as("%s", reply).isEqualTo(405);
    assertThat(client.getManifest(repo, "stable").body()).isEqualTo(image.manifest().bytes());
  }

  @Test
  void paginationWithANonNumberIsRefused() {
    Reply reply = client.listTags(repo, "n", "many");
    assertThat(reply.status()).as("%s", reply).isEqualTo(400);
    assertThat(client.listTags(repo, "n", "-1").status()).isEqualTo(400);
  }

  @Test
  void nothingAboveLeftTheImageChanged() {
    Reply reply = client.getManifest(repo, "stable");
    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.body()).isEqualTo(image.manifest().bytes());
    assertThat(RegistryClient.strings(client.listTags(repo), "tags")).containsExactly("stable");
  }
}
