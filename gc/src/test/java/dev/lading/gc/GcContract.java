package dev.lading.gc;

import static dev.lading.core.registry.RegistryContract.readAll;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StoredValues;
import dev.lading.core.layout.StoredValues.UploadState;
import dev.lading.core.model.Digest;
import dev.lading.core.model.DigestAlgorithm;
import dev.lading.core.model.MediaTypes;
import dev.lading.core.model.Reference;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import dev.lading.core.registry.GcFence;
import dev.lading.core.registry.ManifestContent;
import dev.lading.core.registry.RegistryOptions;
import dev.lading.core.registry.StoreRegistry;
import dev.lading.core.storage.CrashingStore;
import dev.lading.core.storage.ForwardingObjectStore;
import dev.lading.core.storage.ObjectInfo;
import dev.lading.core.storage.ObjectStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * GC over a real store, abstract over the store so every store runs it (the S3 store adds one
 * subclass). Registries use a zero-TTL run cache and GC a zero fence delay, so a run is visible to
 * pushers at once; interleavings are forced with latches in the fence's and sweeper's hooks.
 */
public abstract class GcContract {
  protected static final RepositoryName APP = RepositoryName.parse("team/app");
  protected static final RepositoryName OTHER = RepositoryName.parse("team/other");
  private static final Duration WAIT = Duration.ofSeconds(30);

  /** A new, empty store. */
  protected abstract ObjectStore newStore() throws Exception;

  /** Bytes of the half-pushed layer of the upload-expiry test: enough for a multipart write. */
  protected int halfALayerBytes() {
    return 1000;
  }

  /** Multipart writes not completed nor aborted, when the store can tell; -1 otherwise. */
  protected long pendingMultipartWrites(ObjectStore store) throws Exception {
    return -1;
  }

  protected ObjectStore store;
  protected StoreRegistry registry;
  protected GarbageCollector gc;
  private ExecutorService threads;

  @BeforeEach
  void open() throws Exception {
    store = newStore();
    registry = newRegistry(store);
    gc = new GarbageCollector(store, Clock.systemUTC());
    threads = Executors.newCachedThreadPool();
  }

  @AfterEach
  void close() throws Exception {
    threads.shutdownNow();
    store.close();
  }

  protected static StoreRegistry newRegistry(ObjectStore store) {
    GcFence fence = new GcFence(store, Clock.systemUTC(), Duration.ZERO, Duration.ofMillis(5));
    return new StoreRegistry(store, RegistryOptions.defaults(), fence);
  }

  protected static GcOptions now() {
    return GcOptions.defaults().withGrace(Duration.ZERO).withFenceDelay(Duration.ZERO);
  }

  // ---- helpers ------------------------------------------------------------------------------

  protected static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  protected Digest pushBlob(RepositoryName repo, byte[] content) {
    Digest digest = Digest.sha256(content);
    registry.putBlob(
        repo, digest, new ByteArrayInputStream(content), OptionalLong.of(content.length));
    return digest;
  }

  protected static String descriptor(String mediaType, Digest digest, long size) {
    return "{\"mediaType\":\""
        + mediaType
        + "\",\"digest\":\""
        + digest
        + "\",\"size\":"
        + size
        + "}";
  }

  /** An image manifest over blobs already pushed (config first). */
  protected static byte[] manifest(List<byte[]> blobs, String extra) {
    byte[] config = blobs.get(0);
    String layers =
        blobs.subList(1, blobs.size()).stream()
            .map(
                b ->
                    descriptor(
                        "application/vnd.oci.image.layer.v1.tar", Digest.sha256(b), b.length))
            .collect(Collectors.joining(","));
    return bytes(
        "{\"schemaVersion\":2,\"mediaType\":\""
            + MediaTypes.OCI_MANIFEST
            + "\","
            + "\"config\":"
            + descriptor(
                "application/vnd.oci.image.config.v1+json", Digest.sha256(config), config.length)
            + ",\"layers\":["
            + layers
            + "]"
            + extra
            + "}");
  }

  /** Pushes config + layers and the manifest under {@code reference}. */
  protected Digest pushImage(RepositoryName repo, String reference, List<byte[]> blobs) {
    for (byte[] b : blobs) {
      pushBlob(repo, b);
    }
    return putManifest(repo, reference, manifest(blobs, ""));
  }

  protected Digest putManifest(RepositoryName repo, String reference, byte[] body) {
    return registry
        .putManifest(repo, Reference.parse(reference), MediaTypes.OCI_MANIFEST, body)
        .digest();
  }

  protected static List<byte[]> image(String name, int layers) {
    List<byte[]> blobs = new ArrayList<>();
    blobs.add(bytes("{\"architecture\":\"amd64\",\"name\":\"" + name + "\"}"));
    for (int i = 0; i < layers; i++) {
      blobs.add(bytes("layer " + i + " of " + name));
    }
    return blobs;
  }

  /** Pulls the manifest and every blob it references, verifying each digest. */
  protected void assertPullsCompletely(RepositoryName repo, String reference) throws IOException {
    assertPullsCompletely(registry, repo, reference);
  }

  protected static void assertPullsCompletely(
      StoreRegistry registry, RepositoryName repo, String reference) throws IOException {
    ManifestContent m = registry.getManifest(repo, Reference.parse(reference));
    assertThat(Digest.sha256(m.body())).isEqualTo(m.digest());
    for (Digest d : referencedBlobs(m.body())) {
      byte[] content = readAll(registry.openBlob(repo, d, Optional.empty()));
      assertThat(Digest.sha256(content)).as("blob %s of %s", d, reference).isEqualTo(d);
    }
  }

  /**
   * A pull as the HTTP handlers make one: the manifest by tag, then each blob by {@code GET} (not
   * {@code HEAD}: that is a pusher's question), verified.
   */
  protected static void pullAsAClientDoes(StoreRegistry registry, RepositoryName repo, String tag)
      throws IOException {
    ManifestContent m = registry.getManifest(repo, Reference.parse(tag));
    for (Digest d : referencedBlobs(m.body())) {
      registry.statBlobForRead(repo, d);
      byte[] content = readAll(registry.openBlob(repo, d, Optional.empty()));
      if (!Digest.sha256(content).equals(d)) {
        throw new AssertionError("blob " + d + " of " + tag + " has other content");
      }
    }
  }

