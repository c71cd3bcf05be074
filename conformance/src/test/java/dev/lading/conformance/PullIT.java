package dev.lading.conformance;

import static dev.lading.conformance.Checks.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The spec's pull workflow: manifests and blobs by tag and digest, ranged reads, 404s. */
class PullIT {
  @RegisterExtension static final RegistryProcess registry = RegistryProcess.create();

  static RegistryClient client;
  static String repo;
  static Images image;
  static Blob layer;

  @BeforeAll
  static void pushImage() {
    client = registry.client();
    repo = Checks.uniqueRepo("pull");
    image = Images.generate(2, 64 * 1024).push(client, repo, "latest");
    layer = image.layers().get(0);
  }

  @Test
  void baseRouteAnswers200() {
    assertThat(client.get("/v2/").status()).isEqualTo(200);
  }

  @Test
  void manifestByTagAnswersItsExactBytesAndHeaders() {
    Reply reply = client.getManifest(repo, "latest", "Accept", MediaType.OCI_MANIFEST);
    assertManifestAnswer(reply, true);
  }

  @Test
  void manifestByDigestAnswersItsExactBytesAndHeaders() {
    Reply reply =
        client.getManifest(repo, image.manifest().digest(), "Accept", MediaType.OCI_MANIFEST);
    assertManifestAnswer(reply, true);
  }

  @Test
  void manifestWithoutAcceptHeaderStillAnswersOciManifest() {
    assertManifestAnswer(client.getManifest(repo, "latest"), true);
  }

  @Test
  void headOfManifestByTagAndDigestAnswersHeadersWithoutBody() {
    assertManifestAnswer(client.headManifest(repo, "latest", RegistryClient.acceptAll()), false);
    assertManifestAnswer(
        client.headManifest(repo, image.manifest().digest(), RegistryClient.acceptAll()), false);
  }

  private static void assertManifestAnswer(Reply reply, boolean withBody) {
    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
    assertThat(reply.headerOrNull("Content-Type")).isEqualTo(MediaType.OCI_MANIFEST);
    assertThat(reply.headerOrNull("Docker-Content-Digest")).isEqualTo(image.manifest().digest());
    assertThat(reply.headerOrNull("Content-Length"))
        .isEqualTo(Integer.toString(image.manifest().bytes().length));
    if (withBody) {
      assertThat(reply.body()).isEqualTo(image.manifest().bytes());
    } else {
      assertThat(reply.body()).isEmpty();
    }
  }

  @Test
  void blobAnswersItsBytesWithDigestLengthAndCachingHeaders() {
    Reply reply = client.getBlob(repo, layer.digest());
    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
    assertThat(reply.body()).isEqualTo(layer.bytes());
    assertThat(reply.headerOrNull("Docker-Content-Digest")).isEqualTo(layer.digest());
    assertThat(reply.headerOrNull("Content-Length")).isEqualTo(Long.toString(layer.size()));
    // A blob addressed by digest never changes: its digest is its entity tag, and caches may
    // keep it for a long time.
    assertThat(reply.headerOrNull("ETag")).isEqualTo("\"" + layer.digest() + "\"");
    assertThat(reply.headerOrNull("Cache-Control")).contains("max-age=");
  }

