package dev.lading.core.registry;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.BlobRecordKey;
import dev.lading.core.layout.StorageLayout.CatalogKey;
import dev.lading.core.layout.StorageLayout.LayerLinkKey;
import dev.lading.core.layout.StorageLayout.ManifestLinkKey;
import dev.lading.core.layout.StorageLayout.TagKey;
import dev.lading.core.model.Digest;
import dev.lading.core.model.DigestAlgorithm;
import dev.lading.core.model.MediaTypes;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.fs.FilesystemStore;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a manifest push costs the store: the push of a 10-layer image's manifest (blobs already
 * pushed, no GC run) is counted call by call. Each referenced blob is checked once (its link, which
 * stands for its record), side by side with the manifest's own links, and its writes follow.
 */
class ManifestPutStoreCallsTest {
  private static final RepositoryName REPO = RepositoryName.parse("team/app");

  @TempDir Path dir;

  @Test
  void aTenLayerManifestPushChecksEachBlobOnce() throws Exception {
    StoreCallCounter store = new StoreCallCounter(new FilesystemStore(dir.resolve("root")));
    StoreRegistry registry = registryOn(store);
    byte[] manifest = pushBlobsOfTenLayerImage(registry, new ArrayList<>());
    store.clear();

    registry.putManifest(REPO, Tag.parse("v1"), MediaTypes.OCI_MANIFEST, manifest);

    System.out.printf(
        "manifest PUT of a 10-layer image: %d store calls %s%n",
        store.total(), new TreeMap<>(store.calls));
    // 11 blobs (config and layers): a link stat each, no record read; the manifest's own link
    // under sha512 (a push by tag: a client working in sha512 keeps its digest, see
    // ManifestDigests), stat'ed too, and not the sha256 one, which matters only when the sha512
    // one exists; the tag, read once, for where it pointed before; no read of the record, which
    // fits inline and is written only if absent; and the writes, one batch of them (catalog
    // marker, record, link, tag).
    assertThat(store.calls.get("stat").get())
        .as("a link stat per blob, and sha512's")
        .isEqualTo(12);
    assertThat(store.calls.get("read").get()).as("the tag").isEqualTo(1);
    assertThat(store.calls.get("writeAll").get()).isEqualTo(1);
    assertThat(store.batches.getFirst()).hasSize(4);
    assertThat(store.total()).isEqualTo(12 + 1 + 1);
  }

  @Test
  void everyReadOfAPushByTagIsInFlightAtOnce() throws Exception {
    MeetingStore store = new MeetingStore(new FilesystemStore(dir.resolve("root")));
    List<Digest> blobs = new ArrayList<>();
    byte[] manifest = pushBlobsOfTenLayerImage(registryOn(store), blobs);
    // The manifest comes to another instance, which has seen none of the links (the one that
    // wrote them would answer from its LinkCache).
    StoreRegistry registry = registryOn(store);
    Set<String> reads = new HashSet<>();
    for (Digest blob : blobs) {
      reads.add(StorageLayout.keyOf(new LayerLinkKey(REPO, blob)));
    }
    reads.add(
        StorageLayout.keyOf(
            new ManifestLinkKey(REPO, Digest.compute(DigestAlgorithm.SHA512, manifest))));
    reads.add(StorageLayout.keyOf(new TagKey(REPO, Tag.parse("v1"))));
    assertThat(reads).hasSize(13);
    store.arm(reads);

    Digest pushed =
        registry.putManifest(REPO, Tag.parse("v1"), MediaTypes.OCI_MANIFEST, manifest).digest();

    assertThat(store.met())
        .as("11 blob links, the sha512 link and the tag read side by side")
        .isTrue();
    assertThat(pushed).isEqualTo(Digest.sha256(manifest));
    assertThat(registry.getManifest(REPO, Tag.parse("v1")).body()).isEqualTo(manifest);
    // A re-push finds the record there (its write is if-absent) and answers the same.
    store.arm(Set.of());
    registry.putManifest(REPO, Tag.parse("v2"), MediaTypes.OCI_MANIFEST, manifest);
    assertThat(registry.getManifest(REPO, Tag.parse("v2")).digest()).isEqualTo(pushed);
  }

  @Test
  void theFirstPushIntoARepositoryWritesItsCatalogMarkerAndTheRecordInOneRound() throws Exception {
    MeetingStore store = new MeetingStore(new FilesystemStore(dir.resolve("root")));
    StoreRegistry registry = registryOn(store);
    byte[] manifest = pushBlobsOfTenLayerImage(registry, new ArrayList<>());
    store.armWrites(
        Set.of(
            StorageLayout.keyOf(new CatalogKey(REPO)),
            StorageLayout.keyOf(new BlobRecordKey(Digest.sha256(manifest)))));

    registry.putManifest(REPO, Tag.parse("v1"), MediaTypes.OCI_MANIFEST, manifest);

    assertThat(store.met()).as("catalog marker and record written side by side").isTrue();
    assertThat(registry.getManifest(REPO, Tag.parse("v1")).body()).isEqualTo(manifest);
    assertThat(registry.listRepositories(10, java.util.Optional.empty()).items())
        .contains(REPO.value());
  }

  private static StoreRegistry registryOn(ObjectStore store) {
    StoreRegistry registry =
        new StoreRegistry(store, RegistryOptions.defaults(), GcFence.of(store, Clock.systemUTC()));
    registry.fence().runActive(); // the run cache is warm, as on a server that has been up a while
    return registry;
  }

  /**
   * Pushes a config and ten layers, adding their digests to {@code pushed}; returns the manifest
   * naming them, not pushed.
   */
  private static byte[] pushBlobsOfTenLayerImage(StoreRegistry registry, List<Digest> pushed) {
    List<String> layers = new ArrayList<>();
    byte[] config = "{\"architecture\":\"amd64\"}".getBytes(UTF_8);
    push(registry, config);
    pushed.add(Digest.sha256(config));
    for (int i = 0; i < 10; i++) {
      byte[] layer = ("layer " + i).getBytes(UTF_8);
      push(registry, layer);
      pushed.add(Digest.sha256(layer));
      layers.add(descriptor("application/vnd.oci.image.layer.v1.tar", layer));
    }
    return ("{\"schemaVersion\":2,\"mediaType\":\""
            + MediaTypes.OCI_MANIFEST
            + "\","
            + "\"config\":"
            + descriptor("application/vnd.oci.image.config.v1+json", config)
            + ",\"layers\":["
            + String.join(",", layers)
            + "]}")
        .getBytes(UTF_8);
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
