package dev.lading.conformance;

import static dev.lading.conformance.Checks.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Deleting manifests, tags and blobs, and what the listings show afterwards. */
class ContentManagementIT {
  @RegisterExtension static final RegistryProcess registry = RegistryProcess.create();

  static RegistryClient client;

  @BeforeAll
  static void connect() {
    client = registry.client();
  }

  private static List<String> tags(String repo) {
    Reply reply = client.listTags(repo);
    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
    return RegistryClient.strings(reply, "tags");
  }

  @Test
  void deletingAManifestByDigestRemovesItAndEveryTagOnIt() {
    String repo = Checks.uniqueRepo("delete");
    Images doomed = Images.pushed(client, repo, "one");
    client.pushManifest(repo, "two", doomed.manifest());
    Images kept = Images.pushed(client, repo, "kept");
    assertThat(tags(repo)).containsExactly("kept", "one", "two");

    Reply delete = client.deleteManifest(repo, doomed.manifest().digest());
    assertThat(delete.status()).as("%s", delete).isEqualTo(202);

    assertError(client.getManifest(repo, doomed.manifest().digest()), 404, "MANIFEST_UNKNOWN");
    assertError(client.getManifest(repo, "one"), 404, "MANIFEST_UNKNOWN");
    assertError(client.getManifest(repo, "two"), 404, "MANIFEST_UNKNOWN");
    assertThat(client.headManifest(repo, "one").status()).isEqualTo(404);
    assertThat(tags(repo)).containsExactly("kept");
    assertThat(client.getManifest(repo, "kept").body()).isEqualTo(kept.manifest().bytes());
  }

  @Test
  void deletingATagKeepsTheManifestAndItsOtherTags() {
    String repo = Checks.uniqueRepo("delete");
    Images image = Images.pushed(client, repo, "gone");
    client.pushManifest(repo, "stays", image.manifest());

    Reply delete = client.deleteManifest(repo, "gone");
    assertThat(delete.status()).as("%s", delete).isEqualTo(202);

    assertError(client.getManifest(repo, "gone"), 404, "MANIFEST_UNKNOWN");
    assertThat(tags(repo)).containsExactly("stays");
    Reply byDigest = client.getManifest(repo, image.manifest().digest());
    assertThat(byDigest.status()).isEqualTo(200);
    assertThat(byDigest.body()).isEqualTo(image.manifest().bytes());
    assertThat(client.getManifest(repo, "stays").status()).isEqualTo(200);
  }

  @Test
  void deletingTheLastTagLeavesAnEmptyTagList() {
    String repo = Checks.uniqueRepo("delete");
    Images.pushed(client, repo, "only");
    assertThat(client.deleteManifest(repo, "only").status()).isEqualTo(202);
    assertThat(tags(repo)).isEmpty();
  }

  @Test
  void deletingAnUnknownManifestAnswers404() {
    String repo = Checks.uniqueRepo("delete");
    Images.pushed(client, repo, "t");
    assertError(client.deleteManifest(repo, Blob.unknownDigest()), 404, "MANIFEST_UNKNOWN");
    assertError(client.deleteManifest(repo, "no-such-tag"), 404, "MANIFEST_UNKNOWN");
    assertThat(tags(repo)).containsExactly("t");
  }

  @Test
  void deletingAManifestTwiceAnswers404TheSecondTime() {
    String repo = Checks.uniqueRepo("delete");
    Images image = Images.pushed(client, repo, "t");
    assertThat(client.deleteManifest(repo, image.manifest().digest()).status()).isEqualTo(202);
    assertError(client.deleteManifest(repo, image.manifest().digest()), 404, "MANIFEST_UNKNOWN");
  }

  @Test
  void deletedManifestCanBePushedAgain() {
    String repo = Checks.uniqueRepo("delete");
    Images image = Images.pushed(client, repo, "t");
    assertThat(client.deleteManifest(repo, image.manifest().digest()).status()).isEqualTo(202);
    client.pushManifest(repo, "t", image.manifest());
    assertThat(client.getManifest(repo, "t").body()).isEqualTo(image.manifest().bytes());
  }

  @Test
  void deletingABlobMakesItUnknownHere() {
    String repo = Checks.uniqueRepo("delete");
    Blob blob = Blob.random(5000);
    client.pushBlob(repo, blob);

    Reply delete = client.deleteBlob(repo, blob.digest());
    assertThat(delete.status()).as("%s", delete).isEqualTo(202);

    assertError(client.getBlob(repo, blob.digest()), 404, "BLOB_UNKNOWN");
    assertThat(client.headBlob(repo, blob.digest()).status()).isEqualTo(404);
    assertError(client.deleteBlob(repo, blob.digest()), 404, "BLOB_UNKNOWN");
  }

  @Test
  void deletingABlobInOneRepositoryKeepsItInAnother() {
    String first = Checks.uniqueRepo("delete");
    String second = Checks.uniqueRepo("delete");
    Blob blob = Blob.random(5000);
    client.pushBlob(first, blob);
    assertThat(client.postUpload(second, "mount", blob.digest(), "from", first).status())
        .isEqualTo(201);

    assertThat(client.deleteBlob(first, blob.digest()).status()).isEqualTo(202);

    assertThat(client.headBlob(first, blob.digest()).status()).isEqualTo(404);
    Reply kept = client.getBlob(second, blob.digest());
    assertThat(kept.status()).isEqualTo(200);
    assertThat(kept.body()).isEqualTo(blob.bytes());
  }

  @Test
  void deletedBlobCanBePushedAgain() {
    String repo = Checks.uniqueRepo("delete");
    Blob blob = Blob.random(700);
    client.pushBlob(repo, blob);
    assertThat(client.deleteBlob(repo, blob.digest()).status()).isEqualTo(202);
    client.pushBlob(repo, blob);
    assertThat(client.getBlob(repo, blob.digest()).body()).isEqualTo(blob.bytes());
  }

  @Test
  void deletingAnUnknownBlobAnswers404() {
    String repo = Checks.uniqueRepo("delete");
    client.pushBlob(repo, Blob.random(10));
    assertError(client.deleteBlob(repo, Blob.unknownDigest()), 404, "BLOB_UNKNOWN");
  }
}
