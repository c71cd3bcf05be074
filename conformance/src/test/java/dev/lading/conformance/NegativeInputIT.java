package dev.lading.conformance;

import static dev.lading.conformance.Checks.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad input of every kind gets a 4xx with the spec's error code, never a 5xx, and changes nothing:
 * no repository, blob, tag or upload appears.
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
    assertError(client.getManifest(name, "t"), 400, "NAME_INVALID");
    assertThat(client.headManifest(name, "t").status()).isEqualTo(400);
    assertError(client.getBlob(name, image.layers().get(0).digest()), 400, "NAME_INVALID");
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
    // A traversal attempt is named for what it is (400 NAME_INVALID), never a quiet 404.
    assertError(
        client.putManifest(sneaky, "t", MediaType.OCI_MANIFEST, image.manifest().bytes()),
        400,
        "NAME_INVALID");
    assertError(client.postUpload(sneaky), 400, "NAME_INVALID");
    assertError(client.getManifest(sneaky, "stable"), 400, "NAME_INVALID");
    assertThat(client.getManifest(target, "t").status()).isEqualTo(404);
    assertThat(client.getManifest(repo, "t").status()).isEqualTo(404);
  }

  @Test
  void encodedSlashesAndDotsInNamesAreRefused() {
    assertError(client.get("/v2/" + repo + "%2F..%2F..%2Fetc/tags/list"), 400, "NAME_INVALID");
    assertError(client.get("/v2/" + repo + "%2Fx/tags/list"), 404, "NAME_UNKNOWN");
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
    assertError(client.getBlob(repo, digest), 400, "DIGEST_INVALID");
    assertThat(client.headBlob(repo, digest).status()).isEqualTo(400);
    assertError(client.deleteBlob(repo, digest), 400, "DIGEST_INVALID");
    if (digest.contains(":")) { // without a colon it is a (valid) tag, not a digest
      assertError(client.getManifest(repo, digest), 400, "DIGEST_INVALID");
    }
  }

  @Test
  void uploadClosedWithAMalformedDigestIsRefused() {
    Blob blob = Blob.random(100);
    URI upload = client.startUpload(repo);
    assertError(client.putUpload(upload, "sha256:nothex", blob.bytes()), 400, "DIGEST_INVALID");
    assertThat(client.headBlob(repo, blob.digest()).status()).isEqualTo(404);
    assertSessionAt(upload, "0-0");
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
    assertError(put, 400, "DIGEST_INVALID");
    assertThat(client.headBlob(repo, blob.digest()).status()).isEqualTo(404);
    assertSessionAt(upload, "0-0");
  }

  @Test
  void mountWithAMalformedDigestDoesNotCreateABlob() {
    String fresh = Checks.uniqueRepo("mount-target");
    assertError(
        client.postUpload(fresh, "mount", "sha256:bad", "from", repo), 400, "DIGEST_INVALID");
    // Refused before anything was written: the target repository did not come into being.
    assertError(client.listTags(fresh), 404, "NAME_UNKNOWN");
  }

  @Test
  void referrersOfAMalformedDigestAreRefused() {
    Reply reply = client.referrers(repo, "sha256:bad");
    assertError(reply, 400, "DIGEST_INVALID");
  }

  // ---- tags and references ------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(
      strings = {
        "-dash-first",
        ".dot-first",
        "has+plus",
        "ttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt"
      })
  void invalidTagsAreRefusedAndCreateNothing(String tag) {
    // No spec code names a bad tag; Lading's choice (see core Tag): a push is MANIFEST_INVALID,
    // a read or delete finds no manifest under a tag that cannot exist.
    assertError(
        client.putManifest(repo, tag, MediaType.OCI_MANIFEST, image.manifest().bytes()),
        400,
        "MANIFEST_INVALID");
    assertError(client.getManifest(repo, tag), 404, "MANIFEST_UNKNOWN");
    assertThat(client.headManifest(repo, tag).status()).isEqualTo(404);
    assertError(client.deleteManifest(repo, tag), 404, "MANIFEST_UNKNOWN");
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
  @ValueSource(strings = {"bytes=abc", "bytes=20-10", "bytes=--5", "bytes="})
  void malformedRangesAreRefusedWith416AndTheSize(String range) {
    // Never a 200 with the whole blob: a peer-to-peer cache asking for a piece would store the
    // whole blob as that piece.
    Blob layer = image.layers().get(0);
    Reply reply = client.getBlob(repo, layer.digest(), "Range", range);
    assertError(reply, 416, "UNSUPPORTED");
    assertThat(reply.headerOrNull("Content-Range")).isEqualTo("bytes */" + layer.size());
  }

  @ParameterizedTest
  @ValueSource(strings = {"bytes=999999999-", "bytes=999999999-,-0,9999999999-99999999999"})
  void unsatisfiableRangesAreRefusedWith416AndTheSize(String range) {
    // Several ranges are served (MultiRangeIT); none of these lies inside the blob.
    Blob layer = image.layers().get(0);
    Reply reply = client.getBlob(repo, layer.digest(), "Range", range);
    assertError(reply, 416, "UNSUPPORTED");
    assertThat(reply.headerOrNull("Content-Range")).isEqualTo("bytes */" + layer.size());
  }

  // ---- uploads ------------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"garbage", "10-5", "-5", "0-", "10-19/5", "bytes 10-19/19"})
  void malformedContentRangeOnAChunkIsBlobUploadInvalidAndKeepsTheSession(String contentRange) {
    Blob blob = Blob.random(20);
    URI session = uploadHoldingTheFirstTenBytesOf(blob);
    Reply bad = patchWithContentRange(session, bytesTenToTwenty(blob), contentRange);
    // Spec 1.1 names 416 only for chunks out of order; a header that does not parse or
    // contradicts itself is a bad upload request, refused before any byte of it was taken.
    assertError(bad, 400, "BLOB_UPLOAD_INVALID");
    assertSessionAt(session, "0-9");
    Reply put =
        client.putUpload(
            session,
            blob.digest(),
            Arrays.copyOfRange(blob.bytes(), 10, 20),
            "Content-Range",
            contentRange);
    assertError(put, 400, "BLOB_UPLOAD_INVALID");
    assertSessionAt(session, "0-9");
    assertThat(client.headBlob(repo, blob.digest()).status()).isEqualTo(404);
  }

  @Test
  void wellFormedChunkOutOfOrderAnswers416WithWhereTheSessionStands() {
    Blob blob = Blob.random(20);
    URI session = uploadHoldingTheFirstTenBytesOf(blob);
    for (String contentRange : new String[] {"bytes 0-9/20", "15-24", "5-14"}) {
      Reply bad = patchWithContentRange(session, bytesTenToTwenty(blob), contentRange);
      assertError(bad, 416, "BLOB_UPLOAD_INVALID");
      assertThat(bad.headerOrNull("Range")).isEqualTo("0-9");
      assertThat(bad.location()).isEqualTo(session);
      assertSessionAt(session, "0-9");
    }
  }

  /** A new upload session that holds {@code blob}'s first ten bytes: its location. */
  private URI uploadHoldingTheFirstTenBytesOf(Blob blob) {
    Reply first =
        client.patchChunk(client.startUpload(repo), Arrays.copyOfRange(blob.bytes(), 0, 10), 0);
    assertThat(first.status()).isEqualTo(202);
    return first.location();
  }

  private static BodyPublisher bytesTenToTwenty(Blob blob) {
    return BodyPublishers.ofByteArray(Arrays.copyOfRange(blob.bytes(), 10, 20));
  }

  /** A PATCH whose Content-Range header is sent as given, well-formed or not. */
  private static Reply patchWithContentRange(URI session, BodyPublisher body, String contentRange) {
    return client.send(
        "PATCH",
        session,
        body,
        "Content-Type",
        RegistryClient.OCTET_STREAM,
        "Content-Range",
        contentRange);
  }

  private static void assertSessionAt(URI upload, String range) {
    Reply status = client.get(upload);
    assertThat(status.status()).as("%s", status).isEqualTo(204);
    assertThat(status.headerOrNull("Range")).as("%s", status).isEqualTo(range);
  }

  @Test
  void chunkShorterThanItsContentRangeIsRefusedAndKeepsTheSession() {
    Blob blob = Blob.random(100);
    URI session = uploadHoldingTheFirstTenBytesOf(blob);
    Reply bad = patchWithContentRange(session, bytesTenToTwenty(blob), "10-99");
    // Content-Length 10 against a range of 90: refused before the body is read.
    assertError(bad, 400, "SIZE_INVALID");
    assertSessionAt(session, "0-9");
  }

  @ParameterizedTest
  @ValueSource(strings = {"10-99", "10-14"})
  void streamedChunkOfAnotherLengthThanItsContentRangeIsSizeInvalidAndKeepsTheSession(
      String contentRange) {
    Blob blob = Blob.random(100);
    URI session = uploadHoldingTheFirstTenBytesOf(blob);
    // No Content-Length (chunked transfer): only the body's end shows it is short or long, and
    // the part already streamed must not count.
    Reply bad =
        patchWithContentRange(
            session,
            RegistryClient.streamed(Arrays.copyOfRange(blob.bytes(), 10, 20)),
            contentRange);
    assertError(bad, 400, "SIZE_INVALID");
    assertSessionAt(session, "0-9");
    Reply rest = client.patchChunk(session, Arrays.copyOfRange(blob.bytes(), 10, 100), 10);
    assertThat(rest.status()).as("%s", rest).isEqualTo(202);
    assertThat(client.putUpload(rest.location(), blob.digest(), new byte[0]).status())
        .isEqualTo(201);
    assertThat(client.getBlob(repo, blob.digest()).body()).isEqualTo(blob.bytes());
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
  @ValueSource(
      strings = {
        "..",
        "..%2F..%2Fblobs",
        "%2e%2e",
        "a%00b",
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
      })
  void hostileUploadIdsAreUnknownUploads(String id) {
    // An id Lading never issued names no session, whatever it contains.
    assertError(client.get("/v2/" + repo + "/blobs/uploads/" + id), 404, "BLOB_UPLOAD_UNKNOWN");
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
    assertError(client.get("/v2/" + repo + "/nonsense/x"), 404, "NOT_FOUND");
    assertError(client.get("/v3/"), 404, "NOT_FOUND");
  }

  @Test
  void wrongMethodOnAKnownRouteAnswers405() {
    Reply reply =
        client.send(
            "PATCH",
            client.resolve("/v2/" + repo + "/manifests/stable"),
            BodyPublishers.ofByteArray("{}".getBytes(StandardCharsets.UTF_8)));
    assertError(reply, 405, "UNSUPPORTED");
    assertThat(reply.headerOrNull("Allow")).isEqualTo("GET, HEAD, PUT, DELETE");
    assertThat(client.getManifest(repo, "stable").body()).isEqualTo(image.manifest().bytes());
  }

  @Test
  void paginationWithANonNumberIsRefused() {
    assertError(client.listTags(repo, "n", "many"), 400, "UNSUPPORTED");
    assertError(client.listTags(repo, "n", "-1"), 400, "UNSUPPORTED");
    assertError(client.catalog("n", "many"), 400, "UNSUPPORTED");
  }

  // ---- every refusal of an API route speaks the spec's codes -----------------------------------

  /**
   * The spec says the {@code code} of an error MUST be one of its list, and ties no code to a
   * status: the refusals whose status the spec or HTTP fixes apart from a code's usual one (413,
   * 416, a 405 on an API route, a query parameter that is no value) each answer with a code of the
   * list. Over real sockets, so what is checked is what a client reads.
   */
  @Test
  void everyRefusalOfAnApiRouteWithAStatusOfItsOwnCarriesASpecCode() {
    Blob layer = image.layers().get(0);
    Blob blob = Blob.random(20);
    URI session = uploadHoldingTheFirstTenBytesOf(blob);
    String manyRanges = "bytes=" + "0-0,".repeat(1024) + "1-1";
    Map<String, Reply> refusals = new LinkedHashMap<>();
    refusals.put(
        "manifest over the limit",
        client.putManifest(repo, "huge", MediaType.OCI_MANIFEST, new byte[4 * 1024 * 1024 + 1]));
    refusals.put(
        "chunk out of order", patchWithContentRange(session, bytesTenToTwenty(blob), "15-24"));
    refusals.put(
        "unsatisfiable range", client.getBlob(repo, layer.digest(), "Range", "bytes=999999999-"));
    refusals.put("malformed range", client.getBlob(repo, layer.digest(), "Range", "bytes=x"));
    refusals.put("too many ranges", client.getBlob(repo, layer.digest(), "Range", manyRanges));
    refusals.put("tags n not a number", client.listTags(repo, "n", "many"));
    refusals.put("catalog n negative", client.catalog("n", "-1"));
    refusals.put("tags last too long", client.listTags(repo, "last", "x".repeat(1025)));
    refusals.put("tags last no tag", client.listTags(repo, "n", "1", "last", "no tag"));
    refusals.put("catalog last no name", client.catalog("n", "1", "last", "No/Name"));
    refusals.put(
        "artifactType no media type",
        client.referrers(repo, image.manifest().digest(), "artifactType", "not a type"));
    refusals.put(
        "method an API route does not serve",
        client.send("POST", "/v2/" + repo + "/tags/list", new byte[0]));

    Map<String, String> answered = new LinkedHashMap<>();
    refusals.forEach((what, reply) -> answered.put(what, reply.status() + " " + codeOf(reply)));
    assertThat(answered)
        .containsExactly(
            Map.entry("manifest over the limit", "413 MANIFEST_INVALID"),
            Map.entry("chunk out of order", "416 BLOB_UPLOAD_INVALID"),
            Map.entry("unsatisfiable range", "416 UNSUPPORTED"),
            Map.entry("malformed range", "416 UNSUPPORTED"),
            Map.entry("too many ranges", "416 UNSUPPORTED"),
            Map.entry("tags n not a number", "400 UNSUPPORTED"),
            Map.entry("catalog n negative", "400 UNSUPPORTED"),
            Map.entry("tags last too long", "400 UNSUPPORTED"),
            Map.entry("tags last no tag", "400 UNSUPPORTED"),
            Map.entry("catalog last no name", "400 NAME_INVALID"),
            Map.entry("artifactType no media type", "400 UNSUPPORTED"),
            Map.entry("method an API route does not serve", "405 UNSUPPORTED"));
    refusals.forEach(
        (what, reply) ->
            assertThat(reply.errorCodes()).as(what).hasSize(1).isSubsetOf(Checks.SPEC_ERROR_CODES));
    JsonNode detail = refusals.get("manifest over the limit").json().at("/errors/0/detail");
    assertThat(detail.path("size").asLong()).as("size in the 413").isEqualTo(4 * 1024 * 1024 + 1);
    assertThat(detail.path("limit").asLong()).as("limit in the 413").isEqualTo(4 * 1024 * 1024);
    assertThat(refusals.get("unsatisfiable range").headerOrNull("Content-Range"))
        .isEqualTo("bytes */" + layer.size());
    assertThat(refusals.get("too many ranges").headerOrNull("Content-Range"))
        .isEqualTo("bytes */" + layer.size());
    assertThat(refusals.get("chunk out of order").headerOrNull("Range")).isEqualTo("0-9");
    assertError(client.getManifest(repo, "huge"), 404, "MANIFEST_UNKNOWN");
  }

  private static String codeOf(Reply reply) {
    List<String> codes = reply.errorCodes();
    return codes.isEmpty() ? "(no code)" : codes.get(0);
  }

  @Test
  void nothingAboveLeftTheImageChanged() {
    Reply reply = client.getManifest(repo, "stable");
    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.body()).isEqualTo(image.manifest().bytes());
    assertThat(RegistryClient.strings(client.listTags(repo), "tags")).containsExactly("stable");
  }
}
