package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest.BodyPublishers;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The requests of oras-go v2's {@code remote.Repository} ({@code oras-project/oras-go} {@code
 * registry/remote/repository.go}), which modctl and KitOps push and pull with, each checked as
 * oras-go checks its answer:
 *
 * <ul>
 *   <li>{@code Exists}: {@code HEAD /v2/<name>/blobs/<digest>} (a manifest: {@code HEAD
 *       .../manifests/<digest>} with the manifest {@code Accept} list); {@code 404} means push it.
 *   <li>{@code blobStore.Push}: "conventional 2-step monolithic upload": {@code POST
 *       /v2/<name>/blobs/uploads/} (must be {@code 202}, with a {@code Location}), then {@code PUT
 *       <location>?digest=<d>} with the whole blob, {@code Content-Type: application/octet-stream}
 *       and {@code Content-Length} (must be {@code 201}).
 *   <li>{@code manifestStore.Push}: {@code PUT /v2/<name>/manifests/<digest>} with {@code
 *       Content-Type} = the manifest's media type (must be {@code 201}; a {@code
 *       Docker-Content-Digest} must equal the digest pushed).
 *   <li>{@code manifestStore.Tag}: {@code GET /v2/<name>/manifests/<digest>} ({@code Accept} = the
 *       manifest's media type), then the bytes fetched {@code PUT} again under the tag.
 * </ul>
 */
final class OrasGoWire {
  /** oras-go's default manifest {@code Accept} (its {@code defaultManifestMediaTypes}). */
  static final String MANIFEST_ACCEPT =
      String.join(
          ", ",
          MediaType.DOCKER_MANIFEST,
          MediaType.DOCKER_MANIFEST_LIST,
          MediaType.OCI_INDEX,
          MediaType.OCI_MANIFEST);

  private OrasGoWire() {}

  /** {@code oras.Copy}'s default concurrency ({@code oras.DefaultCopyOptions}). */
  static final int COPY_CONCURRENCY = 3;

  /**
   * The blobs of a graph as {@code oras.Copy} pushes them before the manifest: {@link
   * #COPY_CONCURRENCY} at a time, each {@link #pushBlob}.
   */
  static void pushBlobs(RegistryClient client, String repo, List<Blob> blobs) throws Exception {
    try (ExecutorService pool = Executors.newFixedThreadPool(COPY_CONCURRENCY)) {
      List<Future<?>> pushes = new ArrayList<>();
      for (Blob blob : blobs) {
        pushes.add(pool.submit(() -> pushBlob(client, repo, blob)));
      }
      for (Future<?> push : pushes) {
        push.get();
      }
    }
  }

  /** {@code Exists} then, for a blob the registry lacks, {@code Push}. */
  static void pushBlob(RegistryClient client, String repo, Blob blob) {
    Reply exists = client.head("/v2/" + repo + "/blobs/" + blob.digest());
    assertThat(exists.status()).as("%s", exists).isEqualTo(404);
    Reply post =
        client.send(
            "POST", client.resolve("/v2/" + repo + "/blobs/uploads/"), BodyPublishers.noBody());
    assertThat(post.status()).as("%s", post).isEqualTo(202);
    putWhole(client, repo, post.location(), blob);
  }

  /**
   * The monolithic {@code PUT} that completes a session: the whole blob with its length, answered
   * {@code 201} with the blob's {@code Location} (KitOps dereferences it) and digest.
   */
  static void putWhole(RegistryClient client, String repo, URI session, Blob blob) {
    Reply put =
        client.send(
            "PUT",
            RegistryClient.withQuery(session, "digest", blob.digest()),
            BodyPublishers.ofByteArray(blob.bytes()),
            "Content-Type",
            RegistryClient.OCTET_STREAM);
    assertThat(put.status()).as("%s", put).isEqualTo(201);
    assertThat(put.headerOrNull("Docker-Content-Digest")).isEqualTo(blob.digest());
    assertThat(put.location().getPath()).isEqualTo("/v2/" + repo + "/blobs/" + blob.digest());
  }

  /**
   * {@code Exists} on the manifest's digest, {@code Push} by digest, then {@code Tag}: what
   * modctl's {@code pushIfNotExist} does, and what {@code oras.Copy} does for a destination that is
   * no {@code ReferencePusher} (KitOps behind its progress wrapper).
   */
  static void pushManifestThenTag(
      RegistryClient client, String repo, Manifest manifest, String tag) {
    Reply exists =
        client.head("/v2/" + repo + "/manifests/" + manifest.digest(), "Accept", MANIFEST_ACCEPT);
    assertThat(exists.status()).as("%s", exists).isEqualTo(404);
    assertPushed(
        client.putManifest(repo, manifest.digest(), manifest.mediaType(), manifest.bytes()),
        manifest);
    Reply fetched = client.getManifest(repo, manifest.digest(), "Accept", manifest.mediaType());
    assertThat(fetched.status()).as("%s", fetched).isEqualTo(200);
    assertThat(fetched.body()).isEqualTo(manifest.bytes());
    assertPushed(client.putManifest(repo, tag, manifest.mediaType(), fetched.body()), manifest);
  }

  private static void assertPushed(Reply put, Manifest manifest) {
    assertThat(put.status()).as("%s", put).isEqualTo(201);
    assertThat(put.headerOrNull("Docker-Content-Digest")).isEqualTo(manifest.digest());
  }

  /**
   * {@code Resolve} of a tag ({@code HEAD} with the {@code Accept} list): the descriptor oras-go
   * makes of the answer, checked against the manifest pushed ({@code Content-Type}, {@code
   * Docker-Content-Digest}, {@code Content-Length}).
   */
  static void assertResolves(RegistryClient client, String repo, String tag, Manifest manifest) {
    Reply head = client.head("/v2/" + repo + "/manifests/" + tag, "Accept", MANIFEST_ACCEPT);
    assertThat(head.status()).as("%s", head).isEqualTo(200);
    assertThat(head.headerOrNull("Content-Type")).isEqualTo(manifest.mediaType());
    assertThat(head.headerOrNull("Docker-Content-Digest")).isEqualTo(manifest.digest());
    assertThat(head.headerOrNull("Content-Length"))
        .isEqualTo(Integer.toString(manifest.bytes().length));
  }
}
