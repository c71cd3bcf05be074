package dev.lading.conformance;

import static dev.lading.conformance.Checks.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Sparse indexes (an image index whose children are not all in the repository; image-spec allows
 * them, distribution-spec lets a registry refuse them) over real sockets, on whichever store the
 * run selects: refused with {@code MANIFEST_BLOB_UNKNOWN} by default, stored byte for byte with
 * {@code manifests.allow_sparse_index}, the present child pullable and the absent one unknown.
 */
class SparseIndexIT {
  @RegisterExtension static final RegistryProcess refusing = RegistryProcess.create();

  @RegisterExtension
  static final RegistryProcess accepting =
      RegistryProcess.create().withEnvironment("LADING_MANIFESTS_ALLOW_SPARSE_INDEX", "true");

  /** An index over an image pushed to {@code repo} and one that exists nowhere. */
  private static Manifest sparseIndex(RegistryClient client, String repo) {
    Images present = Images.pushed(client, repo, "amd64");
    Manifest absent = Images.generate(1, 64).manifest();
    return Manifest.ociIndex()
        .add(present.manifest().descriptor().withPlatform("linux", "amd64"))
        .add(absent.descriptor().withPlatform("linux", "arm64"))
        .build();
  }

  @Test
  void aSparseIndexIsRefusedByDefaultAndNothingIsStored() {
    RegistryClient client = refusing.client();
    String repo = Checks.uniqueRepo("sparse");
    Manifest index = sparseIndex(client, repo);
    Reply put = client.putManifest(repo, "multi", index.mediaType(), index.bytes());
    assertError(put, 400, "MANIFEST_BLOB_UNKNOWN");
    assertThat(client.headManifest(repo, "multi", RegistryClient.acceptAll()).status())
        .isEqualTo(404);
    assertThat(client.headManifest(repo, index.digest(), RegistryClient.acceptAll()).status())
        .isEqualTo(404);
  }

  @Test
  void withTheSwitchASparseIndexIsStoredAndServedAsPushed() {
    RegistryClient client = accepting.client();
    String repo = Checks.uniqueRepo("sparse");
    Manifest index = sparseIndex(client, repo);
    Reply put = client.putManifest(repo, "multi", index.mediaType(), index.bytes());
    assertThat(put.status()).as("%s", put).isEqualTo(201);
    assertThat(put.headerOrNull("Docker-Content-Digest")).isEqualTo(index.digest());
    Reply get = client.getManifest(repo, "multi", RegistryClient.acceptAll());
    assertThat(get.status()).isEqualTo(200);
    assertThat(get.body()).isEqualTo(index.bytes());
    assertThat(get.headerOrNull("Content-Type")).isEqualTo(MediaType.OCI_INDEX);
    assertThat(client.getManifest(repo, "amd64", RegistryClient.acceptAll()).status())
        .isEqualTo(200);
    // An image manifest's own references are checked whatever the switch.
    Images missingLayer = Images.generate(1, 128);
    client.pushBlob(repo, missingLayer.config());
    Reply image =
        client.putManifest(
            repo, "broken", missingLayer.manifest().mediaType(), missingLayer.manifest().bytes());
    assertError(image, 400, "MANIFEST_BLOB_UNKNOWN");
  }
}
