package dev.lading.core.registry;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.GcRunKey;
import dev.lading.core.layout.StorageLayout.LayerLinkKey;
import dev.lading.core.layout.StoredValues.GcRun;
import dev.lading.core.model.Digest;
import dev.lading.core.model.MediaTypes;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import dev.lading.core.storage.fs.FilesystemStore;
import dev.lading.core.testing.MutableClock;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The links an instance saw answer its next checks without a store call where calls are round
 * trips, and never outlive a deletion: a blob {@code DELETE} on another instance is seen here as
 * soon as it answers (the cache's argument is in {@link LinkCache}; a GC sweep's side is tested
 * with the collector itself, in module {@code gc}). Instances share one clock, which a {@code
 * DELETE}'s wait moves on.
 */
class LinkCacheTest {
  private static final RepositoryName BASE = RepositoryName.parse("team/base");
  private static final RepositoryName APP = RepositoryName.parse("team/app");
  private static final byte[] LAYER = "a layer of the base image".getBytes(UTF_8);
  private static final Digest DIGEST = Digest.sha256(LAYER);

  @TempDir Path dir;

  private final MutableClock clock = new MutableClock(Instant.parse("2026-12-04T10:00:00Z"));
  private FilesystemStore files;
  private StoreCallCounter store;

  @BeforeEach
  void open() throws Exception {
    files = new FilesystemStore(dir.resolve("root"));
    store = new StoreCallCounter(new RoundTripStore(files));
  }

  @AfterEach
  void close() throws Exception {
    files.close();
  }

  /** An instance on the shared store: a 5 s run cache, and waits that move the shared clock. */
  private StoreRegistry instance(RegistryOptions options) {
    GcFence fence =
        new GcFence(store, clock, GcFence.DEFAULT_TTL, Duration.ofMillis(200), clock::advance);
    return new StoreRegistry(store, options.withClock(clock), fence);
  }

  private StoreRegistry instance() {
    return instance(RegistryOptions.defaults());
  }

  private static void push(StoreRegistry registry, RepositoryName repo) {
    registry.putBlob(repo, DIGEST, new ByteArrayInputStream(LAYER), OptionalLong.of(LAYER.length));
  }

  private static byte[] manifestOf(Digest config, long configSize) {
    return ("{\"schemaVersion\":2,\"mediaType\":\""
            + MediaTypes.OCI_MANIFEST
            + "\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
            + "\"digest\":\""
            + config
            + "\",\"size\":"
            + configSize
            + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
            + "\"digest\":\""
            + DIGEST
            + "\",\"size\":"
            + LAYER.length
            + "}]}")
        .getBytes(UTF_8);
  }

