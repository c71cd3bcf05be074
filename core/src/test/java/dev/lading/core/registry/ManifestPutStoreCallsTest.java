package dev.lading.core.registry;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.model.Digest;
import dev.lading.core.model.MediaTypes;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import dev.lading.core.storage.fs.FilesystemStore;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a manifest push costs the store: the push of a 10-layer image's manifest (blobs already
 * pushed, no GC run) is counted call by call. Each referenced blob is checked once (its link, which
 * stands for its record), and the manifest's own writes follow.
 */
class ManifestPutStoreCallsTest {
  private static final RepositoryName REPO = RepositoryName.parse("team/app");

  @TempDir Path dir;

  @Test
  void aTenLayerManifestPushChecksEachBlobOnce() throws Exception {
    StoreCallCounter store = new StoreCallCounter(new FilesystemStore(dir.resolve("root")));
    StoreRegistry registry =
        new StoreRegistry(store, RegistryOptions.defaults(), GcFence.of(store, Clock.systemUTC()));
    List<String> layers = new ArrayList<>();
    byte[] config = "{\"architecture\":\"amd64\"}".getBytes(UTF_8);
    push(registry, config);
    for (int i = 0; i < 10; i++) {
      byte[] layer = ("layer " + i).getBytes(UTF_8);
      push(registry, layer);
      layers.add(descriptor("application/vnd.oci.image.layer.v1.tar", layer));
    }
    byte[] manifest =
        ("{\"schemaVersion\":2,\"mediaType\":\""
                + MediaTypes.OCI_MANIFEST
                + "\","
                + "\"config\":"
                + descriptor("application/vnd.oci.image.config.v1+json", config)
                + ",\"layers\":["
                + String.join(",", layers)
                + "]}")
            .getBytes(UTF_8);
    registry.fence().runActive(); // the run cache is warm, as on a server that has been up a while
    store.clear();

    registry.putManifest(REPO, Tag.parse("v1"), MediaTypes.OCI_MANIFEST, manifest);

    System.out.printf(
        "manifest PUT of a 10-layer image: %d store calls %s%n",
        store.total(), new TreeMap<>(store.calls));
    // 11 blobs (config and layers): a link stat each, no record read; then the manifest's own
    // lookups (its record; and, a push by tag, the same bytes under sha512: a client working in
    // sha512 keeps its digest, see ManifestDigests) and its writes, one batch of them (catalog
    // marker, record, link, tag).
    assertThat(store.calls.get("stat").get()).as("one link stat per blob").isEqualTo(11);
    assertThat(store.calls.get("writeAll").get()).isEqualTo(1);
    assertThat(store.batches.getFirst()).hasSize(4);
    assertThat(store.total()).isLessThanOrEqualTo(11 + 2 + 1);
  }

  private static void push(StoreRegistry registry, byte[] blob) {
    registry.putBlob(
        REPO, Digest.sha256(blob), new ByteArrayInputStream(blob), OptionalLong.of(blob.length));
  }

  private static String descriptor(String mediaType, byte[] blob) {
    return "{\"mediaType\":\""
        + mediaType
        + "\",\"digest\":\""
        + Digest.sha256(blob)
        + "\",\"size\":"
        + blob.length
        + "}";
  }
}
