package dev.lading.core.registry;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.BlobRecordKey;
import dev.lading.core.layout.StorageLayout.UploadStateKey;
import dev.lading.core.layout.StoredValues;
import dev.lading.core.layout.StoredValues.BlobRecord;
import dev.lading.core.layout.StoredValues.UploadState;
import dev.lading.core.model.ByteRange;
import dev.lading.core.model.Digest;
import dev.lading.core.model.DigestAlgorithm;
import dev.lading.core.model.MediaTypes;
import dev.lading.core.model.Reference;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import dev.lading.core.model.UploadId;
import dev.lading.core.storage.AllKeys;
import dev.lading.core.storage.BlobSource;
import dev.lading.core.storage.ObjectStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The registry's behaviour over a real store (shipped in core's test-jar, so every store runs it):
 * uploads in all their shapes, mounts, the four manifest formats, tags, deletes, discovery and
 * referrers.
 */
public abstract class RegistryContract {
  protected static final RepositoryName REPO = RepositoryName.parse("team/app");
  protected static final RepositoryName OTHER = RepositoryName.parse("team/other");

  /** A new, empty store. */
  protected abstract ObjectStore newStore() throws Exception;

  /** Another instance over the same storage, as another process would open it. */
  protected abstract ObjectStore reopen(ObjectStore store) throws Exception;

  /** Multipart writes not completed nor aborted, when the store can tell; -1 otherwise. */
  protected long pendingMultipartWrites(ObjectStore store) throws Exception {
    return -1;
  }

  protected ObjectStore store;
  protected StoreRegistry registry;

  /**
   * The options every registry of the contract starts from: small blobs kept in their records, as
   * in a store of layout version 2; a subclass runs the contract on version 1's two objects.
   */
  protected RegistryOptions options() {
    return RegistryOptions.defaults();
  }

  @BeforeEach
  void openRegistry() throws Exception {
    store = newStore();
    registry = new StoreRegistry(store, options());
  }

  @AfterEach
  void closeStore() throws Exception {
    store.close();
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** {@code text} padded to one byte more than a blob record holds inline: a data object. */
  protected static byte[] pastInline(String text) {
    byte[] bytes = Arrays.copyOf(bytes(text), BlobRecord.INLINE_MAX_BYTES + 1);
    Arrays.fill(bytes, text.length(), bytes.length, (byte) '.');
    return bytes;
  }

  protected static InputStream body(byte[] bytes) {
    return new ByteArrayInputStream(bytes);
  }

  protected static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  protected Digest pushBlob(RepositoryName repo, byte[] content) {
    Digest digest = Digest.sha256(content);
    registry.putBlob(repo, digest, body(content), OptionalLong.of(content.length));
    return digest;
  }

  /** Every byte of {@code content}, whichever source the store handed out; closes it. */
  public static byte[] readAll(BlobContent content) throws IOException {
    try (content) {
      BlobSource source = content.source();
      return switch (source) {
        case BlobSource.FileSource f -> {
          ByteBuffer buffer = ByteBuffer.allocate((int) f.length());
          long position = f.offset();
          while (buffer.hasRemaining() && f.channel().read(buffer, position) > 0) {
            position = f.offset() + buffer.position();
          }
          yield buffer.array();
        }
        case BlobSource.StreamSource s -> s.stream().readNBytes((int) s.length());
      };
    }
  }

  protected List<String> dataKeys() throws IOException {
    return store.list(StorageLayout.dataPrefix(), Optional.empty(), 1000).keys();
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

  /** Pushes a config and one layer and returns an OCI image manifest over them. */
  protected byte[] ociManifest(RepositoryName repo, String extra) {
    byte[] config = bytes("{\"architecture\":\"amd64\"}");
    byte[] layer = bytes("layer of " + repo + extra);
    Digest c = pushBlob(repo, config);
    Digest l = pushBlob(repo, layer);
    return bytes(
        "{\"schemaVersion\":2,\"mediaType\":\""
            + MediaTypes.OCI_MANIFEST
            + "\","
            + "\"config\":"
            + descriptor("application/vnd.oci.image.config.v1+json", c, config.length)
            + ",\"layers\":["
            + descriptor("application/vnd.oci.image.layer.v1.tar+gzip", l, layer.length)
            + "]"
            + extra
            + "}");
  }

  protected Digest putManifest(RepositoryName repo, String reference, byte[] manifest) {
    return registry
        .putManifest(repo, Reference.parse(reference), MediaTypes.OCI_MANIFEST, manifest)
        .digest();
  }

  protected static void assertRefused(Runnable call, ErrorCode code) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(code));
  }

  /** Bytes generated on the fly, never held whole, with their SHA-256 known at the end. */
  protected static final class GeneratedBody extends InputStream {
    private final long size;
    private long produced;
    private final MessageDigest sha = DigestAlgorithm.SHA256.newMessageDigest();

    GeneratedBody(long size) {
      this.size = size;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (produced >= size) {
        return -1;
      }
      int n = (int) Math.min(len, size - produced);
      for (int i = 0; i < n; i++) {
        long p = produced + i;
        b[off + i] = (byte) (p * 2654435761L >>> 13);
      }
      sha.update(b, off, n);
      produced += n;
      return n;
    }

    Digest digest() {
      return Digest.of(DigestAlgorithm.SHA256, sha.digest());
    }

    static byte[] bytesAt(long from, int count) {
      byte[] out = new byte[count];
      for (int i = 0; i < count; i++) {
        out[i] = (byte) ((from + i) * 2654435761L >>> 13);
      }
      return out;
    }
  }

  // ---- blobs and uploads --------------------------------------------------------------------

  @Test
  void monolithicUploadIsLinkedAndReadable() throws Exception {
    byte[] content = bytes("a small blob");
    Digest digest = pushBlob(REPO, content);
    assertThat(registry.statBlob(REPO, digest)).isEqualTo(new BlobInfo(digest, content.length));
    assertThat(readAll(registry.openBlob(REPO, digest, Optional.empty()))).isEqualTo(content);
    assertThat(readAll(registry.openBlob(REPO, digest, Optional.of(new ByteRange(2, 6)))))
        .isEqualTo(bytes("small"));
    assertRefused(() -> registry.statBlob(OTHER, digest), ErrorCode.BLOB_UNKNOWN);
  }

  @Test
  void committedBlobsLieInTheirShards() throws Exception {
    Digest monolithic = pushBlob(REPO, pastInline("pushed whole"));
    UploadId id = registry.startUpload(REPO).id();
    byte[] chunked = pastInline("pushed in a session");
    Digest sessioned = Digest.sha256(chunked);
    registry.completeUpload(
        REPO, id, sessioned, OptionalLong.empty(), body(chunked), OptionalLong.empty());
    for (Digest digest : List.of(monolithic, sessioned)) {
      String hex = digest.hex();
      assertThat(store.stat("blobs/sha256/" + hex.substring(0, 2) + "/" + hex)).as(hex).isPresent();
      assertThat(store.stat("blobs/sha256/" + hex)).as(hex).isEmpty();
    }
    assertThat(dataKeys())
        .hasSize(2)
        .allSatisfy(
            key ->
                assertThat(key)
                    .matches(
                        "data/([0-9a-f]{2})/\\1[0-9a-f]{6}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"));
  }

