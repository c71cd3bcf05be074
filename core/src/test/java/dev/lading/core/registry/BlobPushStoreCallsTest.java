package dev.lading.core.registry;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StoredValues;
import dev.lading.core.layout.StoredValues.UploadState;
import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.ObjectWrite;
import dev.lading.core.storage.fs.FilesystemStore;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a blob push costs the store: starting a session writes its state and nothing else; a small
 * blob that comes whole (a session's closing {@code PUT}, a monolithic {@code POST}) is checked and
 * stored as one object; a larger one streams through one multipart write whose token the session
 * saves before the bytes go in.
 */
class BlobPushStoreCallsTest {
  private static final RepositoryName REPO = RepositoryName.parse("team/app");

  @TempDir Path dir;

  private StoreCallCounter store;
  private StoreRegistry registry;

  @BeforeEach
  void openRegistry() throws Exception {
    store = new StoreCallCounter(new FilesystemStore(dir.resolve("root")));
    registry =
        new StoreRegistry(store, RegistryOptions.defaults(), GcFence.of(store, Clock.systemUTC()));
  }

  @Test
  void aSessionStartStoresNothing() throws Exception {
    registry.startUpload(REPO); // the first start reads (here: creates) the store's signing key
    store.clear();

    UploadStatus session = registry.startUpload(REPO);

    assertThat(counts()).as("no store call at all").isEmpty();
    assertThat(registry.uploadStatus(REPO, session.id()).offset()).isZero();
  }

  @Test
  void aSessionStartBeforeLayoutThreeWritesOnlyItsState() throws Exception {
    registry =
        new StoreRegistry(
            store,
            RegistryOptions.defaults().withStoreLayout(2),
            GcFence.of(store, Clock.systemUTC()));

    registry.startUpload(REPO);

    assertThat(counts()).isEqualTo(Map.of("write", 1));
  }

  @Test
  void aClosingPutWithAllOfASmallBlobStoresItInItsRecord() throws Exception {
    byte[] blob = "a small layer".getBytes(UTF_8);
    Digest digest = Digest.sha256(blob);
    UploadStatus session = registry.startUpload(REPO);
    store.clear();

    BlobInfo pushed = close(session, digest, blob, 13);

    assertThat(pushed).isEqualTo(new BlobInfo(digest, blob.length));
    Map<String, Integer> calls = counts();
    System.out.printf("closing PUT of a %d-byte blob: %s%n", blob.length, new TreeMap<>(calls));
    // One batch: the record holding the bytes (create-if-absent), the link, and the completed
    // session, which a crash may revert (UploadSessions.complete says why that is safe).
    assertThat(calls)
        .containsEntry("writeAll", 1)
        .doesNotContainKeys(
            "write", "writeIfAbsent", "writeRevertible", "startMultipart", "resumeMultipart");
    assertThat(store.batches.getFirst())
        .extracting(ObjectWrite::mode)
        .containsExactly(
            ObjectWrite.Mode.IF_ABSENT, ObjectWrite.Mode.REPLACE, ObjectWrite.Mode.REVERTIBLE);
    assertThat(store.batches.getFirst())
        .extracting(ObjectWrite::key)
        .containsExactly(
            StorageLayout.keyOf(new StorageLayout.BlobRecordKey(digest)),
            StorageLayout.keyOf(new StorageLayout.LayerLinkKey(REPO, digest)),
            StorageLayout.keyOf(new StorageLayout.UploadStateKey(REPO, session.id())));
    assertThat(store.batches.getFirst())
        .extracting(ObjectWrite::withPrevious)
        .as("the session's end goes alongside the link, after the record")
        .containsExactly(false, false, true);
    assertThat(store.statted)
        .as("a close whose bytes go into the record never looks at the data key")
        .noneMatch(key -> key.startsWith(StorageLayout.dataPrefix()));
    assertThat(store.list(StorageLayout.dataPrefix(), Optional.empty(), 10).keys()).isEmpty();
    assertThat(registry.statBlob(REPO, digest).size()).isEqualTo(blob.length);
  }

  @Test
  void onAStoreOfRoundTripsASmallCloseWritesRecordAndSessionEndInOneRoundThenTheLink()
      throws Exception {
    MeetingStore meeting = new MeetingStore(new FilesystemStore(dir.resolve("meeting")));
    StoreCallCounter counted = new StoreCallCounter(meeting);
    StoreRegistry onRoundTrips =
        new StoreRegistry(
            counted, RegistryOptions.defaults(), GcFence.of(counted, Clock.systemUTC()));
    onRoundTrips.fence().runActive(); // a warm run cache, as on a server up a while
    byte[] blob = "a small layer".getBytes(UTF_8);
    Digest digest = Digest.sha256(blob);
    UploadStatus session = onRoundTrips.startUpload(REPO);
    String recordKey = StorageLayout.keyOf(new StorageLayout.BlobRecordKey(digest));
    String stateKey = StorageLayout.keyOf(new StorageLayout.UploadStateKey(REPO, session.id()));
    meeting.armWrites(Set.of(recordKey, stateKey));
    counted.clear();

    BlobInfo pushed = closeOn(onRoundTrips, session, digest, blob);

    assertThat(meeting.met()).as("record and session end in flight at once").isTrue();
    assertThat(counted.calls).as("the session's state is not read").doesNotContainKey("read");
    assertThat(counted.batches).hasSize(1);
    assertThat(counted.batches.getFirst())
        .extracting(ObjectWrite::key, ObjectWrite::mode, ObjectWrite::withPrevious)
        .containsExactly(
            tuple(recordKey, ObjectWrite.Mode.IF_ABSENT, false),
            tuple(stateKey, ObjectWrite.Mode.IF_ABSENT, true));
    assertThat(counted.calls.get("write").get()).as("then the link").isEqualTo(1);
    assertThat(pushed).isEqualTo(new BlobInfo(digest, blob.length));
    assertThat(onRoundTrips.statBlob(REPO, digest).size()).isEqualTo(blob.length);
    assertThatThrownBy(() -> onRoundTrips.uploadStatus(REPO, session.id()))
        .isInstanceOfSatisfying(
            RegistryException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.BLOB_UPLOAD_UNKNOWN));
    // A retried close (its 201 lost) finds the session closed by its link and the blob linked.
    meeting.arm(Set.of());
    assertThat(closeOn(onRoundTrips, session, digest, blob)).isEqualTo(pushed);
  }

  @Test
  void onAStoreOfRoundTripsASmallCloseOfASessionWithAStoredStateIsAnsweredFromIt()
      throws Exception {
    ObjectStore remote = new RoundTripStore(new FilesystemStore(dir.resolve("remote")));
    StoreRegistry onRoundTrips =
        new StoreRegistry(
            remote, RegistryOptions.defaults(), GcFence.of(remote, Clock.systemUTC()));
    byte[] blob = "a small layer".getBytes(UTF_8);
    Digest digest = Digest.sha256(blob);

    // Cancelled: the whole blob with the right digest is still refused, and nothing is linked.
    UploadStatus cancelled = onRoundTrips.startUpload(REPO);
    onRoundTrips.cancelUpload(REPO, cancelled.id());
    assertThatThrownBy(() -> closeOn(onRoundTrips, cancelled, digest, blob))
        .isInstanceOfSatisfying(
            RegistryException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.BLOB_UPLOAD_UNKNOWN));
    assertThatThrownBy(() -> onRoundTrips.statBlob(REPO, digest))
        .isInstanceOfSatisfying(
            RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BLOB_UNKNOWN));

    // Bytes received before: the whole blob again makes the session's data longer than the blob.
    UploadStatus patched = onRoundTrips.startUpload(REPO);
    onRoundTrips.appendToUpload(
        REPO,
        patched.id(),
        OptionalLong.empty(),
        new ByteArrayInputStream(blob, 0, 5),
        OptionalLong.of(5));
    assertThatThrownBy(() -> closeOn(onRoundTrips, patched, digest, blob))
        .isInstanceOfSatisfying(
            RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_INVALID));
    assertThatThrownBy(() -> onRoundTrips.statBlob(REPO, digest))
        .isInstanceOfSatisfying(
            RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BLOB_UNKNOWN));

    // Bytes received before and the rest in the close: the session's bytes are the blob.
    UploadStatus resumed = onRoundTrips.startUpload(REPO);
    onRoundTrips.appendToUpload(
        REPO,
        resumed.id(),
        OptionalLong.empty(),
        new ByteArrayInputStream(blob, 0, 5),
        OptionalLong.of(5));
    assertThat(
            onRoundTrips.completeUpload(
                REPO,
                resumed.id(),
                digest,
                OptionalLong.of(5),
                new ByteArrayInputStream(blob, 5, blob.length - 5),
                OptionalLong.of(blob.length - 5)))
        .isEqualTo(new BlobInfo(digest, blob.length));
    assertThat(onRoundTrips.statBlob(REPO, digest).size()).isEqualTo(blob.length);
  }

  private static BlobInfo closeOn(
      StoreRegistry registry, UploadStatus session, Digest digest, byte[] blob) {
    return registry.completeUpload(
        REPO,
        session.id(),
        digest,
        OptionalLong.empty(),
        new ByteArrayInputStream(blob),
        OptionalLong.of(blob.length));
  }

  @Test
  void aClosingPutOfASmallBlobTooLargeForItsRecordFirstLooksForDataACrashedCloseLeft()
      throws Exception {
    byte[] blob = new byte[StoredValues.BlobRecord.INLINE_MAX_BYTES + 1];
    new Random(11).nextBytes(blob);
    Digest digest = Digest.sha256(blob);
    UploadStatus session = registry.startUpload(REPO);
    store.clear();

    close(session, digest, blob, blob.length);

    // The data key is written by this close, so an object there is what an earlier close of
    // this session completed (UploadSessions.complete): it is looked for first.
    assertThat(store.statted.stream().filter(k -> k.startsWith(StorageLayout.dataPrefix())))
        .hasSize(1);
    assertThat(store.list(StorageLayout.dataPrefix(), Optional.empty(), 10).keys()).hasSize(1);
    assertThat(registry.statBlob(REPO, digest).size()).isEqualTo(blob.length);
  }

  @Test
  void aLargerBlobStreamsThroughOneMultipartWriteTheSessionNamesBeforeItsBytes() throws Exception {
    byte[] blob = new byte[BodyCopier.SMALL_BODY_BYTES + 1];
    new Random(7).nextBytes(blob);
    Digest digest = Digest.sha256(blob);
    UploadStatus session = registry.startUpload(REPO);
    store.clear();

    close(session, digest, blob, blob.length);

    // Started, its token saved in the session, resumed for the bytes: a cancel or an expiry
    // of the session can always abort a write that holds bytes.
    assertThat(counts()).containsEntry("startMultipart", 1).containsEntry("resumeMultipart", 1);
    assertThat(registry.statBlob(REPO, digest).size()).isEqualTo(blob.length);
  }

  @Test
  void aSmallBlobThatIsNotItsDigestLeavesNothingAndEndsTheSession() throws Exception {
    byte[] blob = "a small layer".getBytes(UTF_8);
    UploadStatus session = registry.startUpload(REPO);

    assertRefused(
        () -> close(session, Digest.sha256("other".getBytes(UTF_8)), blob, blob.length),
        ErrorCode.DIGEST_INVALID);
    assertThat(store.list("", Optional.empty(), 10).keys())
        .as("the store's signing key and the session's end, nothing of the blob")
        .containsExactlyInAnyOrder(
            "auth/url-signing-key",
            StorageLayout.keyOf(new StorageLayout.UploadStateKey(REPO, session.id())));
    assertCancelled(session);
    assertRefused(() -> registry.uploadStatus(REPO, session.id()), ErrorCode.BLOB_UPLOAD_UNKNOWN);
    assertRefused(
        () -> close(session, Digest.sha256(blob), blob, blob.length),
        ErrorCode.BLOB_UPLOAD_UNKNOWN);
  }

  @Test
  void aSmallBodyShorterThanDeclaredIsRefusedAndTheSessionStays() throws Exception {
    byte[] blob = "a small layer".getBytes(UTF_8);
    UploadStatus session = registry.startUpload(REPO);

    assertRefused(
        () -> close(session, Digest.sha256(blob), blob, blob.length + 1), ErrorCode.SIZE_INVALID);
    assertThat(registry.uploadStatus(REPO, session.id()).offset()).isZero();
    close(session, Digest.sha256(blob), blob, blob.length);
    assertThat(registry.statBlob(REPO, Digest.sha256(blob)).size()).isEqualTo(blob.length);
  }

  @Test
  void aMonolithicPushOfASmallBlobStoresItInOneWrite() throws Exception {
    byte[] blob = "a config".getBytes(UTF_8);

    registry.putBlob(REPO, Digest.sha256(blob), body(blob), OptionalLong.of(blob.length));

    assertThat(counts()).doesNotContainKeys("startMultipart", "resumeMultipart");
    assertThat(registry.statBlob(REPO, Digest.sha256(blob)).size()).isEqualTo(blob.length);
  }

  @Test
  void aSessionCancelledBeforeAnyBytesIsGone() throws Exception {
    UploadStatus session = registry.startUpload(REPO);

    registry.cancelUpload(REPO, session.id());

    assertThat(store.calls).doesNotContainKeys("startMultipart", "resumeMultipart");
    assertCancelled(session);
    assertRefused(() -> registry.uploadStatus(REPO, session.id()), ErrorCode.BLOB_UPLOAD_UNKNOWN);
    byte[] blob = "a small layer".getBytes(UTF_8);
    assertRefused(
        () -> close(session, Digest.sha256(blob), blob, blob.length),
        ErrorCode.BLOB_UPLOAD_UNKNOWN);
    assertRefused(() -> registry.cancelUpload(REPO, session.id()), ErrorCode.BLOB_UPLOAD_UNKNOWN);
  }

  /**
   * A session with a signed id ends with a state that says so: with none, its id would read as a
   * session just started.
   */
  private void assertCancelled(UploadStatus session) throws Exception {
    assertThat(session.id().isSigned()).isTrue();
    assertThat(
            store.read(StorageLayout.keyOf(new StorageLayout.UploadStateKey(REPO, session.id()))))
        .hasValueSatisfying(b -> assertThat(UploadState.read(b).cancelled()).isTrue());
  }

  /** The closing PUT of {@code session} with all of {@code blob} and a declared length. */
  private BlobInfo close(UploadStatus session, Digest digest, byte[] blob, long declared) {
    return registry.completeUpload(
        REPO, session.id(), digest, OptionalLong.empty(), body(blob), OptionalLong.of(declared));
  }

  private static void assertRefused(Runnable call, ErrorCode code) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(code));
  }

  private static InputStream body(byte[] bytes) {
    return new ByteArrayInputStream(bytes);
  }

  private Map<String, Integer> counts() {
    return store.calls.entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().get()));
  }
}
