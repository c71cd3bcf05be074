package dev.lading.conformance;

import static dev.lading.conformance.Checks.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * BLAKE3 digests (image-spec registers {@code blake3}, 256-bit, optional for implementations) over
 * real sockets, on whichever store the run selects: with {@code digests.allow_blake3} on, blobs
 * pushed monolithically and in chunks, mounted, ranged, and manifests naming them pushed by their
 * own blake3 digest with {@code ?tag=}; with the default (off), every request naming a blake3
 * digest is refused as an unsupported algorithm, {@code 400 DIGEST_INVALID}, and nothing is stored.
 */
class Blake3IT {
  @RegisterExtension
  static final RegistryProcess on =
      RegistryProcess.create().withEnvironment("LADING_DIGESTS_ALLOW_BLAKE3", "true");

  @RegisterExtension static final RegistryProcess off = RegistryProcess.create();

  private static void assertServed(RegistryClient client, String repo, Blob blob) {
    Reply get = client.getBlob(repo, blob.digest());
    assertThat(get.status()).as("%s", get).isEqualTo(200);
    assertThat(get.body()).isEqualTo(blob.bytes());
    assertThat(get.headerOrNull("Docker-Content-Digest")).isEqualTo(blob.digest());
    Reply head = client.headBlob(repo, blob.digest());
    assertThat(head.status()).isEqualTo(200);
    assertThat(head.headerOrNull("Content-Length")).isEqualTo(String.valueOf(blob.size()));
    assertThat(head.headerOrNull("Docker-Content-Digest")).isEqualTo(blob.digest());
  }

  @Test
  void blake3BlobsArePushedMonolithicallyAndInChunksAndServed() {
    RegistryClient client = on.client();
    String repo = Checks.uniqueRepo("blake3");
    // Single POST with ?digest=.
    Blob single = Blob.blake3Of(Blob.random(5000).bytes());
    Reply post =
        client.send(
            "POST",
            "/v2/" + repo + "/blobs/uploads/?digest=" + single.digest(),
            single.bytes(),
            "Content-Type",
            "application/octet-stream");
    assertThat(post.status()).as("%s", post).isEqualTo(201);
    assertThat(post.headerOrNull("Docker-Content-Digest")).isEqualTo(single.digest());
    assertServed(client, repo, single);
    // POST then PUT, a body larger than what is read whole.
    Blob large = Blob.blake3Of(Blob.random(300_000).bytes());
    Reply put = client.putUpload(client.startUpload(repo), large.digest(), large.bytes());
    assertThat(put.status()).as("%s", put).isEqualTo(201);
    assertServed(client, repo, large);
    // Chunked: two PATCHes, the close without a body.
    Blob chunked = Blob.blake3Of(Blob.random(200_000).bytes());
    URI upload = client.startUpload(repo);
    Reply first = client.patchChunk(upload, Arrays.copyOf(chunked.bytes(), 120_000), 0);
    assertThat(first.status()).as("%s", first).isEqualTo(202);
    Reply second =
        client.patchChunk(
            first.location(), Arrays.copyOfRange(chunked.bytes(), 120_000, 200_000), 120_000);
    assertThat(second.status()).as("%s", second).isEqualTo(202);
    Reply close = client.putUpload(second.location(), chunked.digest(), new byte[0]);
    assertThat(close.status()).as("%s", close).isEqualTo(201);
    assertThat(close.headerOrNull("Docker-Content-Digest")).isEqualTo(chunked.digest());
    assertServed(client, repo, chunked);
    // A range of it, byte-exact.
    Reply range = client.getBlob(repo, chunked.digest(), "Range", "bytes=1000-1999");
    assertThat(range.status()).isEqualTo(206);
    assertThat(range.body()).isEqualTo(Arrays.copyOfRange(chunked.bytes(), 1000, 2000));
  }

  @Test
  void aWrongBlake3DigestIsRefusedAndNothingIsStored() {
    RegistryClient client = on.client();
    String repo = Checks.uniqueRepo("blake3");
    Blob blob = Blob.random(4096);
    String claimed = Blob.blake3(Blob.random(16).bytes());
    assertError(
        client.putUpload(client.startUpload(repo), claimed, blob.bytes()), 400, "DIGEST_INVALID");
    assertThat(client.headBlob(repo, claimed).status()).isEqualTo(404);
  }