  private static List<Digest> referencedBlobs(byte[] manifest) {
    List<Digest> out = new ArrayList<>();
    String text = new String(manifest, UTF_8);
    int subject = text.indexOf("\"subject\"");
    if (subject >= 0) {
      text = text.substring(0, subject); // the subject is a manifest, not a blob of this one
    }
    int at = 0;
    while ((at = text.indexOf("\"digest\":\"", at)) >= 0) {
      int start = at + 10;
      out.add(Digest.parse(text.substring(start, text.indexOf('"', start))));
      at = start;
    }
    return out;
  }

  protected boolean blobExists(Digest digest) throws IOException {
    return store.stat(StorageLayout.keyOf(new StorageLayout.BlobRecordKey(digest))).isPresent();
  }

  protected static void assertRefused(Runnable call, ErrorCode code) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(code));
  }

  /**
   * Waits (polling, with a deadline) until the store's clock has moved past every object written so
   * far, so a zero grace period treats them as old: file times can be a few ms coarse.
   */
  protected void storeClockMovesOn() throws IOException {
    String probe =
        StorageLayout.keyOf(new StorageLayout.DataKey("00000000-0000-0000-0000-000000000000"));
    store.write(probe, new byte[0]);
    Instant first = store.stat(probe).map(ObjectInfo::lastModified).orElseThrow();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      store.write(probe, new byte[0]);
      if (store.stat(probe).map(ObjectInfo::lastModified).orElseThrow().isAfter(first)) {
        store.delete(List.of(probe));
        return;
      }
    }
    throw new AssertionError("the store's clock did not move");
  }

  private static void await(CountDownLatch latch) {
    try {
      if (!latch.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
        throw new AssertionError("timed out waiting for the other side");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  // ---- what is kept and what goes -----------------------------------------------------------

  @Test
  void sweepsExactlyWhatNoTagReaches() throws Exception {
    List<byte[]> a = image("a", 2);
    List<byte[]> b = image("b", 2);
    b.set(1, a.get(1)); // b shares a's first layer
    Digest aDigest = pushImage(APP, "v1", a);
    pushImage(APP, "v2", b);
    List<byte[]> c = image("c", 1);
    pushImage(APP, "v1", c); // v1 moves on: a is untagged now
    registry.deleteManifest(APP, aDigest); // and deleted through the API
    storeClockMovesOn();

    GcStats stats = gc.run(now());

    assertThat(blobExists(aDigest)).isFalse();
    assertThat(blobExists(Digest.sha256(a.get(0)))).isFalse(); // a's config
    assertThat(blobExists(Digest.sha256(a.get(2)))).isFalse(); // a's own layer
    assertThat(blobExists(Digest.sha256(a.get(1)))).isTrue(); // shared with b
    assertThat(stats.blobsSwept()).isEqualTo(3);
    assertThat(stats.layerLinksSwept()).isEqualTo(2);
    assertPullsCompletely(APP, "v1");
    assertPullsCompletely(APP, "v2");
    assertRefused(() -> registry.statBlob(APP, Digest.sha256(a.get(2))), ErrorCode.BLOB_UNKNOWN);
    assertThat(gc.run(now()).items()).as("a second run finds nothing").isEmpty();
  }

  /**
   * An instance that caches links (its store calls are round trips, its run cache a real TTL) and
   * makes no request while a whole run announces itself, sweeps and ends: it never saw the run, yet
   * the link epoch the sweep rewrote makes it drop the link it had seen, so the swept blob is
   * unknown to its {@code HEAD}, its mount and its manifest check at once.
   */
  @Test
  void anInstanceIdleThroughAWholeRunForgetsTheLinksTheRunSwept() throws Exception {
    Duration ttl = Duration.ofMillis(300);
    AtomicInteger stats = new AtomicInteger();
    ObjectStore remote =
        new ForwardingObjectStore(store) {
          @Override
          public boolean callsAreRoundTrips() {
            return true;
          }

          @Override
          public Optional<ObjectInfo> stat(String key) throws IOException {
            stats.incrementAndGet();
            return super.stat(key);
          }
        };
    StoreRegistry idle =
        new StoreRegistry(
            remote,
            RegistryOptions.defaults(),
            new GcFence(remote, Clock.systemUTC(), ttl, Duration.ofMillis(5)));
    byte[] layer = bytes("pushed, never referenced, swept");
    Digest digest = Digest.sha256(layer);
    idle.putBlob(APP, digest, new ByteArrayInputStream(layer), OptionalLong.of(layer.length));
    stats.set(0);
    assertThat(idle.statBlob(APP, digest).size()).isEqualTo(layer.length);
    assertThat(stats.get()).as("the link answered from what the instance saw").isZero();
    storeClockMovesOn();

    GcStats run = gc.run(now().withFenceDelay(ttl.plusMillis(100)));

    assertThat(run.layerLinksSwept()).as("the link was swept").isEqualTo(1);
    assertRefused(() -> idle.statBlob(APP, digest), ErrorCode.BLOB_UNKNOWN);
    assertThat(idle.mountBlob(OTHER, digest, Optional.of(APP))).as("mount").isEmpty();
    byte[] config = bytes("{\"architecture\":\"amd64\",\"name\":\"idle\"}");
    idle.putBlob(
        APP,
        Digest.sha256(config),
        new ByteArrayInputStream(config),
        OptionalLong.of(config.length));
    assertRefused(
        () ->
            idle.putManifest(
                APP,
                Reference.parse("v1"),
                MediaTypes.OCI_MANIFEST,
                manifest(List.of(config, layer), "")),
        ErrorCode.MANIFEST_BLOB_UNKNOWN);
  }

  @Test
  void blake3ContentIsKeptWhileReachedAndCollectedAfter() throws Exception {
    GcFence fence = new GcFence(store, Clock.systemUTC(), Duration.ZERO, Duration.ofMillis(5));
    StoreRegistry b3 =
        new StoreRegistry(store, RegistryOptions.defaults().withAllowBlake3(true), fence);
    byte[] config = bytes("{\"architecture\":\"amd64\",\"name\":\"b3\"}");
    byte[] layer = bytes("a layer hashed with blake3");
    byte[] orphan = bytes("a blake3 blob no manifest names");
    Digest c = Digest.compute(DigestAlgorithm.BLAKE3, config);
    Digest l = Digest.compute(DigestAlgorithm.BLAKE3, layer);
    Digest o = Digest.compute(DigestAlgorithm.BLAKE3, orphan);
    for (var blob : List.of(Map.entry(c, config), Map.entry(l, layer), Map.entry(o, orphan))) {
      b3.putBlob(
          APP,
          blob.getKey(),
          new ByteArrayInputStream(blob.getValue()),
          OptionalLong.of(blob.getValue().length));
    }
    byte[] manifest =
        bytes(
            "{\"schemaVersion\":2,\"mediaType\":\""
                + MediaTypes.OCI_MANIFEST
                + "\",\"config\":"
                + descriptor("application/vnd.oci.image.config.v1+json", c, config.length)
                + ",\"layers\":["
                + descriptor("application/vnd.oci.image.layer.v1.tar", l, layer.length)
                + "]}");
    Digest m = Digest.compute(DigestAlgorithm.BLAKE3, manifest);
    b3.putManifest(APP, m, List.of(Tag.parse("b3")), MediaTypes.OCI_MANIFEST, manifest);
    // Records, not data objects: small blobs are held in their records.
    int recordsBefore =
        store.list(StorageLayout.blobRecordsPrefix(), Optional.empty(), 1000).keys().size();
    storeClockMovesOn();

    GcStats first = gc.run(now());
    assertThat(first.blobsSwept()).isEqualTo(1);
    assertThat(blobExists(o)).isFalse();
    assertThat(blobExists(m)).isTrue();
    assertThat(blobExists(c)).isTrue();
    assertThat(blobExists(l)).isTrue();
    assertThat(readAll(b3.openBlob(APP, l, Optional.empty()))).isEqualTo(layer);
    assertThat(store.list(StorageLayout.blobRecordsPrefix(), Optional.empty(), 1000).keys())
        .hasSize(recordsBefore - 1);

    // The tag moves to a sha256 image and the blake3 manifest is deleted: all of it goes.
    pushImage(APP, "b3", image("sha256 now", 1));
    b3.deleteManifest(APP, m);
    storeClockMovesOn();
    GcStats second = gc.run(now());
    assertThat(second.blobsSwept()).isEqualTo(3);
    assertThat(blobExists(m) || blobExists(c) || blobExists(l)).isFalse();
    assertThat(store.list("blobs/blake3/", Optional.empty(), 10).keys()).isEmpty();
    assertPullsCompletely(APP, "b3");
  }

  @Test
  void untaggedManifestsAreKeptByDefaultAndSweptWhenConfigured() throws Exception {
    Digest untagged = pushImage(APP, "v1", image("old", 1));
    pushImage(APP, "v1", image("new", 1));
    storeClockMovesOn();

    gc.run(now());
    assertPullsCompletely(APP, untagged.toString());

    GcStats stats = gc.run(now().withDeleteUntagged(true));
    assertThat(stats.manifestsSwept()).isEqualTo(1);
    assertRefused(() -> registry.getManifest(APP, untagged), ErrorCode.MANIFEST_UNKNOWN);
    assertThat(blobExists(untagged)).isFalse();
    assertPullsCompletely(APP, "v1");
  }

  /** Pushes blobs and an image manifest by digest only. */
  protected Digest pushByDigest(RepositoryName repo, List<byte[]> blobs, String extra) {
    for (byte[] b : blobs) {
      pushBlob(repo, b);
    }
    byte[] body = manifest(blobs, extra);
    return putManifest(repo, Digest.sha256(body).toString(), body);
  }

  protected static String subject(Digest digest) {
    return ",\"subject\":" + descriptor(MediaTypes.OCI_MANIFEST, digest, 100);
  }

  @Test
  void indexChildrenAndReferrersOfKeptSubjectsAreKept() throws Exception {
    Digest amd = pushByDigest(APP, image("amd64", 1), "");
    Digest arm = pushByDigest(APP, image("arm64", 1), "");
    byte[] index =
        bytes(
            "{\"schemaVersion\":2,\"mediaType\":\""
                + MediaTypes.OCI_INDEX
                + "\","
                + "\"manifests\":["
                + descriptor(MediaTypes.OCI_MANIFEST, amd, 10)
                + ","
                + descriptor(MediaTypes.OCI_MANIFEST, arm, 10)
                + "]}");
    registry.putManifest(APP, Reference.parse("latest"), MediaTypes.OCI_INDEX, index);
    Digest signature = pushByDigest(APP, image("signature of amd64", 1), subject(amd));
    Digest signatureOfSignature =
        pushByDigest(APP, image("countersignature", 1), subject(signature));
    Digest orphan = pushByDigest(APP, image("orphan", 1), "");
    Digest orphanSbom = pushByDigest(APP, image("sbom of orphan", 1), subject(orphan));
    storeClockMovesOn();

    GcStats stats = gc.run(now().withDeleteUntagged(true));

    for (Digest kept : List.of(amd, arm, signature, signatureOfSignature)) {
      assertPullsCompletely(APP, kept.toString());
    }
    assertThat(registry.referrers(APP, amd, Optional.empty()).manifests()).hasSize(1);
    assertRefused(() -> registry.getManifest(APP, orphan), ErrorCode.MANIFEST_UNKNOWN);
    assertRefused(() -> registry.getManifest(APP, orphanSbom), ErrorCode.MANIFEST_UNKNOWN);
    assertThat(registry.referrers(APP, orphan, Optional.empty()).manifests()).isEmpty();
    assertThat(stats.manifestsSwept()).isEqualTo(2);
    assertThat(stats.referrerEntriesSwept()).isEqualTo(1);
  }

  @Test
  void dryRunReportsTheSameSetAndDeletesNothing() throws Exception {
    Digest old = pushImage(APP, "v1", image("old", 2));
    pushImage(APP, "v1", image("new", 2));
    pushImage(OTHER, "x", image("other", 1));
    registry.deleteManifest(OTHER, Reference.parse("x"));
    storeClockMovesOn();
    List<String> before = store.list("", Optional.empty(), 10_000).keys();

    GcStats dry = gc.run(now().withDeleteUntagged(true).withDryRun(true));
    assertThat(store.list("", Optional.empty(), 10_000).keys()).isEqualTo(before);
    assertPullsCompletely(APP, old.toString());

    GcStats real = gc.run(now().withDeleteUntagged(true));
    assertThat(dry.items()).isNotEmpty();
    assertThat(Set.copyOf(real.items())).isEqualTo(Set.copyOf(dry.items()));
    assertThat(real.bytesFreed()).isEqualTo(dry.bytesFreed()).isPositive();
  }

  @Test
  void staleUploadSessionsExpireAndTheirWritesAreAborted() throws Exception {
    var upload = registry.startUpload(APP);
    registry.appendToUpload(
        APP,
        upload.id(),
        OptionalLong.empty(),
        new ByteArrayInputStream(new byte[halfALayerBytes()]),
        OptionalLong.empty());
    var young = registry.startUpload(APP);
    var cancelled = registry.startUpload(APP);
    registry.cancelUpload(APP, cancelled.id());
    var closed = registry.startUpload(APP);
    byte[] closedBlob = bytes("a blob whose session closed");
    registry.completeUpload(
        APP,
        closed.id(),
        Digest.sha256(closedBlob),
        OptionalLong.empty(),
        new ByteArrayInputStream(closedBlob),
        OptionalLong.empty());
    long pendingBefore = pendingMultipartWrites(store);
    if (pendingBefore >= 0) {
      assertThat(pendingBefore).as("the half layer is a multipart write in the store").isPositive();
    }

    GcStats kept = gc.run(now());
    assertThat(kept.uploadsExpired()).isZero();
    assertThat(registry.uploadStatus(APP, young.id()).offset()).isZero();

    GcStats stats = gc.run(now().withUploadExpiry(Duration.ZERO));
    boolean signed = upload.id().isSigned();
    // Plain ids: the session holding bytes, the young one's state and the closed one's (the
    // cancelled one's was deleted). Signed ids: the session holding bytes only, ended with a
    // cancelled state like the cancelled one's, both kept with the closed one's empty state until
    // their ids end (without a state, a signed id reads as a session just started); the young one
    // stores nothing and ends when its id does.
    assertThat(stats.uploadsExpired()).isEqualTo(signed ? 1 : 3);
    assertRefused(() -> registry.uploadStatus(APP, closed.id()), ErrorCode.BLOB_UPLOAD_UNKNOWN);
    assertRefused(() -> registry.uploadStatus(APP, upload.id()), ErrorCode.BLOB_UPLOAD_UNKNOWN);
    long pending = pendingMultipartWrites(store);
    if (pending >= 0) {
      assertThat(pending).isZero();
    }
    // The closed session's blob keeps its data object while it has a record that names one (no
    // manifest references it, so a sweep past its grace takes both).
    Optional<String> committedData =
        store
            .read(StorageLayout.keyOf(new StorageLayout.BlobRecordKey(Digest.sha256(closedBlob))))
            .map(StoredValues.BlobRecord::read)
            .flatMap(StoredValues.BlobRecord::dataKey)
            .map(StorageLayout::keyOf);
    assertThat(store.list("", Optional.empty(), 100).keys())
        .filteredOn(k -> k.startsWith(StorageLayout.dataPrefix()))
        .as("no data of an expired session")
        .isEqualTo(committedData.stream().toList());
    assertThat(store.list("", Optional.empty(), 100).keys())
        .filteredOn(k -> k.contains("/_uploads/"))
        .allSatisfy(
            k -> {
              assertThat(signed).isTrue();
              byte[] state = store.read(k).orElseThrow();
              assertThat(
                      UploadState.isClosedByItsLink(state) || UploadState.read(state).cancelled())
                  .as("%s ended", k)
                  .isTrue();
            });

    // Once the ids have ended, what is left of them goes.
    Clock afterTheIds =
        Clock.offset(Clock.systemUTC(), RegistryOptions.DEFAULT_UPLOAD_EXPIRY.plusHours(1));
    GcStats later = new GarbageCollector(store, afterTheIds).run(now());
    assertThat(later.uploadsExpired()).isEqualTo(signed ? 3 : 0);
    assertThat(store.list("", Optional.empty(), 100).keys())
        .noneMatch(k -> k.contains("/_uploads/"));
  }

  @Test
  void aLayerPushedBeforeItsManifestSurvivesTheGracePeriod() throws Exception {
    Digest layer = pushBlob(APP, bytes("a layer whose manifest comes later"));
    storeClockMovesOn();
    gc.run(now().withGrace(Duration.ofHours(1)));
    assertThat(blobExists(layer)).isTrue();
    assertThat(registry.statBlob(APP, layer).size()).isPositive();
  }

  // ---- the fence, deterministically ----------------------------------------------------------

  /** An unreferenced old layer, and a manifest that wants it. */
  private record Orphan(List<byte[]> blobs, Digest layer) {}

  private Orphan orphanLayer() throws IOException {
    List<byte[]> blobs = image("comes back", 1);
    pushBlob(APP, blobs.get(0));
    Digest layer = pushBlob(APP, blobs.get(1));
    storeClockMovesOn();
    return new Orphan(blobs, layer);
  }

  @Test
  void manifestPushMarkedBeforeTheIntentKeepsItsBlobs() throws Exception {
    Orphan o = orphanLayer();
    CountDownLatch gcMarked = new CountDownLatch(1);
    CountDownLatch pusherMarked = new CountDownLatch(1);
    CountDownLatch gcDone = new CountDownLatch(1);
    gc.setHooks(
        new GarbageCollector.SweepHooks() {
          @Override
          public void afterMark(Set<Digest> candidates) {
            assertThat(candidates).contains(o.layer());
            gcMarked.countDown();
            await(pusherMarked);
          }
        });
    registry
        .fence()
        .setHooks(
            (point, digests) -> {
              if (point == GcFence.Point.MARKED && digests.contains(o.layer())) {
                pusherMarked.countDown();
                await(gcDone);
              }
            });
    Future<GcStats> run = threads.submit(() -> gc.run(now()));
    await(gcMarked); // the run is announced: the pusher will see it and mark
    Future<Digest> push = threads.submit(() -> putManifest(APP, "v1", manifest(o.blobs(), "")));
    GcStats stats = get(run);
    gcDone.countDown();
    get(push);

    assertThat(stats.protectedByFence()).isGreaterThanOrEqualTo(2);
    assertThat(blobExists(o.layer())).isTrue();
    assertPullsCompletely(APP, "v1");
  }

  /** Counts {@code latch} down when a push waits for a sweeper's intent to settle. */
  private void countDownWhenAPusherWaits(CountDownLatch latch) {
    registry
        .fence()
        .setHooks(
            (point, digests) -> {
              if (point == GcFence.Point.WAITING_FOR_INTENT) {
                latch.countDown();
              }
            });
  }

  @Test
  void manifestPushMeetingAnIntentBeforeTheRecheckWaitsAndItsMarkKeepsTheBlob() throws Exception {
    Orphan o = orphanLayer();
    CountDownLatch intentsWritten = new CountDownLatch(1);
    CountDownLatch pusherWaiting = new CountDownLatch(1);
    gc.setHooks(
        new GarbageCollector.SweepHooks() {
          @Override
          public void afterIntents(Set<Digest> candidates) {
            intentsWritten.countDown();
            await(pusherWaiting);
          }
        });
    Future<GcStats> run = threads.submit(() -> gc.run(now()));
    await(intentsWritten);
    // A HEAD and a mount still say no (a client then uploads, which costs a retry, never data).
    assertRefused(() -> registry.statBlob(APP, o.layer()), ErrorCode.BLOB_UNKNOWN);
    assertThat(registry.mountBlob(OTHER, o.layer(), Optional.of(APP))).isEmpty();
    // A pull is served whatever the intents.
    assertThat(readAll(registry.openBlob(APP, o.layer(), Optional.empty())))
        .isEqualTo(o.blobs().get(1));
    countDownWhenAPusherWaits(pusherWaiting);
    // The manifest push waits for the sweep instead of failing; its marks came before the
    // sweeper's re-check, so the run keeps the layer and the push goes in.
    Future<Digest> push = threads.submit(() -> putManifest(APP, "v1", manifest(o.blobs(), "")));
    GcStats stats = get(run);
    get(push);
    assertThat(stats.protectedByFence()).isPositive();
    assertPullsCompletely(APP, "v1");
  }

  @Test
  void manifestPushMeetingAnIntentAfterTheRecheckIsRefusedOnlyOnceTheBlobIsGone() throws Exception {
    Orphan o = orphanLayer();
    CountDownLatch aboutToDelete = new CountDownLatch(1);
    CountDownLatch pusherWaiting = new CountDownLatch(1);
    gc.setHooks(
        new GarbageCollector.SweepHooks() {
          @Override
          public void beforeDelete(Set<Digest> doomed) {
            assertThat(doomed).contains(o.layer());
            aboutToDelete.countDown();
            await(pusherWaiting);
          }
        });
    Future<GcStats> run = threads.submit(() -> gc.run(now()));
    await(aboutToDelete);
    countDownWhenAPusherWaits(pusherWaiting);
    Future<Digest> push = threads.submit(() -> putManifest(APP, "v1", manifest(o.blobs(), "")));
    get(run);
    assertThatThrownBy(() -> get(push))
        .hasCauseInstanceOf(RegistryException.class)
        .cause()
        .satisfies(
            e ->
                assertThat(((RegistryException) e).code())
                    .isEqualTo(ErrorCode.MANIFEST_BLOB_UNKNOWN));
    assertThat(blobExists(o.layer())).as("refused because the run really deleted it").isFalse();

    // The client's retry: it uploads again (HEAD says unknown), then pushes the manifest.
    pushImage(APP, "v1", o.blobs());
    assertPullsCompletely(APP, "v1");
  }

  @Test
  void uploadCommittingDuringTheSweepWaitsAndItsFreshCopySurvives() throws Exception {
    Orphan o = orphanLayer();
    CountDownLatch aboutToDelete = new CountDownLatch(1);
    CountDownLatch commitWaiting = new CountDownLatch(1);
    gc.setHooks(
        new GarbageCollector.SweepHooks() {
          @Override
          public void beforeDelete(Set<Digest> doomed) {
            assertThat(doomed).contains(o.layer());
            aboutToDelete.countDown();
            await(commitWaiting);
          }
        });
    countDownWhenAPusherWaits(commitWaiting);
    Future<GcStats> run = threads.submit(() -> gc.run(now()));
    await(aboutToDelete);
    Future<Digest> upload = threads.submit(() -> pushBlob(APP, o.blobs().get(1)));
    get(run);
    get(upload);

    assertThat(blobExists(o.layer())).isTrue();
    byte[] content = readAll(registry.openBlob(APP, o.layer(), Optional.empty()));
    assertThat(Digest.sha256(content)).isEqualTo(o.layer());
    pushBlob(APP, o.blobs().get(0));
    putManifest(APP, "v1", manifest(o.blobs(), ""));
    assertPullsCompletely(APP, "v1");
  }

  @Test
  void headAndMountConfirmABlobWhileARunIsActive() throws Exception {
    Orphan o = orphanLayer();
    CountDownLatch marked = new CountDownLatch(1);
    CountDownLatch confirmed = new CountDownLatch(1);
    gc.setHooks(
        new GarbageCollector.SweepHooks() {
          @Override
          public void afterMark(Set<Digest> candidates) {
            marked.countDown();
            await(confirmed);
          }
        });
    Future<GcStats> run = threads.submit(() -> gc.run(now()));
    await(marked);
    assertThat(registry.statBlob(APP, o.layer()).digest()).isEqualTo(o.layer()); // HEAD marks
    confirmed.countDown();
    GcStats stats = get(run);
    assertThat(stats.protectedByFence()).isPositive();
    assertThat(blobExists(o.layer())).isTrue();
    pushBlob(APP, o.blobs().get(0));
    putManifest(APP, "v1", manifest(o.blobs(), ""));
    assertPullsCompletely(APP, "v1");
  }

  // ---- concurrency ---------------------------------------------------------------------------

  /**
   * Two instances on one store (two store clients, two registries, two collectors), pushers on both
   * pushing images that share a small pool of layers while tags move on (so layers keep becoming
   * unreferenced and wanted again), and both collectors looping until the pushers are done.
   * Afterwards every tagged image pulls completely and every blob verifies.
   *
   * <p>Meanwhile a puller pulls images of another repository whose tags never move and which share
   * the pool's layers, as a node pulls a base image while CI pushes: whenever a layer's link goes
   * dead in the pushers' repository, a run sweeps that link while the layer stays, and the pull
   * must not notice (zero failures). Every manifest push refused with {@code MANIFEST_BLOB_UNKNOWN}
   * must name a blob or link a run really swept.
   */
  @Test
  void pushersOnTwoInstancesAndLoopingCollectorsNeverLoseABlob() throws Exception {
    int pushers = 4;
    int pushesEach = pushesPerPusher();
    List<byte[]> pool = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      pool.add(bytes("shared layer " + i + " " + "x".repeat(i * 100)));
    }
    ObjectStore secondStore = openSameStore(store);
    StoreRegistry second = newRegistry(secondStore);
    GarbageCollector secondGc = new GarbageCollector(secondStore, Clock.systemUTC());
    AtomicInteger retries = new AtomicInteger();
    AtomicInteger pushed = new AtomicInteger();
    AtomicInteger swept = new AtomicInteger();
    AtomicInteger protectedByFence = new AtomicInteger();
    AtomicInteger stoodDown = new AtomicInteger();
    AtomicInteger inRun = new AtomicInteger(); // also the monitor a collector waits on
    AtomicBoolean done = new AtomicBoolean();
    // Cycles completed so far: pushers go on past their quota until the collectors have looped
    // enough, so a fast machine cannot finish the pushes before the GC has run its cycles (see
    // pushesPastQuota for how far).
    AtomicInteger cyclesSoFar = new AtomicInteger();
    AtomicInteger pushedDuringRuns = new AtomicInteger();
    List<Future<?>> work = new ArrayList<>();
    // Images that never move, sharing the pool's layers, pulled throughout from both instances.
    List<String> stableTags = new ArrayList<>();
    for (int s = 0; s < 3; s++) {
      List<byte[]> blobs = new ArrayList<>();
      blobs.add(bytes("{\"stable\":" + s + "}"));
      for (int l = 0; l < 4; l++) {
        blobs.add(pool.get((s * 4 + l) % pool.size()));
      }
      pushImage(OTHER, "stable-" + s, blobs);
      stableTags.add("stable-" + s);
      // Old images sharing the same layers, which retention untags in the first run.
      List<byte[]> old = new ArrayList<>(blobs);
      old.set(0, bytes("{\"old\":" + s + "}"));
      pushImage(OTHER, "old-" + s, old);
    }
    // Retention on: the stable images' old siblings lose their tags (and then their manifests),
    // and the pushers' repository is governed by a policy that keeps its tags and expires what is
    // untagged, instead of gc.delete_untagged.
    List<RetentionPolicy> retention =
        List.of(
            new RetentionPolicy(
                "old images",
                r -> r.equals(OTHER),
                List.of("old-*"),
                OptionalInt.of(0),
                Optional.empty(),
                Optional.empty(),
                Optional.of(Duration.ZERO)),
            new RetentionPolicy(
                "pushers",
                r -> r.equals(APP),
                List.of("p*"),
                OptionalInt.empty(),
                Optional.of(Duration.ofDays(1)),
                Optional.empty(),
                Optional.of(Duration.ZERO)));
    AtomicInteger pulls = new AtomicInteger();
    List<String> failedPulls = Collections.synchronizedList(new ArrayList<>());
    Set<String> refused = ConcurrentHashMap.newKeySet();
    Set<String> sweptForReal = ConcurrentHashMap.newKeySet();
    Future<?> puller =
        threads.submit(
            () -> {
              int n = 0;
              while (!done.get()) {
                StoreRegistry r = n % 2 == 0 ? registry : second;
                String tag = stableTags.get(n++ % stableTags.size());
                try {
                  pullAsAClientDoes(r, OTHER, tag);
                  pulls.incrementAndGet();
                } catch (RegistryException | IOException | AssertionError e) {
                  failedPulls.add(tag + ": " + e.getMessage());
                }
                // A node pulls now and then, not in a tight loop that would starve the collectors
                // on a
                // small machine: a few hundred pulls a second still overlap every phase of every
                // run.
                Thread.sleep(2);
              }
              return null;
            });
    try {
      for (int p = 0; p < pushers; p++) {
        int pusher = p;
        StoreRegistry r = p % 2 == 0 ? registry : second;
        work.add(
            threads.submit(
                () -> {
                  Random random = new Random(pusher);
                  int cyclesAtQuota = 0;
                  for (int i = 0; ; i++) {
                    if (i == pushesEach) {
                      cyclesAtQuota = cyclesSoFar.get();
                    }
                    if (i >= pushesEach
                        && !pushesPastQuota(
                            i - pushesEach, pushesEach, cyclesAtQuota, cyclesSoFar, inRun)) {
                      break;
                    }
                    List<byte[]> blobs = new ArrayList<>();
                    blobs.add(bytes("{\"pusher\":" + pusher + ",\"push\":" + i + "}"));
                    for (int l = 0; l < 3; l++) {
                      blobs.add(pool.get(random.nextInt(pool.size())));
                    }
                    byte[] body = manifest(blobs.stream().distinct().toList(), "");
                    String tag =
                        "p" + pusher + "-t" + (i % 4); // tags move on: older images become garbage
                    for (int attempt = 0; ; attempt++) {
                      for (byte[] b : blobs) {
                        Digest d = Digest.sha256(b);
                        try {
                          r.statBlob(APP, d); // HEAD first, as clients do
                        } catch (RegistryException e) {
                          r.putBlob(APP, d, new ByteArrayInputStream(b), OptionalLong.of(b.length));
                        }
                      }
                      try {
                        r.putManifest(APP, Reference.parse(tag), MediaTypes.OCI_MANIFEST, body);
                        pushed.incrementAndGet();
                        if (inRun.get() > 0) {
                          pushedDuringRuns.incrementAndGet();
                        }
                        break;
                      } catch (RegistryException e) {
                        if (e.code() != ErrorCode.MANIFEST_BLOB_UNKNOWN || attempt > 20) {
                          throw e;
                        }
                        retries.incrementAndGet();
                        if (e.detail() instanceof Map<?, ?> detail) {
                          refused.add(String.valueOf(detail.get("digest")));
                        }
                      }
                    }
                  }
                  return null;
                }));
      }
      List<Future<Integer>> collectors = new ArrayList<>();
      for (GarbageCollector collector : List.of(gc, secondGc)) {
        collectors.add(
            threads.submit(
                () -> {
                  int cycles = 0;
                  while (!done.get()) {
                    // Pushers' run cache has a zero TTL here; the delay is the margin the protocol
                    // assumes between a pusher's last check and its write (see the package docs): a
                    // pusher stalled longer than that between its manifest link and its tag may
                    // lose
                    // the manifest, so it must exceed what a busy 2-core machine stalls a thread.
                    inRun.incrementAndGet();
                    try {
                      GcStats stats =
                          collector.run(
                              now()
                                  .withDeleteUntagged(true)
                                  .withRetention(retention)
                                  .withFenceDelay(Duration.ofMillis(250)));
                      swept.addAndGet(stats.blobsSwept());
                      protectedByFence.addAndGet(stats.protectedByFence());
                      for (GcStats.SweptItem item : stats.items()) {
                        switch (item.kind()) {
                          case BLOB -> sweptForReal.add(item.what());
                          case LAYER_LINK, MANIFEST ->
                              sweptForReal.add(item.what().substring(item.what().indexOf('@') + 1));
                          default -> {}
                        }
                      }
                      cycles++;
                      cyclesSoFar.incrementAndGet();
                    } catch (GarbageCollector.AnotherRunActive e) {
                      stoodDown.incrementAndGet();
                    } finally {
                      synchronized (inRun) {
                        inRun.decrementAndGet();
                        inRun.notifyAll();
                      }
                    }
                    // While the other instance's run goes on, wait for it rather than spin; when it
                    // stood down too, go again at once.
                    synchronized (inRun) {
                      while (inRun.get() > 0 && !done.get()) {
                        inRun.wait(100);
                      }
                    }
                  }
                  return cycles;
                }));
      }
      // Pushes that meet a sweep wait for it to settle (instead of being refused), so with
      // collectors looping back to back a pusher spends much of its time waiting.
      for (Future<?> f : work) {
        f.get(10, TimeUnit.MINUTES);
      }
      done.set(true);
      get(puller);
      int cycles = 0;
      for (Future<Integer> c : collectors) {
        cycles += c.get(3, TimeUnit.MINUTES); // a run in flight finishes first
      }
      gc.run(now().withDeleteUntagged(true));

      int verified = 0;
      for (int p = 0; p < pushers; p++) {
        for (int t = 0; t < 4; t++) {
          assertPullsCompletely(APP, "p" + p + "-t" + t);
          assertPullsCompletely(second, APP, "p" + p + "-t" + t);
          verified++;
        }
      }
      Set<String> refusedButKept = new TreeSet<>(refused);
      refusedButKept.removeAll(sweptForReal);
      System.out.printf(
          "gc concurrency on %s: %d pushes through 2 instances (%d while a run was on), %d"
              + " refused with MANIFEST_BLOB_UNKNOWN and retried (%d distinct blobs, %d of them"
              + " never swept),"
              + " %d gc cycles completed from 2 instances (%d stood down for the other's run), %d"
              + " blobs swept, %d candidates protected by the fence, %d pulls of unchanged images"
              + " during the runs (%d failed), %d tagged images pulled and verified%n",
          getClass().getSimpleName(),
          pushed.get(),
          pushedDuringRuns.get(),
          retries.get(),
          refused.size(),
          refusedButKept.size(),
          cycles,
          stoodDown.get(),
          swept.get(),
          protectedByFence.get(),
          pulls.get(),
          failedPulls.size(),
          verified);
      assertThat(failedPulls).as("pulls of images whose tags never moved").isEmpty();
      assertThat(pulls.get()).as("the puller pulled while the collectors ran").isPositive();
      assertThat(refusedButKept).as("manifest pushes refused for blobs no run swept").isEmpty();
      for (String tag : stableTags) {
        assertPullsCompletely(OTHER, tag);
      }
      assertThat(registry.listTags(OTHER, 100, Optional.empty()).items())
          .as("retention untagged the old images")
          .containsExactlyElementsOf(stableTags);
      assertThat(pushed.get()).isGreaterThanOrEqualTo(pushers * pushesEach);
      assertThat(pushedDuringRuns.get()).as("pushes completed while a run was on").isPositive();
      assertThat(cycles).isGreaterThanOrEqualTo(minimumCycles());
      assertThat(swept.get()).as("the collectors did collect").isPositive();
    } finally {
      done.set(true);
      if (secondStore != store) {
        secondStore.close();
      }
    }
  }

  /** Pushes per pusher in the concurrency test (four pushers). */
  protected int pushesPerPusher() {
    return 100;
  }

  /**
   * Pushes a pusher in the concurrency test may make past its quota for each collector cycle, while
   * the collectors have not looped {@link #minimumCycles} times yet: unlimited by default (pushers
   * run free, up to twenty times their quota). A store whose every run is slow by design sets a
   * small number: unpaced pushers pile up garbage faster than such runs clear it, so each run has
   * more to list than the last and the test never reaches its cycles in time.
   */
  protected int extraPushesPerCycle() {
    return Integer.MAX_VALUE;
  }

  /**
   * Whether a pusher past its quota makes its extra push number {@code extra}: not once the
   * collectors have looped {@link #minimumCycles} times or the pusher has made twenty times its
   * quota; otherwise when it has made fewer than {@link #extraPushesPerCycle} extra pushes for each
   * cycle begun since it reached its quota, waiting for the next cycle to end when it has not.
   */
  private boolean pushesPastQuota(
      int extra, int quota, int cyclesAtQuota, AtomicInteger cyclesSoFar, Object cycleEnded)
      throws InterruptedException {
    synchronized (cycleEnded) {
      while (true) {
        int cycles = cyclesSoFar.get();
        if (cycles >= minimumCycles() || extra >= 19 * quota) {
          return false;
        }
        if (extra < (long) extraPushesPerCycle() * (1 + cycles - cyclesAtQuota)) {
          return true;
        }
        cycleEnded.wait(100);
      }
    }
  }

  /** Collector cycles the concurrency test must reach, summed over both instances. */
  protected int minimumCycles() {
    return 24;
  }

  /** A second client of the same store, as another instance would open it. */
  protected ObjectStore openSameStore(ObjectStore store) throws Exception {
    return store;
  }

  // ---- interruption ---------------------------------------------------------------------------

  @Test
  void aRunKilledAfterItsIntentsBlocksNobodyForLongAndARestartedRunLosesNothing() throws Exception {
    Digest kept = pushImage(APP, "v1", image("kept", 2));
    Orphan o = orphanLayer();
    Digest garbage = pushBlob(APP, bytes("truly garbage"));
    storeClockMovesOn();
    CrashingStore dying = CrashingStore.counting(store);
    GarbageCollector doomedRun = new GarbageCollector(dying, Clock.systemUTC());
    doomedRun.setHooks(
        new GarbageCollector.SweepHooks() {
          @Override
          public void afterIntents(Set<Digest> candidates) {
            assertThat(candidates).contains(o.layer(), garbage);
            dying.crashNow("after the intents"); // the process is gone: not one more store call
          }
        });
    Duration intentTtl = Duration.ofSeconds(2);
    assertThatThrownBy(() -> doomedRun.run(now().withIntentTtl(intentTtl)))
        .satisfies(
            e -> {
              boolean crashed = false;
              for (Throwable t = e; t != null; t = t.getCause()) {
                crashed |= t instanceof CrashingStore.Crash;
              }
              assertThat(crashed).as("the run died with its store: %s", e).isTrue();
            });
    assertThat(store.list(StorageLayout.gcIntentsPrefix(), Optional.empty(), 10).keys())
        .as("the dead run's intents")
        .isNotEmpty();
    assertThat(store.list(StorageLayout.gcRunsPrefix(), Optional.empty(), 10).keys())
        .as("the dead run's announcement")
        .hasSize(1);

    // A client pushes an image that wants the layer the dead run intended to delete: HEAD says
    // unknown, the upload waits out the intent's deadline, the manifest goes in.
    assertRefused(() -> registry.statBlob(APP, o.layer()), ErrorCode.BLOB_UNKNOWN);
    for (byte[] b : o.blobs()) {
      pushBlob(APP, b);
    }
    putManifest(APP, "v2", manifest(o.blobs(), ""));

    long deadline = System.nanoTime() + WAIT.toNanos();
    while (registry.fence().intended(garbage) || registry.fence().runActive()) {
      assertThat(System.nanoTime())
          .as("the dead run's intents and lease lapse")
          .isLessThan(deadline);
      Thread.onSpinWait();
    }
    storeClockMovesOn();
    GcStats restarted = gc.run(now().withIntentTtl(intentTtl));

    assertPullsCompletely(APP, "v1");
    assertPullsCompletely(APP, "v2");
    assertPullsCompletely(APP, kept.toString());
    assertThat(blobExists(garbage)).as("the restarted run finishes the job").isFalse();
    assertThat(restarted.blobsSwept()).isGreaterThanOrEqualTo(1);
    assertThat(store.list(StorageLayout.gcIntentsPrefix(), Optional.empty(), 10).keys()).isEmpty();
  }

  @Test
  void aRunLongerThanItsLeaseStaysVisibleToPushersAndItsObjectGoesWithIt() throws Exception {
    orphanLayer();
    Duration intentTtl = Duration.ofSeconds(1); // the lease is at most intent TTL plus grace
    AtomicInteger checks = new AtomicInteger();
    gc.setHooks(
        new GarbageCollector.SweepHooks() {
          @Override
          public void afterMark(Set<Digest> candidates) {
            long until = System.nanoTime() + intentTtl.multipliedBy(3).toNanos();
            while (System.nanoTime() < until) {
              assertThat(registry.fence().runActive()).as("the run, past its first lease").isTrue();
              checks.incrementAndGet();
              Thread.onSpinWait();
            }
          }
        });
    GcStats stats = gc.run(now().withIntentTtl(intentTtl));
    assertThat(checks.get()).isPositive();
    assertThat(stats.blobsSwept()).as("a long run still sweeps: its lease is healthy").isEqualTo(2);
    assertThat(registry.fence().runActive()).isFalse();
    assertThat(store.list(StorageLayout.gcRunsPrefix(), Optional.empty(), 10).keys()).isEmpty();
  }
}
