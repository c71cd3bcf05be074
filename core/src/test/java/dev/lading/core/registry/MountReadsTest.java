package dev.lading.core.registry;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.error.RegistryException;
import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.BlobRecordKey;
import dev.lading.core.layout.StorageLayout.LayerLinkKey;
import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.fs.FilesystemStore;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mount reads the source repository's link and, unless this instance has it, the blob's record,
 * side by side (on S3 one round trip instead of two), and links only what the source links.
 */
class MountReadsTest {
  private static final RepositoryName SOURCE = RepositoryName.parse("team/base");
  private static final RepositoryName TARGET = RepositoryName.parse("team/app");

  @TempDir Path dir;

  private static byte[] layer() {
    return "a layer both repositories use".getBytes(UTF_8);
  }

  private StoreRegistry registryOn(ObjectStore store) {
    return new StoreRegistry(
        store, RegistryOptions.defaults(), GcFence.of(store, Clock.systemUTC()));
  }

  @Test
  void theSourcesLinkAndTheRecordAreReadAtOnce() throws Exception {
    Digest digest = Digest.sha256(layer());
    MeetingStore store = new MeetingStore(new FilesystemStore(dir.resolve("root")));
    registryOn(store)
        .putBlob(
            SOURCE, digest, new ByteArrayInputStream(layer()), OptionalLong.of(layer().length));
    // Another instance, which has not seen the blob's record.
    StoreRegistry registry = registryOn(store);
    registry.fence().runActive(); // the run cache is warm, as on a server that has been up a while
    store.arm(
        Set.of(
            StorageLayout.keyOf(new LayerLinkKey(SOURCE, digest)),
            StorageLayout.keyOf(new BlobRecordKey(digest))));

    Optional<BlobInfo> mounted = registry.mountBlob(TARGET, digest, Optional.of(SOURCE));

    assertThat(mounted).map(BlobInfo::size).hasValue((long) layer().length);
    assertThat(store.met()).as("both reads in flight together").isTrue();
    assertThat(registry.statBlob(TARGET, digest).size()).isEqualTo(layer().length);
  }

  @Test
  void aRecordThisInstanceHasSeenIsNotReadAgain() throws Exception {
    Digest digest = Digest.sha256(layer());
    StoreCallCounter store = new StoreCallCounter(new FilesystemStore(dir.resolve("root")));
    StoreRegistry registry = registryOn(store);
    registry.putBlob(
        SOURCE, digest, new ByteArrayInputStream(layer()), OptionalLong.of(layer().length));
    registry.fence().runActive();
    store.clear();

    Optional<BlobInfo> mounted = registry.mountBlob(TARGET, digest, Optional.of(SOURCE));

    assertThat(mounted).map(BlobInfo::size).hasValue((long) layer().length);
    assertThat(store.statted)
        .containsExactly(StorageLayout.keyOf(new LayerLinkKey(SOURCE, digest)));
    assertThat(store.calls).doesNotContainKey("read");
    assertThat(registry.statBlob(TARGET, digest).size()).isEqualTo(layer().length);
  }

  @Test
  void aSourceThatDoesNotLinkTheBlobMountsNothing() throws Exception {
    Digest digest = Digest.sha256(layer());
    StoreRegistry registry = registryOn(new FilesystemStore(dir.resolve("root")));
    RepositoryName elsewhere = RepositoryName.parse("team/elsewhere");
    registry.putBlob(
        elsewhere, digest, new ByteArrayInputStream(layer()), OptionalLong.of(layer().length));

    assertThat(registry.mountBlob(TARGET, digest, Optional.of(SOURCE))).isEmpty();
    assertThatThrownBy(() -> registry.statBlob(TARGET, digest))
        .isInstanceOf(RegistryException.class);
  }
}
