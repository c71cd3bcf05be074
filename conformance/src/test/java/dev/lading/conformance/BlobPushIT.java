package dev.lading.conformance;

import static dev.lading.conformance.Checks.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest.BodyPublishers;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The spec's blob push workflows: monolithic, chunked, streamed, mounts, and their failures. */
class BlobPushIT {
  @RegisterExtension static final RegistryProcess registry = RegistryProcess.create();

  static RegistryClient client;

  @BeforeAll
  static void connect() {
    client = registry.client();
  }

  private static void assertBlobCreated(Reply reply, String repo, Blob blob) {
    assertThat(reply.status()).as("%s", reply).isEqualTo(201);
    assertThat(reply.location().getPath()).isEqualTo("/v2/" + repo + "/blobs/" + blob.digest());
    assertThat(reply.headerOrNull("Docker-Content-Digest")).isEqualTo(blob.digest());
    assertBlobStored(repo, blob);
  }

  private static void assertBlobStored(String repo, Blob blob) {
    Reply get = client.getBlob(repo, blob.digest());
    assertThat(get.status()).as("%s", get).isEqualTo(200);
    assertThat(get.body()).isEqualTo(blob.bytes());
  }

  private static void assertBlobAbsent(String repo, String digest) {
    assertThat(client.headBlob(repo, digest).status()).isEqualTo(404);
  }

  private static void assertUploadRange(Reply reply, long bytesReceived) {
    assertThat(reply.headerOrNull("Range")).as("%s", reply).isEqualTo("0-" + (bytesReceived - 1));
  }

  @Test
  void postWithDigestAndBodyCreatesTheBlobAtOnce() {
    String repo = Checks.uniqueRepo("push");
    Blob blob = Blob.random(5000);
    Reply reply =
        client.send(
            "POST",
            client.resolve(
                "/v2/" + repo + "/blobs/uploads/" + RegistryClient.query("digest", blob.digest())),
            BodyPublishers.ofByteArray(blob.bytes()),
            "Content-Type",
            RegistryClient.OCTET_STREAM);
    assertBlobCreated(reply, repo, blob);
  }

  @Test
  void postThenPutCreatesTheBlob() {
    String repo = Checks.uniqueRepo("push");
    Blob blob = Blob.random(3000);
    Reply post = client.postUpload(repo);
    assertThat(post.status()).as("%s", post).isEqualTo(202);
    assertThat(post.location().getPath()).startsWith("/v2/" + repo + "/blobs/uploads/");
    assertBlobAbsent(repo, blob.digest());
    assertBlobCreated(client.putUpload(post.location(), blob.digest(), blob.bytes()), repo, blob);
  }

  @Test
  void chunkedUploadInOrderCreatesTheBlob() {
    String repo = Checks.uniqueRepo("push");
    Blob blob = Blob.random(10_000);
    byte[] first = Arrays.copyOfRange(blob.bytes(), 0, 4000);
    byte[] second = Arrays.copyOfRange(blob.bytes(), 4000, 10_000);
    URI upload = client.startUpload(repo);

    Reply one = client.patchChunk(upload, first, 0);
    assertThat(one.status()).as("%s", one).isEqualTo(202);
    assertUploadRange(one, 4000);

    Reply status = client.get(one.location());
    assertThat(status.status()).as("%s", status).isEqualTo(204);
    assertThat(status.header("Location")).isPresent();
    assertUploadRange(status, 4000);

    Reply two = client.patchChunk(status.location(), second, 4000);
    assertThat(two.status()).as("%s", two).isEqualTo(202);
    assertThat(two.header("Location")).isPresent();
    assertUploadRange(two, 10_000);

    assertBlobAbsent(repo, blob.digest());
    assertBlobCreated(client.putUpload(two.location(), blob.digest(), new byte[0]), repo, blob);
  }

  @Test
  void putMayCarryTheLastChunk() {
    String repo = Checks.uniqueRepo("push");
    Blob blob = Blob.random(8192);
    URI upload = client.startUpload(repo);
    Reply one = client.patchChunk(upload, Arrays.copyOfRange(blob.bytes(), 0, 5000), 0);
    assertThat(one.status()).isEqualTo(202);
    Reply put =
        client.putUpload(
            one.location(),
            blob.digest(),
            Arrays.copyOfRange(blob.bytes(), 5000, 8192),
            "Content-Range",
            "5000-8191");
    assertBlobCreated(put, repo, blob);
  }