  @Test
  void aBlake3ImageIsPushedByItsOwnDigestMountedAndPulledByTag() {
    RegistryClient client = on.client();
    String repo = Checks.uniqueRepo("blake3");
    String other = Checks.uniqueRepo("blake3-mount");
    Blob config = Blob.blake3Of("{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes());
    Blob layer = Blob.blake3Of(Blob.random(10_000).bytes());
    client.pushBlob(repo, config);
    client.pushBlob(repo, layer);
    Manifest m =
        Manifest.oci()
            .config(config.descriptor(MediaType.OCI_CONFIG))
            .add(layer.descriptor(MediaType.OCI_LAYER_TAR))
            .build();
    String digest = Blob.blake3(m.bytes());
    Reply put = client.putManifest(repo, digest + "?tag=b3&tag=latest", m.mediaType(), m.bytes());
    assertThat(put.status()).as("%s", put).isEqualTo(201);
    assertThat(put.headerOrNull("Docker-Content-Digest")).isEqualTo(digest);
    assertThat(put.headers().allValues("OCI-Tag")).containsExactly("b3", "latest");
    for (String reference : new String[] {"b3", "latest", digest}) {
      Reply get = client.getManifest(repo, reference, RegistryClient.acceptAll());
      assertThat(get.status()).as("%s", get).isEqualTo(200);
      assertThat(get.body()).isEqualTo(m.bytes());
      assertThat(get.headerOrNull("Docker-Content-Digest")).isEqualTo(digest);
    }
    // Mount both blobs into another repository (named and automatic), then the manifest there.
    Reply named = client.postUpload(other, "mount", layer.digest(), "from", repo);
    assertThat(named.status()).as("%s", named).isEqualTo(201);
    assertThat(named.headerOrNull("Docker-Content-Digest")).isEqualTo(layer.digest());
    Reply automatic = client.postUpload(other, "mount", config.digest());
    assertThat(automatic.status()).as("%s", automatic).isEqualTo(201);
    assertThat(client.pushManifest(other, digest, m).headerOrNull("Docker-Content-Digest"))
        .isEqualTo(digest);
    assertServed(client, other, layer);
  }

  @Test
  void offByDefaultEveryBlake3DigestIsAnUnsupportedAlgorithm() {
    RegistryClient client = off.client();
    String repo = Checks.uniqueRepo("blake3-off");
    Blob blob = Blob.blake3Of(Blob.random(4096).bytes());
    Reply post =
        client.send(
            "POST",
            "/v2/" + repo + "/blobs/uploads/?digest=" + blob.digest(),
            blob.bytes(),
            "Content-Type",
            "application/octet-stream");
    assertError(post, 400, "DIGEST_INVALID");
    URI upload = client.startUpload(repo);
    assertError(client.putUpload(upload, blob.digest(), blob.bytes()), 400, "DIGEST_INVALID");
    assertError(client.getBlob(repo, blob.digest()), 400, "DIGEST_INVALID");
    assertThat(client.headBlob(repo, blob.digest()).status()).isEqualTo(400);
    assertError(
        client.postUpload(repo, "mount", blob.digest(), "from", "elsewhere/repo"),
        400,
        "DIGEST_INVALID");
    assertError(client.getManifest(repo, blob.digest()), 400, "DIGEST_INVALID");
    // The same bytes under sha256 go in: only the algorithm is refused.
    Blob plain = Blob.of(blob.bytes());
    client.pushBlob(repo, plain);
    Blob config = Blob.utf8("{\"architecture\":\"amd64\"}");
    client.pushBlob(repo, config);
    Manifest naming =
        Manifest.oci()
            .config(config.descriptor(MediaType.OCI_CONFIG))
            .add(blob.descriptor(MediaType.OCI_LAYER_TAR))
            .build();
    assertError(
        client.putManifest(repo, "t", naming.mediaType(), naming.bytes()), 400, "DIGEST_INVALID");
    assertThat(client.headManifest(repo, "t", RegistryClient.acceptAll()).status()).isEqualTo(404);
  }
}