  private static void assertRefused(Runnable call, ErrorCode code) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(code));
  }

  @Test
  void aMountOfALinkThisInstanceWroteIsTheWriteOfTheNewLinkAlone() {
    StoreRegistry registry = instance();
    push(registry, BASE);
    store.clear();

    Optional<BlobInfo> mounted = registry.mountBlob(APP, DIGEST, Optional.of(BASE));

    assertThat(mounted).map(BlobInfo::size).hasValue((long) LAYER.length);
    assertThat(store.calls.keySet()).as("no read of the source's link").containsOnly("write");
    assertThat(store.total()).isEqualTo(1);
  }

  @Test
  void aHeadOfABlobThisInstanceLinkedCostsNoStoreCall() {
    StoreRegistry registry = instance();
    push(registry, APP);
    store.clear();

    assertThat(registry.statBlob(APP, DIGEST).size()).isEqualTo(LAYER.length);
    assertThat(store.total()).isZero();
  }

  @Test
  void aManifestPushDoesNotReadTheLinksItsOwnPushWrote() {
    StoreRegistry registry = instance();
    byte[] config = "{\"architecture\":\"amd64\"}".getBytes(UTF_8);
    Digest configDigest = Digest.sha256(config);
    registry.putBlob(
        APP, configDigest, new ByteArrayInputStream(config), OptionalLong.of(config.length));
    push(registry, APP);
    store.clear();

    registry.putManifest(
        APP, Tag.parse("v1"), MediaTypes.OCI_MANIFEST, manifestOf(configDigest, config.length));

    assertThat(store.statted)
        .as("the config's link and the layer's, both written by this instance")
        .doesNotContain(
            StorageLayout.keyOf(new LayerLinkKey(APP, configDigest)),
            StorageLayout.keyOf(new LayerLinkKey(APP, DIGEST)));
  }

  @Test
  void aBlobDeletedOnAnotherInstanceIsUnknownHereOnceTheDeleteHasAnswered() {
    StoreRegistry here = instance();
    StoreRegistry other = instance();
    push(here, BASE);
    push(here, APP);
    here.statBlob(APP, DIGEST);
    store.clear();
    assertThat(here.statBlob(BASE, DIGEST).size()).isEqualTo(LAYER.length);
    assertThat(store.total()).as("answered from what this instance saw").isZero();

    other.deleteBlob(BASE, DIGEST);
    other.deleteBlob(APP, DIGEST);

    assertRefused(() -> here.statBlob(BASE, DIGEST), ErrorCode.BLOB_UNKNOWN);
    assertThat(here.mountBlob(APP, DIGEST, Optional.of(BASE))).as("mount").isEmpty();
    byte[] config = "{\"architecture\":\"arm64\"}".getBytes(UTF_8);
    Digest configDigest = Digest.sha256(config);
    here.putBlob(
        APP, configDigest, new ByteArrayInputStream(config), OptionalLong.of(config.length));
    assertRefused(
        () ->
            here.putManifest(
                APP,
                Tag.parse("v1"),
                MediaTypes.OCI_MANIFEST,
                manifestOf(configDigest, config.length)),
        ErrorCode.MANIFEST_BLOB_UNKNOWN);
  }

  @Test
  void aBlobDeletedHereIsUnknownHereAtOnce() {
    StoreRegistry here = instance();
    push(here, APP);
    here.statBlob(APP, DIGEST);

    here.deleteBlob(APP, DIGEST);

    assertRefused(() -> here.statBlob(APP, DIGEST), ErrorCode.BLOB_UNKNOWN);
  }

  @Test
  void whileAGcRunIsKnownEveryCheckReadsTheStore() throws Exception {
    StoreRegistry registry = instance();
    push(registry, APP);
    String id = UUID.randomUUID().toString();
    store.write(
        StorageLayout.keyOf(new GcRunKey(id)),
        new GcRun(id, clock.instant(), clock.instant().plus(Duration.ofMinutes(2))).write());
    clock.advance(GcFence.DEFAULT_TTL); // the run cache re-reads the runs and finds the run
    for (int i = 0; i < 2; i++) {
      store.clear();
      assertThat(registry.statBlob(APP, DIGEST).size()).isEqualTo(LAYER.length);
      assertThat(store.statted).contains(StorageLayout.keyOf(new LayerLinkKey(APP, DIGEST)));
    }
  }

  @Test
  void aStoreSomeOlderInstanceMayServeCachesNoLink() {
    StoreRegistry registry = instance(RegistryOptions.defaults().withStoreLayout(5));
    push(registry, APP);
    store.clear();

    registry.statBlob(APP, DIGEST);

    assertThat(store.statted).containsExactly(StorageLayout.keyOf(new LayerLinkKey(APP, DIGEST)));
  }

  @Test
  void aFilesystemStoreCachesNoLink() {
    StoreCallCounter local = new StoreCallCounter(files);
    GcFence fence = new GcFence(local, clock, GcFence.DEFAULT_TTL, Duration.ofMillis(200));
    StoreRegistry registry =
        new StoreRegistry(local, RegistryOptions.defaults().withClock(clock), fence);
    push(registry, APP);
    local.clear();

    registry.statBlob(APP, DIGEST);

    assertThat(local.statted).containsExactly(StorageLayout.keyOf(new LayerLinkKey(APP, DIGEST)));
  }
}