  @Test
  void outOfOrderChunkAnswers416AndLeavesTheSessionAsItWas() {
    String repo = Checks.uniqueRepo("push");
    Blob blob = Blob.random(6000);
    URI upload = client.startUpload(repo);
    Reply skipped = client.patchChunk(upload, Arrays.copyOfRange(blob.bytes(), 3000, 6000), 3000);
    assertThat(skipped.status()).as("%s", skipped).isEqualTo(416);

    Reply one = client.patchChunk(upload, Arrays.copyOfRange(blob.bytes(), 0, 3000), 0);
    assertThat(one.status()).as("%s", one).isEqualTo(202);
    assertUploadRange(one, 3000);

    Reply gap =
        client.patchChunk(one.location(), Arrays.copyOfRange(blob.bytes(), 4000, 6000), 4000);
    assertThat(gap.status()).as("%s", gap).isEqualTo(416);
    Reply status = client.get(one.location());
    assertThat(status.status()).isEqualTo(204);
    assertUploadRange(status, 3000);

    Reply two =
        client.patchChunk(one.location(), Arrays.copyOfRange(blob.bytes(), 3000, 6000), 3000);
    assertThat(two.status()).as("%s", two).isEqualTo(202);
    assertBlobCreated(client.putUpload(two.location(), blob.digest(), new byte[0]), repo, blob);
  }

  @Test
  void retriedChunkAnswers416AndTheStatusStillShowsTheFirstChunk() {
    String repo = Checks.uniqueRepo("push");
    Blob blob = Blob.random(4000);
    byte[] first = Arrays.copyOfRange(blob.bytes(), 0, 2000);
    URI upload = client.startUpload(repo);
    Reply one = client.patchChunk(upload, first, 0);
    assertThat(one.status()).isEqualTo(202);
    assertUploadRange(one, 2000);

    Reply again = client.patchChunk(upload, first, 0);
    assertThat(again.status()).as("%s", again).isEqualTo(416);

    Reply status = client.get(upload);
    assertThat(status.status()).as("%s", status).isEqualTo(204);
    assertThat(status.header("Location")).isPresent();
    assertUploadRange(status, 2000);

    Reply two =
        client.patchChunk(status.location(), Arrays.copyOfRange(blob.bytes(), 2000, 4000), 2000);
    assertThat(two.status()).isEqualTo(202);
    assertBlobCreated(client.putUpload(two.location(), blob.digest(), new byte[0]), repo, blob);
  }

  @Test
  void streamedPatchWithoutLengthOrRangeIsAccepted() {
    String repo = Checks.uniqueRepo("push");
    Blob blob = Blob.random(200_000);
    URI upload = client.startUpload(repo);
    Reply patch =
        client.send(
            "PATCH",
            upload,
            RegistryClient.streamed(blob.bytes()),
            "Content-Type",
            RegistryClient.OCTET_STREAM);
    assertThat(patch.status()).as("%s", patch).isEqualTo(202);
    assertThat(patch.header("Location")).isPresent();
    assertUploadRange(patch, blob.size());
    assertBlobCreated(client.putUpload(patch.location(), blob.digest(), new byte[0]), repo, blob);
  }

  @Test
  void retriedPutOfACommittedUploadAnswersTheSameDigest() {
    String repo = Checks.uniqueRepo("push");
    Blob blob = Blob.random(1234);
    URI upload = client.startUpload(repo);
    Reply first = client.putUpload(upload, blob.digest(), blob.bytes());
    assertBlobCreated(first, repo, blob);
    Reply retried = client.putUpload(upload, blob.digest(), new byte[0]);
    assertThat(retried.status()).as("%s", retried).isEqualTo(201);
    assertThat(retried.headerOrNull("Docker-Content-Digest")).isEqualTo(blob.digest());
    assertBlobStored(repo, blob);
  }

  @Test
  void cancelledUploadIsUnknownAfterwards() {
    String repo = Checks.uniqueRepo("push");
    Blob blob = Blob.random(3000);
    URI upload = client.startUpload(repo);
    assertThat(client.patchChunk(upload, blob.bytes(), 0).status()).isEqualTo(202);

    Reply cancel = client.delete(upload);
    assertThat(cancel.status()).as("%s", cancel).isEqualTo(204);

    assertError(client.get(upload), 404, "BLOB_UPLOAD_UNKNOWN");
    assertError(client.patchChunk(upload, blob.bytes(), 3000), 404, "BLOB_UPLOAD_UNKNOWN");
    assertError(client.putUpload(upload, blob.digest(), new byte[0]), 404, "BLOB_UPLOAD_UNKNOWN");
    assertBlobAbsent(repo, blob.digest());
  }

  @Test
  void digestMismatchIsRefusedAndStoresNothing() {
    String repo = Checks.uniqueRepo("push");
    Blob sent = Blob.random(2048);
    String claimed = Blob.unknownDigest();
    URI upload = client.startUpload(repo);
    assertError(client.putUpload(upload, claimed, sent.bytes()), 400, "DIGEST_INVALID");
    assertBlobAbsent(repo, claimed);
    assertBlobAbsent(repo, sent.digest());
  }