  @Test
  void rangeOutsideTheBlobIsRefused() {
    Digest digest = pushBlob(REPO, bytes("0123"));
    assertThatThrownBy(() -> registry.openBlob(REPO, digest, Optional.of(new ByteRange(2, 4))))
        .isInstanceOfSatisfying(
            RegistryException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.RANGE_NOT_SATISFIABLE);
              assertThat(e.headers()).containsEntry("Content-Range", "bytes */4");
            });
  }

  @Test
  void emptyBlobCanBePushed() {
    Digest digest = pushBlob(REPO, new byte[0]);
    assertThat(registry.statBlob(REPO, digest).size()).isZero();
  }

  @Test
  void chunkedUploadCommitsEveryChunk() throws Exception {
    byte[] content = bytes("first-second-third");
    UploadStatus started = registry.startUpload(REPO);
    assertThat(started.offset()).isZero();
    UploadId id = started.id();
    assertThat(
            registry
                .appendToUpload(
                    REPO, id, OptionalLong.of(0), body(bytes("first-")), OptionalLong.of(6))
                .offset())
        .isEqualTo(6);
    assertThat(
            registry
                .appendToUpload(
                    REPO, id, OptionalLong.empty(), body(bytes("second-")), OptionalLong.empty())
                .offset())
        .isEqualTo(13);
    assertThat(registry.uploadStatus(REPO, id).offset()).isEqualTo(13);
    Digest digest = Digest.sha256(content);
    BlobInfo info =
        registry.completeUpload(
            REPO, id, digest, OptionalLong.of(13), body(bytes("third")), OptionalLong.of(5));
    assertThat(info).isEqualTo(new BlobInfo(digest, content.length));
    assertThat(readAll(registry.openBlob(REPO, digest, Optional.empty()))).isEqualTo(content);
    assertRefused(() -> registry.uploadStatus(REPO, id), ErrorCode.BLOB_UPLOAD_UNKNOWN);
  }

  @Test
  void uploadContinuesInANewRegistryInstance() throws Exception {
    byte[] content = bytes("started here, finished elsewhere");
    UploadId id = registry.startUpload(REPO).id();
    registry.appendToUpload(
        REPO, id, OptionalLong.of(0), body(Arrays.copyOf(content, 13)), OptionalLong.empty());
    try (ObjectStore other = reopen(store)) {
      StoreRegistry elsewhere = new StoreRegistry(other, options());
      assertThat(elsewhere.uploadStatus(REPO, id).offset()).isEqualTo(13);
      Digest digest = Digest.sha256(content);
      elsewhere.completeUpload(
          REPO,
          id,
          digest,
          OptionalLong.of(13),
          body(Arrays.copyOfRange(content, 13, content.length)),
          OptionalLong.empty());
      assertThat(readAll(elsewhere.openBlob(REPO, digest, Optional.empty()))).isEqualTo(content);
    }
  }

  /** A session that received nothing yet (stored nothing, with a signed id) goes on elsewhere. */
  @Test
  void aSessionStartedOnOneInstanceIsClosedOnAnother() throws Exception {
    byte[] content = bytes("started here, all sent elsewhere");
    UploadId id = registry.startUpload(REPO).id();
    try (ObjectStore other = reopen(store)) {
      StoreRegistry elsewhere = new StoreRegistry(other, options());
      assertThat(elsewhere.uploadStatus(REPO, id).offset()).isZero();
      Digest digest = Digest.sha256(content);
      elsewhere.completeUpload(
          REPO, id, digest, OptionalLong.empty(), body(content), OptionalLong.empty());
      assertThat(readAll(elsewhere.openBlob(REPO, digest, Optional.empty()))).isEqualTo(content);
    }
    assertRefused(() -> registry.uploadStatus(REPO, id), ErrorCode.BLOB_UPLOAD_UNKNOWN);
  }

  /**
   * An upload id no instance issued for this repository names nothing: every request on it is
   * {@code BLOB_UPLOAD_UNKNOWN} and stores nothing. For a signed id: a wrong signature, another
   * UUID under a real signature (a client must not choose the data key a session writes), and a
   * real id used in another repository.
   */
  @Test
  void anUploadIdNoInstanceIssuedIsUnknownAndStoresNothing() throws Exception {
    UploadId issued = registry.startUpload(REPO).id();
    List<UploadId> foreign = new ArrayList<>(List.of(UploadId.random()));
    if (issued.isSigned()) {
      UploadId.Signed parts = issued.signed().orElseThrow();
      String times = parts.start() + "." + parts.end() + ".";
      foreign.add(UploadId.parse(parts.uuid() + "." + times + "0".repeat(32)));
      foreign.add(UploadId.parse(UUID.randomUUID() + "." + times + parts.signature()));
    }
    List<String> before = AllKeys.under(store, "");
    byte[] content = bytes("sent to an unknown session");
    Digest digest = Digest.sha256(content);
    for (UploadId id : foreign) {
      assertRefused(() -> registry.uploadStatus(REPO, id), ErrorCode.BLOB_UPLOAD_UNKNOWN);
      assertRefused(
          () ->
              registry.appendToUpload(
                  REPO, id, OptionalLong.of(0), body(content), OptionalLong.empty()),
          ErrorCode.BLOB_UPLOAD_UNKNOWN);
      assertRefused(
          () ->
              registry.completeUpload(
                  REPO, id, digest, OptionalLong.empty(), body(content), OptionalLong.empty()),
          ErrorCode.BLOB_UPLOAD_UNKNOWN);
      assertRefused(() -> registry.cancelUpload(REPO, id), ErrorCode.BLOB_UPLOAD_UNKNOWN);
    }
    assertRefused(() -> registry.uploadStatus(OTHER, issued), ErrorCode.BLOB_UPLOAD_UNKNOWN);
    assertRefused(
        () ->
            registry.completeUpload(
                OTHER, issued, digest, OptionalLong.empty(), body(content), OptionalLong.empty()),
        ErrorCode.BLOB_UPLOAD_UNKNOWN);
    assertThat(AllKeys.under(store, "")).isEqualTo(before);
    assertThat(registry.uploadStatus(REPO, issued).offset()).as("the real one still").isZero();
  }

  @Test
  void uploadWithoutSavedHashStateIsHashedByRereading() throws Exception {
    StoreRegistry slow = new StoreRegistry(store, options().withResumableHashing(false));
    byte[] content = bytes("the fallback re-reads these bytes at commit");
    UploadId id = slow.startUpload(REPO).id();
    slow.appendToUpload(
        REPO, id, OptionalLong.empty(), body(Arrays.copyOf(content, 10)), OptionalLong.empty());
    slow.appendToUpload(
        REPO,
        id,
        OptionalLong.empty(),
        body(Arrays.copyOfRange(content, 10, 20)),
        OptionalLong.empty());
    Digest digest = Digest.sha256(content);
    // A resumable instance picks up the session that has no hash state and still verifies.
    registry.completeUpload(
        REPO,
        id,
        digest,
        OptionalLong.empty(),
        body(Arrays.copyOfRange(content, 20, content.length)),
        OptionalLong.empty());
    assertThat(readAll(registry.openBlob(REPO, digest, Optional.empty()))).isEqualTo(content);
    UploadId wrong = slow.startUpload(REPO).id();
    slow.appendToUpload(
        REPO, wrong, OptionalLong.empty(), body(bytes("abc")), OptionalLong.empty());
    assertRefused(
        () ->
            slow.completeUpload(
                REPO,
                wrong,
                Digest.sha256(bytes("abcd")),
                OptionalLong.empty(),
                body(bytes("x")),
                OptionalLong.empty()),
        ErrorCode.DIGEST_INVALID);
  }

  @Test
  void digestMismatchLeavesNoBlob() throws Exception {
    Digest claimed = Digest.sha256(bytes("something else"));
    assertRefused(
        () -> registry.putBlob(REPO, claimed, body(bytes("actual")), OptionalLong.empty()),
        ErrorCode.DIGEST_INVALID);
    UploadId id = registry.startUpload(REPO).id();
    registry.appendToUpload(
        REPO, id, OptionalLong.empty(), body(bytes("act")), OptionalLong.empty());
    assertRefused(
        () ->
            registry.completeUpload(
                REPO, id, claimed, OptionalLong.empty(), body(bytes("ual")), OptionalLong.empty()),
        ErrorCode.DIGEST_INVALID);
    assertRefused(() -> registry.statBlob(REPO, claimed), ErrorCode.BLOB_UNKNOWN);
    assertRefused(
        () -> registry.statBlob(REPO, Digest.sha256(bytes("actual"))), ErrorCode.BLOB_UNKNOWN);
    assertRefused(() -> registry.uploadStatus(REPO, id), ErrorCode.BLOB_UPLOAD_UNKNOWN);
    assertThat(dataKeys()).isEmpty();
    assertThat(pendingMultipartWrites(store)).isIn(0L, -1L);
  }

  @Test
  void cancelledUploadLeavesNoBlob() throws Exception {
    UploadId id = registry.startUpload(REPO).id();
    registry.appendToUpload(
        REPO, id, OptionalLong.empty(), body(bytes("doomed")), OptionalLong.empty());
    registry.cancelUpload(REPO, id);
    assertRefused(() -> registry.uploadStatus(REPO, id), ErrorCode.BLOB_UPLOAD_UNKNOWN);
    assertRefused(() -> registry.cancelUpload(REPO, id), ErrorCode.BLOB_UPLOAD_UNKNOWN);
    assertThat(dataKeys()).isEmpty();
    // Nothing is left in the repository but, for a signed id, the state saying the session ended
    // (without it the id would read as a session just started).
    assertThat(store.list("repositories/", Optional.empty(), 10).keys())
        .allSatisfy(
            key -> {
              assertThat(key).isEqualTo(StorageLayout.keyOf(new UploadStateKey(REPO, id)));
              assertThat(id.isSigned()).isTrue();
              assertThat(UploadState.read(store.read(key).orElseThrow()).cancelled()).isTrue();
            });
    assertThat(pendingMultipartWrites(store)).isIn(0L, -1L);
  }

  @Test
  void retriedCompleteAnswersTheSameBlob() {
    byte[] content = bytes("committed once");
    Digest digest = Digest.sha256(content);
    UploadId id = registry.startUpload(REPO).id();
    BlobInfo first =
        registry.completeUpload(
            REPO, id, digest, OptionalLong.empty(), body(content), OptionalLong.empty());
    BlobInfo again =
        registry.completeUpload(
            REPO, id, digest, OptionalLong.empty(), body(content), OptionalLong.empty());
    assertThat(again).isEqualTo(first);
    assertRefused(
        () ->
            registry.completeUpload(
                REPO,
                id,
                Digest.sha256(bytes("other")),
                OptionalLong.empty(),
                body(content),
                OptionalLong.empty()),
        ErrorCode.BLOB_UPLOAD_UNKNOWN);
  }

  @Test
  void chunkAtTheWrongOffsetIsRefusedAndChangesNothing() {
    UploadId id = registry.startUpload(REPO).id();
    registry.appendToUpload(REPO, id, OptionalLong.of(0), body(bytes("abc")), OptionalLong.empty());
    assertRefused(
        () ->
            registry.appendToUpload(
                REPO, id, OptionalLong.of(2), body(bytes("xyz")), OptionalLong.empty()),
        ErrorCode.CHUNK_OUT_OF_ORDER);
    assertThat(registry.uploadStatus(REPO, id).offset()).isEqualTo(3);
  }

  @Test
  void chunkOfTheWrongLengthIsRefusedAndItsBytesDropped() {
    UploadId id = registry.startUpload(REPO).id();
    registry.appendToUpload(
        REPO, id, OptionalLong.empty(), body(bytes("abc")), OptionalLong.empty());
    assertRefused(
        () ->
            registry.appendToUpload(
                REPO, id, OptionalLong.empty(), body(bytes("defg")), OptionalLong.of(3)),
        ErrorCode.SIZE_INVALID);
    assertThat(registry.uploadStatus(REPO, id).offset()).isEqualTo(3);
    Digest digest = Digest.sha256(bytes("abcdef"));
    registry.completeUpload(
        REPO, id, digest, OptionalLong.of(3), body(bytes("def")), OptionalLong.of(3));
    assertThat(registry.statBlob(REPO, digest).size()).isEqualTo(6);
  }

  @Test
  void requestDyingMidChunkKeepsTheBytesThatArrived() throws Exception {
    UploadId id = registry.startUpload(REPO).id();
    registry.appendToUpload(
        REPO, id, OptionalLong.empty(), body(bytes("good-")), OptionalLong.empty());
    InputStream dying =
        new InputStream() {
          int sent;

          @Override
          public int read() throws IOException {
            if (sent++ < 300_000) {
              return 'x';
            }
            throw new IOException("connection reset");
          }
        };
    assertRefused(
        () -> registry.appendToUpload(REPO, id, OptionalLong.empty(), dying, OptionalLong.empty()),
        ErrorCode.BLOB_UPLOAD_INVALID);
    // What a client does next: ask for the offset and send the rest from there.
    long offset = registry.uploadStatus(REPO, id).offset();
    assertThat(offset).isBetween(5L + 1, 5L + 300_000);
    long kept = offset - 5;
    byte[] whole = new byte[(int) (5 + 300_000 + 5)];
    System.arraycopy(bytes("good-"), 0, whole, 0, 5);
    Arrays.fill(whole, 5, 5 + 300_000, (byte) 'x');
    System.arraycopy(bytes("bytes"), 0, whole, 5 + 300_000, 5);
    byte[] rest = Arrays.copyOfRange(whole, (int) offset, whole.length);
    Digest digest = Digest.sha256(whole);
    registry.completeUpload(
        REPO, id, digest, OptionalLong.of(offset), body(rest), OptionalLong.empty());
    assertThat(readAll(registry.openBlob(REPO, digest, Optional.empty()))).isEqualTo(whole);
    assertThat(kept).as("bytes kept from the broken request").isPositive();
  }

  @Test
  void bodyBreakingOffBeforeAnyByteChangesNothing() throws Exception {
    UploadId id = registry.startUpload(REPO).id();
    registry.appendToUpload(
        REPO, id, OptionalLong.empty(), body(bytes("good-")), OptionalLong.empty());
    InputStream dead =
        new InputStream() {
          @Override
          public int read() throws IOException {
            throw new IOException("connection reset");
          }
        };
    assertRefused(
        () -> registry.appendToUpload(REPO, id, OptionalLong.empty(), dead, OptionalLong.empty()),
        ErrorCode.BLOB_UPLOAD_INVALID);
    assertThat(registry.uploadStatus(REPO, id).offset()).isEqualTo(5);
    Digest digest = Digest.sha256(bytes("good-bytes"));
    registry.completeUpload(
        REPO, id, digest, OptionalLong.of(5), body(bytes("bytes")), OptionalLong.empty());
    assertThat(readAll(registry.openBlob(REPO, digest, Optional.empty())))
        .isEqualTo(bytes("good-bytes"));
  }

  @Test
  void secondRequestOnABusySessionIsRefused() throws Exception {
    UploadId id = registry.startUpload(REPO).id();
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    InputStream slow =
        new InputStream() {
          boolean first = true;

          @Override
          public int read() throws IOException {
            if (first) {
              first = false;
              inside.countDown();
              try {
                release.await();
              } catch (InterruptedException e) {
                throw new IOException(e);
              }
              return 'a';
            }
            return -1;
          }
        };
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try {
      Future<UploadStatus> firstRequest =
          executor.submit(
              () ->
                  registry.appendToUpload(
                      REPO, id, OptionalLong.of(0), slow, OptionalLong.empty()));
      assertThat(inside.await(30, TimeUnit.SECONDS)).isTrue();
      assertRefused(
          () ->
              registry.appendToUpload(
                  REPO, id, OptionalLong.of(0), body(bytes("b")), OptionalLong.empty()),
          ErrorCode.BLOB_UPLOAD_INVALID);
      release.countDown();
      assertThat(firstRequest.get(30, TimeUnit.SECONDS).offset()).isEqualTo(1);
    } finally {
      release.countDown();
      executor.shutdownNow();
    }
  }

  @Test
  void aSmallBlobIsKeptInItsRecordInALayoutThatHasThem() throws Exception {
    byte[] whole = new byte[BlobRecord.INLINE_MAX_BYTES];
    Arrays.fill(whole, (byte) 'w');
    Digest monolithic = pushBlob(REPO, whole);
    byte[] closed = bytes("closed in one PUT");
    Digest sessioned = Digest.sha256(closed);
    registry.completeUpload(
        REPO,
        registry.startUpload(REPO).id(),
        sessioned,
        OptionalLong.empty(),
        body(closed),
        OptionalLong.of(closed.length));
    Digest manifest = putManifest(REPO, "v1", ociManifest(REPO, ""));
    Digest larger = pushBlob(REPO, pastInline("one byte too many"));
    boolean inline = options().inlineSmallBlobs();
    for (Digest d : List.of(monolithic, sessioned, manifest)) {
      BlobRecord record =
          BlobRecord.read(
              store.read(StorageLayout.keyOf(new StorageLayout.BlobRecordKey(d))).orElseThrow());
      assertThat(record.inline().isPresent()).as("%s inline", d).isEqualTo(inline);
    }
    assertThat(dataKeys())
        .as("data objects: the larger blob's, and the small ones' only without inline records")
        .hasSize(inline ? 1 : 6);
    assertThat(readAll(registry.openBlob(REPO, sessioned, Optional.empty()))).isEqualTo(closed);
    assertThat(readAll(registry.openBlob(REPO, sessioned, Optional.of(new ByteRange(3, 8)))))
        .isEqualTo(bytes("sed in"));
    assertThat(readAll(registry.openBlob(REPO, monolithic, Optional.empty()))).isEqualTo(whole);
    assertThat(registry.statBlob(REPO, larger).size()).isEqualTo(BlobRecord.INLINE_MAX_BYTES + 1);
    if (inline) {
      assertThat(registry.blobRedirect(REPO, sessioned, Duration.ofMinutes(1)))
          .as("an inline blob is served by the registry, never redirected")
          .isEmpty();
    }
    StoreRegistry another = new StoreRegistry(reopen(store), options());
    assertThat(another.getManifest(REPO, Tag.parse("v1")).digest()).isEqualTo(manifest);
  }

  /**
   * The completed session is saved with a write a crash may undo: a retried close of the session
   * the crash reverted answers as the lost answer would have, and a new chunk on it never reaches
   * the committed blob (UploadSessions.complete has the argument).
   */
  @Test
  void aCloseWhoseCompletedStateACrashUndidEndsTheSameWayAgain() throws Exception {
    for (byte[] content : List.of(bytes("a small layer"), pastInline("a layer in chunks"))) {
      Digest digest = Digest.sha256(content);
      UploadId id = registry.startUpload(REPO).id();
      String state = StorageLayout.keyOf(new StorageLayout.UploadStateKey(REPO, id));
      boolean chunked = content.length > BlobRecord.INLINE_MAX_BYTES;
      if (chunked) {
        registry.appendToUpload(
            REPO, id, OptionalLong.of(0), body(content), OptionalLong.of(content.length));
      }
      // What the session held before its close: for a signed id that received nothing, no state.
      Optional<byte[]> open = store.read(state);
      Runnable revert =
          () -> {
            try {
              if (open.isPresent()) {
                store.write(state, open.get());
              } else {
                store.delete(List.of(state));
              }
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          };
      byte[] lastChunk = chunked ? new byte[0] : content;
      Supplier<BlobInfo> close =
          () ->
              registry.completeUpload(
                  REPO,
                  id,
                  digest,
                  OptionalLong.empty(),
                  body(lastChunk),
                  OptionalLong.of(lastChunk.length));
      close.get();
      revert.run(); // what a crash before the revertible write reached the disk leaves

      BlobInfo again = close.get();

      assertThat(again).isEqualTo(new BlobInfo(digest, content.length));
      revert.run();
      byte[] other = bytes("other bytes for the same session");
      try {
        registry.appendToUpload(
            REPO, id, OptionalLong.empty(), body(other), OptionalLong.of(other.length));
        registry.completeUpload(
            REPO,
            id,
            Digest.sha256(other),
            OptionalLong.empty(),
            body(new byte[0]),
            OptionalLong.of(0));
      } catch (RegistryException refused) {
        // Refused or ended: either way the committed blob must be whole.
      }
      assertThat(readAll(registry.openBlob(REPO, digest, Optional.empty())))
          .as("the committed blob, %d bytes", content.length)
          .isEqualTo(content);
    }
  }

  /**
   * A closed session answers a retried close with the same digest as the first close did and
   * refuses everything else; a retry naming a blob that is only linked elsewhere never links it
   * here. In a layout that records a signed id's close by its link, its state is the empty object.
   */
  @Test
  void aClosedSessionAnswersOnlyTheSameCloseAgain() throws Exception {
    byte[] elsewhere = bytes("linked in another repository only");
    Digest elsewhereDigest = pushBlob(OTHER, elsewhere);
    for (byte[] content : List.of(bytes("a small layer"), pastInline("a layer in chunks"))) {
      Digest digest = Digest.sha256(content);
      UploadId id = registry.startUpload(REPO).id();
      BlobInfo first =
          registry.completeUpload(
              REPO, id, digest, OptionalLong.empty(), body(content), OptionalLong.empty());

      assertThat(
              registry.completeUpload(
                  REPO, id, digest, OptionalLong.empty(), body(content), OptionalLong.empty()))
          .isEqualTo(first)
          .isEqualTo(new BlobInfo(digest, content.length));
      assertRefused(
          () ->
              registry.completeUpload(
                  REPO,
                  id,
                  elsewhereDigest,
                  OptionalLong.empty(),
                  body(elsewhere),
                  OptionalLong.empty()),
          ErrorCode.BLOB_UPLOAD_UNKNOWN);
      assertRefused(() -> registry.statBlob(REPO, elsewhereDigest), ErrorCode.BLOB_UNKNOWN);
      assertRefused(() -> registry.uploadStatus(REPO, id), ErrorCode.BLOB_UPLOAD_UNKNOWN);
      assertRefused(
          () ->
              registry.appendToUpload(
                  REPO, id, OptionalLong.empty(), body(bytes("more")), OptionalLong.empty()),
          ErrorCode.BLOB_UPLOAD_UNKNOWN);
      byte[] state =
          store.read(StorageLayout.keyOf(new StorageLayout.UploadStateKey(REPO, id))).orElseThrow();
      if (id.isSigned() && options().closesByLink()) {
        assertThat(state).as("recorded by its link").isEmpty();
      } else {
        assertThat(UploadState.read(state).completed())
            .hasValue(new UploadState.Completed(Optional.of(digest), content.length));
      }
    }
  }

  /**
   * Deletes {@code digest}'s link in {@code repo} as a GC sweep does (a new link epoch before and
   * after), then waits until this instance has read the second epoch, as it does within the epoch's
   * TTL ({@link LinkCache}).
   */
  private void sweepLink(RepositoryName repo, Digest digest) throws Exception {
    GcFence.writeNewLinkEpoch(store);
    store.delete(List.of(StorageLayout.keyOf(new StorageLayout.LayerLinkKey(repo, digest))));
    StoredValues.LinkEpoch after = GcFence.writeNewLinkEpoch(store);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (registry.fence().quiet().filter(q -> !q.epoch().equals(after)).isPresent()) {
      assertThat(System.nanoTime()).as("the instance reads the new epoch").isLessThan(deadline);
      LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
    }
  }

  /**
   * A close recorded by its link alone answers a retry only while that blob is linked here: once
   * the link is gone (a manifest delete let GC sweep it), the retry is refused, and it links
   * nothing, as the state cannot say which blob was the session's.
   */
  @Test
  void aCloseRecordedByItsLinkIsNotRetriedOnceTheLinkIsGone() throws Exception {
    byte[] content = bytes("swept soon after");
    Digest digest = Digest.sha256(content);
    UploadId id = registry.startUpload(REPO).id();
    registry.completeUpload(
        REPO, id, digest, OptionalLong.empty(), body(content), OptionalLong.empty());
    sweepLink(REPO, digest);

    Runnable retry =
        () ->
            registry.completeUpload(
                REPO, id, digest, OptionalLong.empty(), body(content), OptionalLong.empty());

    if (id.isSigned() && options().closesByLink()) {
      assertRefused(retry, ErrorCode.BLOB_UPLOAD_UNKNOWN);
      assertRefused(() -> registry.statBlob(REPO, digest), ErrorCode.BLOB_UNKNOWN);
    } else {
      retry.run(); // the state names the blob: linked again
      assertThat(registry.statBlob(REPO, digest).size()).isEqualTo(content.length);
    }
  }

  /**
   * A manifest whose bytes name their media type is served as that type from a link that, in a
   * layout that allows it, is empty; one whose bytes name none keeps the type it was pushed with in
   * its link. Both read the same from another instance, whose caches are cold, also for a manifest
   * too large for its record.
   */
  @Test
  void aManifestIsServedAsTheTypeItWasPushedAsWhateverItsLinkHolds() throws Exception {
    byte[] named = ociManifest(REPO, "");
    byte[] large = ociManifest(REPO, ",\"annotations\":{\"pad\":\"" + "p".repeat(20_000) + "\"}");
    byte[] unnamed =
        bytes(
            new String(named, UTF_8)
                .replace("\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",", ""));
    assertThat(unnamed).isNotEqualTo(named);
    Digest namedDigest = putManifest(REPO, "named", named);
    Digest largeDigest = putManifest(REPO, "large", large);
    Digest dockerDigest =
        registry
            .putManifest(REPO, Tag.parse("docker"), MediaTypes.DOCKER_MANIFEST, unnamed)
            .digest();

    for (StoreRegistry instance : List.of(registry, new StoreRegistry(reopen(store), options()))) {
      for (Digest d : List.of(namedDigest, largeDigest)) {
        assertThat(instance.statManifest(REPO, d).mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
        assertThat(instance.getManifest(REPO, d).mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
      }
      assertThat(instance.statManifest(REPO, Tag.parse("docker")).mediaType())
          .isEqualTo(MediaTypes.DOCKER_MANIFEST);
      assertThat(instance.getManifest(REPO, dockerDigest).mediaType())
          .isEqualTo(MediaTypes.DOCKER_MANIFEST);
    }
    for (Digest d : List.of(namedDigest, largeDigest)) {
      byte[] link =
          store.read(StorageLayout.keyOf(new StorageLayout.ManifestLinkKey(REPO, d))).orElseThrow();
      assertThat(link.length == 0)
          .as("the link of a manifest that names its type is empty in this layout")
          .isEqualTo(options().ownTypeManifestLinks());
    }
    assertThat(
            store.read(StorageLayout.keyOf(new StorageLayout.ManifestLinkKey(REPO, dockerDigest))))
        .hasValueSatisfying(
            link -> assertThat(new String(link, UTF_8)).contains(MediaTypes.DOCKER_MANIFEST));
  }

  @Test
  void secondUploadOfTheSameBlobKeepsOneCopy() throws Exception {
    byte[] content = pastInline("same bytes");
    pushBlob(REPO, content);
    pushBlob(OTHER, content);
    UploadId id = registry.startUpload(OTHER).id();
    registry.completeUpload(
        OTHER,
        id,
        Digest.sha256(content),
        OptionalLong.empty(),
        body(content),
        OptionalLong.empty());
    assertThat(dataKeys()).hasSize(1);
    assertThat(registry.statBlob(OTHER, Digest.sha256(content)).size()).isEqualTo(content.length);
  }

  @Test
  void multiMebibyteBlobStreamsThroughInChunks() throws Exception {
    long size = 24L * 1024 * 1024 + 12_345;
    GeneratedBody generated = new GeneratedBody(size);
    UploadId id = registry.startUpload(REPO).id();
    long half = size / 2;
    registry.appendToUpload(
        REPO, id, OptionalLong.of(0), new BoundedStream(generated, half), OptionalLong.of(half));
    Digest digest;
    // The second half arrives at another instance, which hashes on from the saved state.
    try (ObjectStore other = reopen(store)) {
      StoreRegistry elsewhere = new StoreRegistry(other, options());
      UploadStatus status =
          elsewhere.appendToUpload(
              REPO,
              id,
              OptionalLong.of(half),
              new BoundedStream(generated, size - half),
              OptionalLong.empty());
      assertThat(status.offset()).isEqualTo(size);
      digest = generated.digest();
      BlobInfo info =
          elsewhere.completeUpload(
              REPO, id, digest, OptionalLong.of(size), body(new byte[0]), OptionalLong.of(0));
      assertThat(info.size()).isEqualTo(size);
    }
    assertThat(registry.statBlob(REPO, digest).size()).isEqualTo(size);
    long at = 17L * 1024 * 1024 + 3;
    assertThat(readAll(registry.openBlob(REPO, digest, Optional.of(new ByteRange(at, at + 1)))))
        .isEqualTo(GeneratedBody.bytesAt(at, 2));
  }

  /** At most {@code limit} bytes of {@code in}. */
  protected static final class BoundedStream extends InputStream {
    private final InputStream in;
    private long left;

    BoundedStream(InputStream in, long limit) {
      this.in = in;
      this.left = limit;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      left--;
      return in.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }
  }

  @Test
  void sha512BlobsAreVerified() throws Exception {
    byte[] content = bytes("hashed with sha512");
    Digest digest = Digest.compute(DigestAlgorithm.SHA512, content);
    registry.putBlob(REPO, digest, body(content), OptionalLong.empty());
    assertThat(registry.statBlob(REPO, digest).size()).isEqualTo(content.length);

    byte[] chunked = bytes("chunked and closed with a sha512 digest");
    Digest chunkedDigest = Digest.compute(DigestAlgorithm.SHA512, chunked);
    UploadId id = registry.startUpload(REPO).id();
    registry.appendToUpload(
        REPO, id, OptionalLong.empty(), body(Arrays.copyOf(chunked, 7)), OptionalLong.empty());
    registry.completeUpload(
        REPO,
        id,
        chunkedDigest,
        OptionalLong.empty(),
        body(Arrays.copyOfRange(chunked, 7, chunked.length)),
        OptionalLong.empty());
    assertThat(readAll(registry.openBlob(REPO, chunkedDigest, Optional.empty())))
        .isEqualTo(chunked);
  }

  @Test
  void blake3BlobsAndManifestsWorkEndToEndWhenAllowed() throws Exception {
    registry = new StoreRegistry(store, options().withAllowBlake3(true));
    // Monolithic, small (read whole) and streamed (length unknown), and a wrong digest refused.
    byte[] config = bytes("{\"architecture\":\"amd64\",\"hashed\":\"blake3\"}");
    Digest configDigest = Digest.compute(DigestAlgorithm.BLAKE3, config);
    registry.putBlob(REPO, configDigest, body(config), OptionalLong.of(config.length));
    byte[] streamed = new byte[200_000];
    new Random(3).nextBytes(streamed);
    Digest streamedDigest = Digest.compute(DigestAlgorithm.BLAKE3, streamed);
    registry.putBlob(REPO, streamedDigest, body(streamed), OptionalLong.empty());
    assertThat(readAll(registry.openBlob(REPO, streamedDigest, Optional.empty())))
        .isEqualTo(streamed);
    Digest wrong = Digest.compute(DigestAlgorithm.BLAKE3, bytes("other bytes"));
    assertRefused(
        () -> registry.putBlob(REPO, wrong, body(streamed), OptionalLong.empty()),
        ErrorCode.DIGEST_INVALID);

    // Chunked, the close taken by another instance (no hash state for blake3: re-read at close).
    byte[] layer = new byte[150_000];
    new Random(4).nextBytes(layer);
    Digest layerDigest = Digest.compute(DigestAlgorithm.BLAKE3, layer);
    UploadId id = registry.startUpload(REPO).id();
    registry.appendToUpload(
        REPO, id, OptionalLong.of(0), body(Arrays.copyOf(layer, 70_000)), OptionalLong.empty());
    try (ObjectStore other = reopen(store)) {
      new StoreRegistry(other, options().withAllowBlake3(true))
          .completeUpload(
              REPO,
              id,
              layerDigest,
              OptionalLong.of(70_000),
              body(Arrays.copyOfRange(layer, 70_000, layer.length)),
              OptionalLong.empty());
    }
    assertThat(registry.statBlob(REPO, layerDigest).size()).isEqualTo(layer.length);
    assertThat(store.stat(StorageLayout.keyOf(new BlobRecordKey(layerDigest)))).isPresent();
    assertThat(StorageLayout.keyOf(new BlobRecordKey(layerDigest)))
        .startsWith("blobs/blake3/" + layerDigest.hex().substring(0, 2) + "/");

    // Mount, then a manifest naming the blake3 blobs, pushed by its own blake3 digest.
    assertThat(registry.mountBlob(OTHER, layerDigest, Optional.of(REPO))).isPresent();
    assertThat(registry.mountBlob(OTHER, configDigest, Optional.empty())).isPresent();
    byte[] manifest =
        bytes(
            "{\"schemaVersion\":2,\"mediaType\":\""
                + MediaTypes.OCI_MANIFEST
                + "\",\"config\":"
                + descriptor(
                    "application/vnd.oci.image.config.v1+json", configDigest, config.length)
                + ",\"layers\":["
                + descriptor("application/vnd.oci.image.layer.v1.tar", layerDigest, layer.length)
                + "]}");
    Digest manifestDigest = Digest.compute(DigestAlgorithm.BLAKE3, manifest);
    assertThat(
            registry
                .putManifest(
                    OTHER,
                    manifestDigest,
                    List.of(Tag.parse("b3")),
                    MediaTypes.OCI_MANIFEST,
                    manifest)
                .digest())
        .isEqualTo(manifestDigest);
    assertThat(registry.getManifest(OTHER, Tag.parse("b3")).body()).isEqualTo(manifest);
    assertThat(registry.statManifest(OTHER, manifestDigest).digest()).isEqualTo(manifestDigest);
    // A push of the same bytes by tag keeps the algorithm the repository links them under.
    assertThat(
            registry
                .putManifest(OTHER, Tag.parse("again"), MediaTypes.OCI_MANIFEST, manifest)
                .digest())
        .isEqualTo(manifestDigest);
  }

  @Test
  void aManifestWithDeprecatedNonDistributableLayersIsStoredAndWarnedAbout() {
    byte[] plain = ociManifest(REPO, "");
    assertThat(
            registry
                .putManifest(REPO, Tag.parse("plain"), MediaTypes.OCI_MANIFEST, plain)
                .warnings())
        .isEmpty();
    byte[] config = bytes("{}");
    Digest c = pushBlob(REPO, config);
    String foreign =
        "{\"mediaType\":\"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip\","
            + "\"digest\":\""
            + Digest.sha256(bytes("fetched elsewhere"))
            + "\",\"size\":17,\"urls\":[\"https://example.com/layer\"]}";
    byte[] manifest =
        bytes(
            "{\"schemaVersion\":2,\"mediaType\":\""
                + MediaTypes.OCI_MANIFEST
                + "\",\"config\":"
                + descriptor("application/vnd.oci.image.config.v1+json", c, config.length)
                + ",\"layers\":["
                + foreign
                + ","
                + foreign.replace("fetched", "x")
                + "]}");
    PutManifestResult result =
        registry.putManifest(REPO, Tag.parse("old-style"), MediaTypes.OCI_MANIFEST, manifest);
    assertThat(result.warnings())
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .contains("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip")
        .contains("deprecated");
    assertThat(registry.getManifest(REPO, Tag.parse("old-style")).body()).isEqualTo(manifest);
  }

  @Test
  void blake3IsRefusedAsAnUnsupportedAlgorithmByDefault() throws Exception {
    byte[] content = bytes("hashed with blake3");
    Digest digest = Digest.compute(DigestAlgorithm.BLAKE3, content);
    assertRefused(
        () -> registry.putBlob(REPO, digest, body(content), OptionalLong.of(content.length)),
        ErrorCode.DIGEST_INVALID);
    UploadId id = registry.startUpload(REPO).id();
    assertRefused(
        () ->
            registry.completeUpload(
                REPO,
                id,
                digest,
                OptionalLong.empty(),
                body(content),
                OptionalLong.of(content.length)),
        ErrorCode.DIGEST_INVALID);
    assertRefused(() -> registry.statBlob(REPO, digest), ErrorCode.DIGEST_INVALID);
    assertRefused(
        () -> registry.openBlob(REPO, digest, Optional.empty()), ErrorCode.DIGEST_INVALID);
    assertRefused(
        () -> registry.mountBlob(OTHER, digest, Optional.of(REPO)), ErrorCode.DIGEST_INVALID);
    assertRefused(() -> registry.getManifest(REPO, digest), ErrorCode.DIGEST_INVALID);
    // A manifest naming a blake3 layer, pushed by its sha256 or by tag: refused the same way.
    byte[] config = bytes("{}");
    Digest c = pushBlob(REPO, config);
    byte[] manifest =
        bytes(
            "{\"schemaVersion\":2,\"mediaType\":\""
                + MediaTypes.OCI_MANIFEST
                + "\",\"config\":"
                + descriptor("application/vnd.oci.image.config.v1+json", c, config.length)
                + ",\"layers\":["
                + descriptor("application/vnd.oci.image.layer.v1.tar", digest, content.length)
                + "]}");
    assertRefused(
        () -> registry.putManifest(REPO, Tag.parse("t"), MediaTypes.OCI_MANIFEST, manifest),
        ErrorCode.DIGEST_INVALID);
    assertThat(store.list("blobs/blake3/", Optional.empty(), 10).keys()).isEmpty();
    // The upload refused at its close is still open: its state names no data.
    assertThat(registry.uploadStatus(REPO, id).offset()).isZero();
  }

  @Test
  void deletedBlobIsUnlinkedOnlyFromItsRepository() {
    Digest digest = pushBlob(REPO, bytes("shared"));
    pushBlob(OTHER, bytes("shared"));
    registry.deleteBlob(REPO, digest);
    assertRefused(() -> registry.statBlob(REPO, digest), ErrorCode.BLOB_UNKNOWN);
    assertRefused(() -> registry.deleteBlob(REPO, digest), ErrorCode.BLOB_UNKNOWN);
    assertThat(registry.statBlob(OTHER, digest).size()).isEqualTo(6);
  }

  // ---- mounts -------------------------------------------------------------------------------

  @Test
  void mountFromARepositoryThatHasTheBlob() {
    Digest digest = pushBlob(OTHER, bytes("mount me"));
    assertThat(registry.mountBlob(REPO, digest, Optional.of(OTHER)))
        .hasValue(new BlobInfo(digest, 8));
    assertThat(registry.statBlob(REPO, digest).size()).isEqualTo(8);
  }

  @Test
  void mountFromARepositoryWithoutTheBlobIsEmpty() {
    Digest digest = pushBlob(OTHER, bytes("only in other"));
    RepositoryName third = RepositoryName.parse("team/third");
    assertThat(registry.mountBlob(REPO, digest, Optional.of(third))).isEmpty();
    assertRefused(() -> registry.statBlob(REPO, digest), ErrorCode.BLOB_UNKNOWN);
  }

  @Test
  void mountWithoutFromFindsAnyExistingBlob() {
    Digest digest = pushBlob(OTHER, bytes("discover me"));
    assertThat(registry.mountBlob(REPO, digest, Optional.empty())).isPresent();
    assertThat(registry.mountBlob(REPO, Digest.sha256(bytes("nowhere")), Optional.empty()))
        .isEmpty();
  }

  // ---- manifests ----------------------------------------------------------------------------

  @Test
  void ociManifestIsStoredVerbatimAndFoundByTagAndDigest() {
    byte[] manifest = ociManifest(REPO, ",\"annotations\":{\"a\":\"b\"}   ");
    PutManifestResult result =
        registry.putManifest(REPO, Tag.parse("v1"), MediaTypes.OCI_MANIFEST, manifest);
    assertThat(result.digest()).isEqualTo(Digest.sha256(manifest));
    assertThat(result.subject()).isEmpty();
    ManifestContent byTag = registry.getManifest(REPO, Tag.parse("v1"));
    assertThat(byTag.body()).isEqualTo(manifest);
    assertThat(byTag.mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
    assertThat(registry.getManifest(REPO, result.digest()).body()).isEqualTo(manifest);
    assertThat(registry.statManifest(REPO, Tag.parse("v1")))
        .isEqualTo(new ManifestInfo(result.digest(), MediaTypes.OCI_MANIFEST, manifest.length));
    assertRefused(() -> registry.getManifest(OTHER, result.digest()), ErrorCode.MANIFEST_UNKNOWN);
    assertRefused(() -> registry.getManifest(REPO, Tag.parse("v2")), ErrorCode.MANIFEST_UNKNOWN);
  }

  @Test
  void tagParametersPointEveryTagAtTheManifestPushedByDigest() {
    byte[] manifest = ociManifest(REPO, "");
    Digest digest = Digest.sha256(manifest);
    PutManifestResult result =
        registry.putManifest(
            REPO,
            digest,
            List.of(Tag.parse("a"), Tag.parse("b"), Tag.parse("a")),
            MediaTypes.OCI_MANIFEST,
            manifest);
    assertThat(result.digest()).isEqualTo(digest);
    assertThat(registry.statManifest(REPO, Tag.parse("a")).digest()).isEqualTo(digest);
    assertThat(registry.statManifest(REPO, Tag.parse("b")).digest()).isEqualTo(digest);
    assertThat(registry.listTags(REPO, 10, Optional.empty()).items()).containsExactly("a", "b");
    assertRefused(
        () ->
            registry.putManifest(
                REPO, Tag.parse("c"), List.of(Tag.parse("d")), MediaTypes.OCI_MANIFEST, manifest),
        ErrorCode.MANIFEST_INVALID);
    assertRefused(() -> registry.statManifest(REPO, Tag.parse("c")), ErrorCode.MANIFEST_UNKNOWN);
  }

  @Test
  void aPushByTagKeepsTheAlgorithmTheRepositoryLinksTheBytesUnder() {
    byte[] manifest = ociManifest(REPO, "");
    Digest sha512 = Digest.compute(DigestAlgorithm.SHA512, manifest);
    registry.putManifest(
        REPO, sha512, List.of(Tag.parse("by-param")), MediaTypes.OCI_MANIFEST, manifest);
    assertThat(registry.statManifest(REPO, Tag.parse("by-param")).digest()).isEqualTo(sha512);
    assertThat(
            registry
                .putManifest(REPO, Tag.parse("by-tag"), MediaTypes.OCI_MANIFEST, manifest)
                .digest())
        .isEqualTo(sha512);
    assertThat(registry.statManifest(REPO, Tag.parse("by-tag")).digest()).isEqualTo(sha512);
    // Once linked under sha256 too, a push by tag answers the canonical sha256.
    registry.putManifest(REPO, Digest.sha256(manifest), MediaTypes.OCI_MANIFEST, manifest);
    assertThat(
            registry
                .putManifest(REPO, Tag.parse("by-tag"), MediaTypes.OCI_MANIFEST, manifest)
                .digest())
        .isEqualTo(Digest.sha256(manifest));
  }

  @Test
  void ociIndexOverManifestsInTheRepository() {
    Digest amd = putManifest(REPO, "amd", ociManifest(REPO, ""));
    byte[] arm = ociManifest(REPO, ",\"annotations\":{\"arch\":\"arm\"}");
    Digest armDigest = putManifest(REPO, Digest.sha256(arm).toString(), arm);
    byte[] index =
        bytes(
            "{\"schemaVersion\":2,\"mediaType\":\""
                + MediaTypes.OCI_INDEX
                + "\",\"manifests\":["
                + descriptor(MediaTypes.OCI_MANIFEST, amd, 1)
                + ","
                + descriptor(MediaTypes.OCI_MANIFEST, armDigest, 2)
                + "]}");
    Digest digest =
        registry.putManifest(REPO, Tag.parse("multi"), MediaTypes.OCI_INDEX, index).digest();
    assertThat(registry.getManifest(REPO, digest).mediaType()).isEqualTo(MediaTypes.OCI_INDEX);
  }

  @Test
  void indexWithAChildNotInTheRepositoryIsRefused() {
    Digest elsewhere = putManifest(OTHER, "x", ociManifest(OTHER, ""));
    byte[] index =
        bytes(
            "{\"schemaVersion\":2,\"mediaType\":\""
                + MediaTypes.OCI_INDEX
                + "\",\"manifests\":["
                + descriptor(MediaTypes.OCI_MANIFEST, elsewhere, 1)
                + "]}");
    assertRefused(
        () -> registry.putManifest(REPO, Tag.parse("idx"), MediaTypes.OCI_INDEX, index),
        ErrorCode.MANIFEST_BLOB_UNKNOWN);
  }

  @Test
  void sparseIndexIsAcceptedOnlyWhenConfigured() {
    Digest present = putManifest(REPO, "amd", ociManifest(REPO, ""));
    Digest absent = Digest.sha256(bytes("a child manifest never pushed"));
    byte[] index =
        bytes(
            "{\"schemaVersion\":2,\"mediaType\":\""
                + MediaTypes.OCI_INDEX
                + "\",\"manifests\":["
                + descriptor(MediaTypes.OCI_MANIFEST, present, 1)
                + ","
                + descriptor(MediaTypes.OCI_MANIFEST, absent, 2)
                + "]}");
    assertRefused(
        () -> registry.putManifest(REPO, Tag.parse("sparse"), MediaTypes.OCI_INDEX, index),
        ErrorCode.MANIFEST_BLOB_UNKNOWN);
    StoreRegistry sparse = new StoreRegistry(store, options().withAllowSparseIndex(true));
    Digest digest =
        sparse.putManifest(REPO, Tag.parse("sparse"), MediaTypes.OCI_INDEX, index).digest();
    assertThat(registry.getManifest(REPO, Tag.parse("sparse")).body()).isEqualTo(index);
    assertThat(registry.statManifest(REPO, digest).mediaType()).isEqualTo(MediaTypes.OCI_INDEX);
    assertRefused(() -> registry.statManifest(REPO, absent), ErrorCode.MANIFEST_UNKNOWN);
    // An image manifest's blobs are checked whatever the switch.
    byte[] missingLayer =
        bytes(
            "{\"schemaVersion\":2,\"mediaType\":\""
                + MediaTypes.OCI_MANIFEST
                + "\","
                + "\"config\":"
                + descriptor("application/vnd.oci.image.config.v1+json", absent, 2)
                + ",\"layers\":[]}");
    assertRefused(
        () -> sparse.putManifest(REPO, Tag.parse("img"), MediaTypes.OCI_MANIFEST, missingLayer),
        ErrorCode.MANIFEST_BLOB_UNKNOWN);
  }

  @Test
  void dockerManifestAndManifestList() {
    byte[] config = bytes("{\"os\":\"linux\"}");
    byte[] layer = bytes("docker layer");
    Digest c = pushBlob(REPO, config);
    Digest l = pushBlob(REPO, layer);
    byte[] manifest =
        bytes(
            "{\"schemaVersion\":2,\"mediaType\":\""
                + MediaTypes.DOCKER_MANIFEST
                + "\","
                + "\"config\":"
                + descriptor("application/vnd.docker.container.image.v1+json", c, config.length)
                + ",\"layers\":["
                + descriptor("application/vnd.docker.image.rootfs.diff.tar.gzip", l, layer.length)
                + ",{\"mediaType\":\"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip\",\"digest\":\""
                + Digest.sha256(bytes("not here"))
                + "\",\"size\":8,\"urls\":[\"https://example.com/layer\"]}]}");
    Digest m =
        registry
            .putManifest(REPO, Tag.parse("docker"), MediaTypes.DOCKER_MANIFEST, manifest)
            .digest();
    byte[] list =
        bytes(
            "{\"schemaVersion\":2,\"mediaType\":\""
                + MediaTypes.DOCKER_MANIFEST_LIST
                + "\",\"manifests\":["
                + "{\"mediaType\":\""
                + MediaTypes.DOCKER_MANIFEST
                + "\",\"digest\":\""
                + m
                + "\",\"size\":"
                + manifest.length
                + ",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}");
    Digest listDigest =
        registry
            .putManifest(REPO, Tag.parse("list"), MediaTypes.DOCKER_MANIFEST_LIST, list)
            .digest();
    assertThat(registry.getManifest(REPO, Tag.parse("list")).digest()).isEqualTo(listDigest);
    assertThat(registry.statManifest(REPO, Tag.parse("docker")).mediaType())
        .isEqualTo(MediaTypes.DOCKER_MANIFEST);
  }

  @Test
  void manifestWithAMissingLayerIsRefusedAndChangesNothing() throws Exception {
    byte[] config = bytes("{}");
    Digest c = pushBlob(REPO, config);
    byte[] manifest =
        bytes(
            "{\"schemaVersion\":2,\"config\":"
                + descriptor("application/vnd.oci.image.config.v1+json", c, 2)
                + ",\"layers\":["
                + descriptor(
                    "application/vnd.oci.image.layer.v1.tar", Digest.sha256(bytes("missing")), 7)
                + "]}");
    assertRefused(
        () -> registry.putManifest(REPO, Tag.parse("broken"), MediaTypes.OCI_MANIFEST, manifest),
        ErrorCode.MANIFEST_BLOB_UNKNOWN);
    assertRefused(
        () -> registry.getManifest(REPO, Digest.sha256(manifest)), ErrorCode.MANIFEST_UNKNOWN);
    assertRefused(() -> registry.listTags(REPO, 10, Optional.empty()), ErrorCode.NAME_UNKNOWN);
    assertThat(store.list("repositories/team/app/_manifests/", Optional.empty(), 10).keys())
        .isEmpty();
  }

  @Test
  void mediaTypeMustMatchTheContentType() {
    byte[] manifest = ociManifest(REPO, "");
    assertRefused(
        () -> registry.putManifest(REPO, Tag.parse("t"), MediaTypes.DOCKER_MANIFEST, manifest),
        ErrorCode.MANIFEST_INVALID);
    assertRefused(
        () -> registry.putManifest(REPO, Tag.parse("t"), "application/json", manifest),
        ErrorCode.MANIFEST_INVALID);
    assertThat(
            registry
                .putManifest(
                    REPO, Tag.parse("t"), MediaTypes.OCI_MANIFEST + "; charset=utf-8", manifest)
                .digest())
        .isEqualTo(Digest.sha256(manifest));
  }

  @Test
  void malformedManifestsAreRefused() {
    for (String body :
        List.of(
            "",
            "[]",
            "{",
            "{\"schemaVersion\":1}",
            "{\"schemaVersion\":2}",
            "{\"schemaVersion\":2,\"config\":{},\"layers\":[]}",
            "{\"schemaVersion\":2,\"schemaVersion\":2,\"config\":{},\"layers\":[]}")) {
      assertRefused(
          () -> registry.putManifest(REPO, Tag.parse("bad"), MediaTypes.OCI_MANIFEST, bytes(body)),
          ErrorCode.MANIFEST_INVALID);
    }
  }

  @Test
  void manifestPushedByDigestMustHashToIt() {
    byte[] manifest = ociManifest(REPO, "");
    Digest wrong = Digest.sha256(bytes("another"));
    assertRefused(
        () -> registry.putManifest(REPO, wrong, MediaTypes.OCI_MANIFEST, manifest),
        ErrorCode.DIGEST_INVALID);
    Digest sha512 = Digest.compute(DigestAlgorithm.SHA512, manifest);
    assertThat(registry.putManifest(REPO, sha512, MediaTypes.OCI_MANIFEST, manifest).digest())
        .isEqualTo(sha512);
    assertThat(registry.getManifest(REPO, sha512).body()).isEqualTo(manifest);
  }

  @Test
  void tooLargeManifestIsRefused() throws Exception {
    StoreRegistry small = new StoreRegistry(store, options().withMaxManifestBytes(100));
    byte[] manifest = ociManifest(REPO, ",\"annotations\":{\"pad\":\"" + "x".repeat(200) + "\"}");
    assertRefused(
        () -> small.putManifest(REPO, Tag.parse("big"), MediaTypes.OCI_MANIFEST, manifest),
        ErrorCode.MANIFEST_TOO_LARGE);
  }

  @Test
  void pushingATagAgainMovesIt() {
    Digest first = putManifest(REPO, "latest", ociManifest(REPO, ""));
    Digest second =
        putManifest(REPO, "latest", ociManifest(REPO, ",\"annotations\":{\"v\":\"2\"}"));
    assertThat(second).isNotEqualTo(first);
    assertThat(registry.getManifest(REPO, Tag.parse("latest")).digest()).isEqualTo(second);
    assertThat(registry.getManifest(REPO, first).digest()).isEqualTo(first);
  }

  @Test
  void deletingATagKeepsTheManifest() {
    Digest digest = putManifest(REPO, "v1", ociManifest(REPO, ""));
    registry.deleteManifest(REPO, Tag.parse("v1"));
    assertRefused(() -> registry.getManifest(REPO, Tag.parse("v1")), ErrorCode.MANIFEST_UNKNOWN);
    assertThat(registry.getManifest(REPO, digest).digest()).isEqualTo(digest);
    assertRefused(() -> registry.deleteManifest(REPO, Tag.parse("v1")), ErrorCode.MANIFEST_UNKNOWN);
  }

  @Test
  void deletingAManifestRemovesItsTags() {
    byte[] manifest = ociManifest(REPO, "");
    Digest digest = putManifest(REPO, "a", manifest);
    putManifest(REPO, "b", manifest);
    Digest kept = putManifest(REPO, "c", ociManifest(REPO, ",\"annotations\":{\"k\":\"v\"}"));
    registry.deleteManifest(REPO, digest);
    assertRefused(() -> registry.getManifest(REPO, digest), ErrorCode.MANIFEST_UNKNOWN);
    assertRefused(() -> registry.statManifest(REPO, Tag.parse("a")), ErrorCode.MANIFEST_UNKNOWN);
    assertThat(registry.listTags(REPO, 10, Optional.empty()).items()).containsExactly("c");
    assertThat(registry.getManifest(REPO, Tag.parse("c")).digest()).isEqualTo(kept);
    assertRefused(() -> registry.deleteManifest(REPO, digest), ErrorCode.MANIFEST_UNKNOWN);
  }

  @Test
  void manifestBytesOnceReadComeFromMemoryWhileTagsAndLinksAreReadFresh() throws Exception {
    byte[] manifest = ociManifest(REPO, "");
    Digest digest = putManifest(REPO, "a", manifest);
    assertThat(registry.getManifest(REPO, Tag.parse("a")).body()).isEqualTo(manifest);
    BlobRecord record =
        BlobRecord.read(
            store.read(StorageLayout.keyOf(new StorageLayout.BlobRecordKey(digest))).orElseThrow());
    // The bytes' only copy in the store goes: the data object, or the record holding them.
    store.delete(
        List.of(
            record.dataKey().isPresent()
                ? StorageLayout.keyOf(record.dataKey().get())
                : StorageLayout.keyOf(new StorageLayout.BlobRecordKey(digest))));
    assertThat(registry.getManifest(REPO, Tag.parse("a")).body())
        .as("content-addressed bytes, served from memory once read")
        .isEqualTo(manifest);
    registry.deleteManifest(REPO, Tag.parse("a"));
    assertRefused(() -> registry.getManifest(REPO, Tag.parse("a")), ErrorCode.MANIFEST_UNKNOWN);
    registry.deleteManifest(REPO, digest);
    assertRefused(() -> registry.getManifest(REPO, digest), ErrorCode.MANIFEST_UNKNOWN);
  }

  // ---- discovery ----------------------------------------------------------------------------

  @Test
  void tagsArePagedInLexicalOrder() {
    byte[] manifest = ociManifest(REPO, "");
    for (String tag : List.of("v2", "latest", "v10", "V1", "v1", "_x", "v1-rc")) {
      putManifest(REPO, tag, manifest);
    }
    List<String> all = List.of("V1", "_x", "latest", "v1", "v1-rc", "v10", "v2");
    assertThat(registry.listTags(REPO, 100, Optional.empty())).isEqualTo(new Page(all, false));
    assertThat(registry.listTags(REPO, 3, Optional.empty()))
        .isEqualTo(new Page(all.subList(0, 3), true));
    assertThat(registry.listTags(REPO, 3, Optional.of("latest")))
        .isEqualTo(new Page(all.subList(3, 6), true));
    assertThat(registry.listTags(REPO, 3, Optional.of("v10")))
        .isEqualTo(new Page(List.of("v2"), false));
    assertThat(registry.listTags(REPO, 0, Optional.empty()).items()).isEmpty();
    assertRefused(() -> registry.listTags(REPO, -1, Optional.empty()), ErrorCode.PARAMETER_INVALID);
    assertRefused(() -> registry.listTags(OTHER, 10, Optional.empty()), ErrorCode.NAME_UNKNOWN);
  }

  @Test
  void catalogListsRepositoriesInLexicalOrder() {
    List<String> names = List.of("b", "a/b", "a-b", "a", "a/b/c", "library/ubuntu22");
    for (String name : names) {
      RepositoryName repo = RepositoryName.parse(name);
      putManifest(repo, "t", ociManifest(repo, ""));
    }
    List<String> sorted = names.stream().sorted().collect(Collectors.toList());
    assertThat(registry.listRepositories(100, Optional.empty())).isEqualTo(new Page(sorted, false));
    assertThat(registry.listRepositories(2, Optional.empty()))
        .isEqualTo(new Page(sorted.subList(0, 2), true));
    assertThat(registry.listRepositories(2, Optional.of(sorted.get(1))))
        .isEqualTo(new Page(sorted.subList(2, 4), true));
    assertThat(registry.listRepositories(10, Optional.of(sorted.get(4))))
        .isEqualTo(new Page(sorted.subList(5, 6), false));
    assertRefused(
        () -> registry.listRepositories(-5, Optional.empty()), ErrorCode.PARAMETER_INVALID);
  }

  @Test
  void referrersAreListedFilteredAndOutliveTheirSubject() {
    Digest subject = putManifest(REPO, "image", ociManifest(REPO, ""));
    String subjectField = ",\"subject\":" + descriptor(MediaTypes.OCI_MANIFEST, subject, 100);
    byte[] empty = bytes("{}");
    Digest emptyDigest = pushBlob(REPO, empty);
    byte[] sbom =
        bytes(
            "{\"schemaVersion\":2,\"mediaType\":\""
                + MediaTypes.OCI_MANIFEST
                + "\","
                + "\"artifactType\":\"application/spdx+json\",\"config\":{\"mediaType\":\""
                + MediaTypes.OCI_EMPTY
                + "\",\"digest\":\""
                + emptyDigest
                + "\",\"size\":2,\"data\":\""
                + Base64.getEncoder().encodeToString(empty)
                + "\"},"
                + "\"layers\":["
                + descriptor(MediaTypes.OCI_EMPTY, emptyDigest, 2)
                + "],"
                + "\"annotations\":{\"org.opencontainers.image.created\":\"2026-01-01T00:00:00Z\"}"
                + subjectField
                + "}");
    PutManifestResult sbomResult =
        registry.putManifest(REPO, Digest.sha256(sbom), MediaTypes.OCI_MANIFEST, sbom);
    assertThat(sbomResult.subject()).hasValue(subject);
    byte[] sigConfig = bytes("{\"sig\":true}");
    Digest sigConfigDigest = pushBlob(REPO, sigConfig);
    byte[] signature =
        bytes(
            "{\"schemaVersion\":2,\"mediaType\":\""
                + MediaTypes.OCI_MANIFEST
                + "\","
                + "\"config\":"
                + descriptor(
                    "application/vnd.example.signature.config", sigConfigDigest, sigConfig.length)
                + ",\"layers\":[]"
                + subjectField
                + "}");
    Digest signatureDigest = putManifest(REPO, Digest.sha256(signature).toString(), signature);

    Referrers all = registry.referrers(REPO, subject, Optional.empty());
    assertThat(all.appliedFilter()).isEmpty();
    assertThat(all.manifests())
        .extracting(Descriptor::digest)
        .containsExactlyInAnyOrder(sbomResult.digest(), signatureDigest);
    Descriptor sbomEntry =
        all.manifests().stream()
            .filter(d -> d.digest().equals(sbomResult.digest()))
            .findFirst()
            .orElseThrow();
    assertThat(sbomEntry.artifactType()).hasValue("application/spdx+json");
    assertThat(sbomEntry.annotations())
        .containsEntry("org.opencontainers.image.created", "2026-01-01T00:00:00Z");
    assertThat(sbomEntry.size()).isEqualTo(sbom.length);
    assertThat(sbomEntry.mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);

    Referrers signatures =
        registry.referrers(REPO, subject, Optional.of("application/vnd.example.signature.config"));
    assertThat(signatures.appliedFilter()).hasValue("application/vnd.example.signature.config");
    assertThat(signatures.manifests())
        .extracting(Descriptor::digest)
        .containsExactly(signatureDigest);

    registry.deleteManifest(REPO, subject);
    assertThat(registry.referrers(REPO, subject, Optional.empty()).manifests()).hasSize(2);
    registry.deleteManifest(REPO, signatureDigest);
    assertThat(registry.referrers(REPO, subject, Optional.empty()).manifests())
        .extracting(Descriptor::digest)
        .containsExactly(sbomResult.digest());
    assertThat(registry.referrers(OTHER, subject, Optional.empty()).manifests()).isEmpty();
  }

  @Test
  void referrerMayBePushedBeforeItsSubject() {
    Digest absent = Digest.sha256(bytes("subject pushed later"));
    byte[] config = bytes("{\"c\":1}");
    Digest c = pushBlob(REPO, config);
    byte[] referrer =
        bytes(
            "{\"schemaVersion\":2,\"artifactType\":\"application/x.test\",\"config\":"
                + descriptor("application/x.config", c, config.length)
                + ",\"layers\":[],\"subject\":"
                + descriptor(MediaTypes.OCI_MANIFEST, absent, 10)
                + "}");
    registry.putManifest(REPO, Tag.parse("ref"), MediaTypes.OCI_MANIFEST, referrer);
    assertThat(registry.referrers(REPO, absent, Optional.of("application/x.test")).manifests())
        .hasSize(1);
    assertThat(registry.referrers(REPO, absent, Optional.of("application/other")).manifests())
        .isEmpty();
  }

  @Test
  void manyTagsAndUploadsLeaveOneStoreConsistent() {
    byte[] manifest = ociManifest(REPO, "");
    IntStream.range(0, 30).forEach(i -> putManifest(REPO, "t" + i, manifest));
    assertThat(registry.listTags(REPO, 1000, Optional.empty()).items()).hasSize(30);
    registry.deleteManifest(REPO, Digest.sha256(manifest));
    assertThat(registry.listTags(REPO, 1000, Optional.empty()).items()).isEmpty();
  }
}