  @Test
  void configBlobAnswersItsBytes() {
    Reply reply = client.getBlob(repo, image.config().digest());
    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.body()).isEqualTo(image.config().bytes());
  }

  @Test
  void headOfBlobAnswersLengthAndDigestWithoutBody() {
    Reply reply = client.headBlob(repo, layer.digest());
    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
    assertThat(reply.headerOrNull("Content-Length")).isEqualTo(Long.toString(layer.size()));
    assertThat(reply.headerOrNull("Docker-Content-Digest")).isEqualTo(layer.digest());
    assertThat(reply.headerOrNull("ETag")).isEqualTo("\"" + layer.digest() + "\"");
    assertThat(reply.body()).isEmpty();
  }

  @Test
  void rangeWithBothEndsAnswersThatSlice() {
    assertPartial(client.getBlob(repo, layer.digest(), "Range", "bytes=100-1123"), 100, 1123);
  }

  @Test
  void rangeWithOpenEndAnswersTheRest() {
    long size = layer.size();
    assertPartial(client.getBlob(repo, layer.digest(), "Range", "bytes=4096-"), 4096, size - 1);
  }

  @Test
  void suffixRangeAnswersTheLastBytes() {
    long size = layer.size();
    assertPartial(
        client.getBlob(repo, layer.digest(), "Range", "bytes=-500"), size - 500, size - 1);
  }

  @Test
  void rangeOfOneByteAnswersThatByte() {
    assertPartial(client.getBlob(repo, layer.digest(), "Range", "bytes=0-0"), 0, 0);
  }

  @Test
  void rangeEndingPastTheBlobIsCutAtItsEnd() {
    long size = layer.size();
    assertPartial(
        client.getBlob(repo, layer.digest(), "Range", "bytes=10-" + (size * 10)), 10, size - 1);
  }

  @Test
  void rangeInAnotherUnitIsIgnored() {
    // RFC 9110 §14.2: a unit the server does not know is ignored; the client asked for no bytes.
    Reply reply = client.getBlob(repo, layer.digest(), "Range", "lines=0-5");
    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
    assertThat(reply.body()).isEqualTo(layer.bytes());
    assertThat(reply.headerOrNull("Content-Range")).isNull();
  }

  @Test
  void rangeStartingAtTheEndIsUnsatisfiable() {
    Reply reply = client.getBlob(repo, layer.digest(), "Range", "bytes=" + layer.size() + "-");
    assertThat(reply.status()).as("%s", reply).isEqualTo(416);
    assertThat(reply.headerOrNull("Content-Range")).isEqualTo("bytes */" + layer.size());
  }

  @Test
  void ifRangeWithTheBlobsEtagAnswersTheRange() {
    Reply reply =
        client.getBlob(
            repo, layer.digest(), "Range", "bytes=0-99", "If-Range", "\"" + layer.digest() + "\"");
    assertPartial(reply, 0, 99);
  }

  @Test
  void ifRangeWithAnotherEtagAnswersTheWholeBlob() {
    Reply reply =
        client.getBlob(
            repo,
            layer.digest(),
            "Range",
            "bytes=0-99",
            "If-Range",
            "\"" + Blob.unknownDigest() + "\"");
    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
    assertThat(reply.body()).isEqualTo(layer.bytes());
    assertThat(reply.headerOrNull("Content-Range")).isNull();
  }

  @Test
  void headWithRangeAnswersThePartialLength() {
    Reply reply =
        client.send(
            "HEAD",
            client.resolve("/v2/" + repo + "/blobs/" + layer.digest()),
            HttpRequest.BodyPublishers.noBody(),
            "Range",
            "bytes=0-9");
    assertThat(reply.status()).as("%s", reply).isEqualTo(206);
    assertThat(reply.headerOrNull("Content-Range")).isEqualTo("bytes 0-9/" + layer.size());
    assertThat(reply.headerOrNull("Content-Length")).isEqualTo("10");
    assertThat(reply.body()).isEmpty();
  }

  private static void assertPartial(Reply reply, long first, long last) {
    assertThat(reply.status()).as("%s", reply).isEqualTo(206);
    assertThat(reply.headerOrNull("Content-Range"))
        .isEqualTo("bytes " + first + "-" + last + "/" + layer.size());
    assertThat(reply.headerOrNull("Content-Length")).isEqualTo(Long.toString(last - first + 1));
    assertThat(reply.body())
        .isEqualTo(Arrays.copyOfRange(layer.bytes(), (int) first, (int) last + 1));
  }

  @Test
  void unknownBlobAnswers404BlobUnknown() {
    String unknown = Blob.unknownDigest();
    assertError(client.getBlob(repo, unknown), 404, "BLOB_UNKNOWN");
    Reply head = client.headBlob(repo, unknown);
    assertThat(head.status()).isEqualTo(404);
    assertThat(head.body()).isEmpty();
  }

  @Test
  void blobOfAnotherRepositoryIsNotVisibleHere() {
    String other = Checks.uniqueRepo("pull-other");
    Blob only = Blob.random(777);
    client.pushBlob(other, only);
    assertError(client.getBlob(repo, only.digest()), 404, "BLOB_UNKNOWN");
    assertThat(client.headBlob(repo, only.digest()).status()).isEqualTo(404);
  }

  @Test
  void unknownManifestAnswers404ManifestUnknown() {
    assertError(client.getManifest(repo, "no-such-tag"), 404, "MANIFEST_UNKNOWN");
    assertError(client.getManifest(repo, Blob.unknownDigest()), 404, "MANIFEST_UNKNOWN");
    Reply head = client.headManifest(repo, "no-such-tag");
    assertThat(head.status()).isEqualTo(404);
    assertThat(head.body()).isEmpty();
  }

  @Test
  void manifestOfUnknownRepositoryAnswers404() {
    Reply reply = client.getManifest(Checks.uniqueRepo("never-pushed"), "latest");
    // A manifest read answers for the manifest: Lading does not tell an unknown repository apart
    // here.
    assertError(reply, 404, "MANIFEST_UNKNOWN");
  }

  @Test
  void blobAddressedAsManifestIsNotAManifest() {
    assertError(client.getManifest(repo, layer.digest()), 404, "MANIFEST_UNKNOWN");
  }
}