  @Test
  void monolithicPostWithWrongDigestIsRefusedAndStoresNothing() {
    String repo = Checks.uniqueRepo("push");
    Blob sent = Blob.random(2048);
    String claimed = Blob.unknownDigest();
    Reply reply =
        client.send(
            "POST",
            client.resolve(
                "/v2/" + repo + "/blobs/uploads/" + RegistryClient.query("digest", claimed)),
            BodyPublishers.ofByteArray(sent.bytes()),
            "Content-Type",
            RegistryClient.OCTET_STREAM);
    assertError(reply, 400, "DIGEST_INVALID");
    assertBlobAbsent(repo, claimed);
    assertBlobAbsent(repo, sent.digest());
  }

  @Test
  void chunkedUploadWithWrongDigestIsRefusedAndStoresNothing() {
    String repo = Checks.uniqueRepo("push");
    Blob sent = Blob.random(5000);
    URI upload = client.startUpload(repo);
    Reply one = client.patchChunk(upload, sent.bytes(), 0);
    assertThat(one.status()).isEqualTo(202);
    String claimed = Blob.unknownDigest();
    assertError(client.putUpload(one.location(), claimed, new byte[0]), 400, "DIGEST_INVALID");
    assertBlobAbsent(repo, claimed);
    assertBlobAbsent(repo, sent.digest());
  }

  @Test
  void sha512BlobIsStoredAndServedUnderItsDigest() {
    String repo = Checks.uniqueRepo("push");
    Blob blob = Blob.sha512Of(Blob.random(4096).bytes());
    URI upload = client.startUpload(repo);
    Reply put = client.putUpload(upload, blob.digest(), blob.bytes());
    assertThat(put.status()).as("%s", put).isEqualTo(201);
    assertThat(put.header("Location")).isPresent();
    assertBlobStored(repo, blob);
    Reply head = client.headBlob(repo, blob.digest());
    assertThat(head.status()).isEqualTo(200);
    assertThat(head.headerOrNull("Content-Length")).isEqualTo("4096");
  }

  @Test
  void sameBlobPushedTwiceIsStillOneBlob() {
    String repo = Checks.uniqueRepo("push");
    Blob blob = Blob.random(999);
    client.pushBlob(repo, blob);
    client.pushBlob(repo, blob);
    assertBlobStored(repo, blob);
  }

  @Test
  void emptyBlobCanBePushed() {
    String repo = Checks.uniqueRepo("push");
    Blob empty = Blob.of(new byte[0]);
    URI upload = client.startUpload(repo);
    assertBlobCreated(client.putUpload(upload, empty.digest(), new byte[0]), repo, empty);
  }

  // ---- cross-repository mounts -------------------------------------------------------------

  @Test
  void mountFromARepositoryThatHasTheBlobCreatesIt() {
    String source = Checks.uniqueRepo("mount-src");
    String target = Checks.uniqueRepo("mount-dst");
    Blob blob = Blob.random(4000);
    client.pushBlob(source, blob);
    assertBlobAbsent(target, blob.digest());

    Reply mount = client.postUpload(target, "mount", blob.digest(), "from", source);
    assertBlobCreated(mount, target, blob);
    assertBlobStored(source, blob);
  }

  @Test
  void mountFromARepositoryWithoutTheBlobOpensAnUploadInstead() {
    String source = Checks.uniqueRepo("mount-src");
    String elsewhere = Checks.uniqueRepo("mount-other");
    String target = Checks.uniqueRepo("mount-dst");
    Blob blob = Blob.random(4000);
    client.pushBlob(elsewhere, blob);
    client.pushBlob(source, Blob.random(10)); // the source exists, without this blob

    Reply mount = client.postUpload(target, "mount", blob.digest(), "from", source);
    assertThat(mount.status()).as("%s", mount).isEqualTo(202);
    assertThat(mount.location().getPath()).startsWith("/v2/" + target + "/blobs/uploads/");
    assertBlobAbsent(target, blob.digest());

    // The session it opened is an ordinary upload.
    assertBlobCreated(
        client.putUpload(mount.location(), blob.digest(), blob.bytes()), target, blob);
  }

  @Test
  void mountOfAnUnknownDigestOpensAnUpload() {
    String target = Checks.uniqueRepo("mount-dst");
    String unknown = Blob.unknownDigest();
    Reply mount = client.postUpload(target, "mount", unknown);
    assertThat(mount.status()).as("%s", mount).isEqualTo(202);
    assertThat(mount.location().getPath()).startsWith("/v2/" + target + "/blobs/uploads/");
    assertBlobAbsent(target, unknown);
  }

  @Test
  void mountWithoutFromFindsTheBlobAnywhere() {
    String source = Checks.uniqueRepo("mount-src");
    String target = Checks.uniqueRepo("mount-dst");
    Blob blob = Blob.random(4000);
    client.pushBlob(source, blob);
    assertBlobCreated(client.postUpload(target, "mount", blob.digest()), target, blob);
  }
}
