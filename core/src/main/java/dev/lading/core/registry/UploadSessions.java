package dev.lading.core.registry;

import static dev.lading.core.registry.StorageCalls.io;
import static dev.lading.core.registry.StorageCalls.run;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.hash.ResumableSha256;
import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.DataKey;
import dev.lading.core.layout.StorageLayout.UploadStateKey;
import dev.lading.core.layout.StoredValues.BlobRecord;
import dev.lading.core.layout.StoredValues.UploadState;
import dev.lading.core.model.Digest;
import dev.lading.core.model.DigestAlgorithm;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.UploadId;
import dev.lading.core.storage.BlobSource;
import dev.lading.core.storage.MultipartWrite;
import dev.lading.core.storage.ObjectInfo;
import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.ObjectWrite;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Upload sessions kept in the store, so any instance continues any session after a restart.
 *
 * <p>A session streams its bytes into one multipart write at a data key chosen when it starts.
 * After each request the write is suspended (bytes durable) and the session state is saved with the
 * new offset, the store's resume token and the SHA-256 state at that offset. A request whose body
 * breaks off mid-way keeps what arrived (saved the same way, see {@link #keepReceived}); a refused
 * request saves nothing, so the next one resumes from the last saved offset and the store drops the
 * refused bytes. Closing compares the digest, then commits by writing the small blob record ({@link
 * RepositoryBlobs#commit}); the bytes never move.
 *
 * <p>In a store of layout version 3 a session's id is signed ({@link SignedUploadIds}) and starting
 * it stores nothing: until its first bytes are saved, the id itself says what its state would (just
 * started, nothing received), and {@link #load} reads it from there. Such a session's end (a
 * cancel, a failed close) is therefore recorded as a cancelled state instead of a deleted one
 * ({@link #end}); without any state its id would start over.
 *
 * <p>Concurrency: one request per session at a time in this process (a lock, tried without waiting:
 * a second request is refused rather than queued behind a long upload); across processes the stored
 * offset is re-checked before the state is saved. That narrows but does not close a race between
 * two instances writing the same session at once, which well-behaved clients never do.
 */
final class UploadSessions {
  private static final Logger LOG = LoggerFactory.getLogger(UploadSessions.class);
  private static final int BUFFER_BYTES = 256 * 1024;

  private final ObjectStore store;
  private final RepositoryBlobs blobs;
  private final RegistryOptions options;
  private final Optional<SignedUploadIds> signedIds;
  private final LoadingCache<UploadId, ReentrantLock> locks =
      Caffeine.newBuilder().weakValues().build(id -> new ReentrantLock());

  UploadSessions(ObjectStore store, RepositoryBlobs blobs, RegistryOptions options) {
    this.store = store;
    this.blobs = blobs;
    this.options = options;
    this.signedIds =
        options.unstoredSessions()
            ? Optional.of(
                new SignedUploadIds(
                    () -> StoreSigningKey.load(store, true),
                    options.uploadExpiry(),
                    options.clock()))
            : Optional.empty();
  }

  /**
   * Starts a session. With signed ids, nothing is stored (see the class comment); otherwise its
   * state, durable before the answer. No write is started yet either way: the common push that
   * sends all of a small blob in its closing {@code PUT} stores it in one write ({@link
   * #completeSmall}) and never needs one; a session that streams starts its write with its first
   * bytes ({@link #resumeOrStart}).
   */
  UploadStatus start(RepositoryName repo) {
    if (signedIds.isPresent()) {
      return new UploadStatus(repo, signedIds.get().issue(repo), 0);
    }
    UploadId id = UploadId.random();
    save(repo, id, UploadState.started(repo, id, options.clock().instant(), DataKey.random()));
    return new UploadStatus(repo, id, 0);
  }

  UploadStatus status(RepositoryName repo, UploadId id) {
    return new UploadStatus(repo, id, open(repo, id).offset());
  }

  /**
   * Told the size a session's data reaches as a request's bytes arrive, before they are hashed or
   * stored, and the size a declared length would take it to before any is read; throws to refuse
   * the request (a quota). A refusal is one like any other: nothing of the request is saved, the
   * session stays at its last saved offset (its resume token names nothing past it), and the next
   * request continues from there.
   */
  @FunctionalInterface
  interface SizeCheck {
    SizeCheck NONE = size -> {};

    void reached(long size);
  }

  UploadStatus append(
      RepositoryName repo,
      UploadId id,
      OptionalLong start,
      InputStream body,
      OptionalLong length,
      SizeCheck sizeCheck) {
    return locked(
        id,
        () -> {
          UploadState state = open(repo, id);
          return endIfGone(
              state,
              () -> {
                Chunk chunk = receive(state, start, body, length, sizeCheck);
                UploadState next = suspend(repo, id, state, chunk);
                return new UploadStatus(repo, id, next.offset());
              });
        });
  }

  /**
   * Closes the session: the last bytes, the digest check, then the commit. (On a store of round
   * trips, a close that brings all of a small blob to a session that stored nothing takes a shorter
   * path first, {@link #closeUnstored}, which has its own argument.) Write order and why a crash at
   * any point loses nothing acknowledged and leaves no session that cannot finish:
   *
   * <ol>
   *   <li>The final chunk is appended and the digest checked while the write is still open; a
   *       mismatch aborts the write, so nothing becomes visible.
   *   <li>The write completes: its bytes become the object at the session's data key. This is the
   *       point of no return for the bytes; a crash before it leaves the session as it was saved
   *       (the client retries the close and it runs again from its saved offset).
   *   <li>The blob record is written (create-if-absent) and the repository link after it.
   *   <li>The session is saved as completed, in the same batch as 3 ({@link ObjectStore#writeAll}:
   *       a crash leaves a prefix of the three writes, on the filesystem's index all of them or
   *       none), with a write a crash may undo ({@link ObjectStore#writeRevertible}): the crash
   *       then leaves the state of the next paragraph, from which every request on the session ends
   *       as this close did or is refused. (A session with a signed id that stored nothing before
   *       is then back to no state: the one its id says, just started, which is the state it closed
   *       from.) From layout version 4 a signed id's completed state is an empty object ({@link
   *       UploadState#closedByItsLink}), which names no blob: a retried close then answers {@code
   *       201} for a blob linked here and {@code BLOB_UPLOAD_UNKNOWN} otherwise, and links nothing.
   *       The save goes alongside the link ({@link ObjectWrite#alongsidePrevious}: on S3 in the
   *       same round), so a crash, or a link write that fails, may leave the session completed with
   *       its blob's record written and not linked. A retried close of a state that names the blob
   *       links it; one recorded by its link answers {@code BLOB_UPLOAD_UNKNOWN}, and the client,
   *       which got no {@code 201} for this close, uploads the blob again, whose commit finds the
   *       record (if-absent) and links it. Nothing acknowledged is lost, and the unlinked record is
   *       visible nowhere (GC collects it if no upload comes back for it).
   * </ol>
   *
   * A crash after 2 and before 4 leaves a session whose state says "open" while its data key
   * already holds an object (or, for a small blob kept in its record, whose record is written: a
   * retried close then runs {@link #completeSmall} again, whose commit finds that record and links
   * it). Data objects appear only when a write completes, so that object is exactly what a close of
   * this session completed: a retried close ({@link #recoverClose}) sees it (one stat before
   * anything else, skipped only by a close whose bytes all go into the record, see below),
   * re-checks its digest (skipped when a record already names this data: a record is written only
   * after the check) and finishes steps 3 and 4, which are idempotent (the record is
   * create-if-absent and {@link RepositoryBlobs#commit} keeps data its record names; links are
   * plain overwrites). The retry answers {@code 201} as the lost answer would have. Never again is
   * the write resumed, so a retry can never overwrite data a record may already name; a {@code
   * PATCH} to a session whose state a crash reverted to "open, nothing received" may start a new
   * write at its data key, but only a close completes a write, and a close stats the data key
   * first. (One answer differs from the lost one: a close whose blob existed already deleted its
   * own data, so its reverted session finds neither data nor write and answers {@code
   * BLOB_UPLOAD_UNKNOWN}; the blob stays committed and linked.) A write that is gone for another
   * reason (expired and aborted by GC, its staged bytes lost) ends the session: {@code
   * BLOB_UPLOAD_UNKNOWN}, and the client starts over, instead of a storage error on every retry.
   */
  BlobInfo complete(
      RepositoryName repo,
      UploadId id,
      Digest digest,
      OptionalLong start,
      InputStream finalChunk,
      OptionalLong length,
      SizeCheck sizeCheck) {
    return locked(
        id,
        () -> {
          InputStream chunk = finalChunk;
          if (closesInOneRound(repo, id, start, length)) {
            byte[] bytes = BodyCopier.readSmall(finalChunk, length);
            Optional<BlobInfo> closed = closeUnstored(repo, id, digest, bytes);
            if (closed.isPresent()) {
              return closed.get();
            }
            chunk = new ByteArrayInputStream(bytes); // the stored state answers, with these bytes
          }
          return completeLoaded(repo, id, digest, start, chunk, length, sizeCheck);
        });
  }

  /**
   * Whether a close may take the one-round path of {@link #closeUnstored}: the store's calls are
   * round trips (on a local filesystem the state is read in microseconds and the whole close is one
   * commit anyway), the id is signed and its close recorded by its link (layout version 4), and the
   * request brings all of a small blob that fits in its record, from offset 0.
   */
  private boolean closesInOneRound(
      RepositoryName repo, UploadId id, OptionalLong start, OptionalLong length) {
    return store.callsAreRoundTrips()
        && id.isSigned()
        && options.closesByLink()
        && start.orElse(0) == 0
        && BodyCopier.isSmall(length)
        && blobs.fitsInline(length.getAsLong());
  }

  /**
   * A close that brings all of a small blob to a session of a signed id that stored nothing: the
   * common push (a session {@code POST}, then the bytes in the closing {@code PUT}) without reading
   * the session's state first. The bytes are checked against the digest, then the record is written
   * (if absent) alongside the session's end as an if-absent write of its closed state ({@link
   * UploadState#closedByItsLink}), which succeeds exactly when no state is stored, i.e. when the
   * session is the one its id says (just started, nothing received); only then is the link written.
   * On S3 that is two rounds and three requests where reading the state first takes four of each.
   * Empty, with nothing linked, when this path cannot answer: the digest does not match, the id is
   * not good, or a state is stored (the session received bytes, was cancelled, or closed); {@link
   * #completeLoaded} then answers from the stored state, with these bytes.
   *
   * <p>What a crash leaves, after the checked bytes: the record alone (visible nowhere: the retried
   * close takes this path again, finds it and goes on), the session's end with or without the
   * record (the session is closed and its blob not linked: the client, which got no {@code 201}, is
   * answered {@code BLOB_UPLOAD_UNKNOWN} on a retry and uploads the blob again, whose commit finds
   * the record if it is there), or all of it (a retried close finds the session closed by its link
   * and the blob linked: {@code 201}, as the lost answer). A record may also stay behind a close
   * this path handed on (a stored state refused it): it names the checked bytes under their digest
   * and nothing links it, so it is visible nowhere, and GC collects it as it does any unlinked
   * record.
   */
  private Optional<BlobInfo> closeUnstored(
      RepositoryName repo, UploadId id, Digest digest, byte[] bytes) {
    Optional<UploadState> unstored = signedIds.flatMap(ids -> ids.unstored(repo, id));
    if (unstored.isEmpty() || !Digest.compute(digest.algorithm(), bytes).equals(digest)) {
      return Optional.empty();
    }
    UploadState state = unstored.get();
    ObjectWrite end = ObjectWrite.ifAbsent(stateKey(repo, id), state.closedByItsLink().write());
    Optional<BlobRecord> record =
        blobs.commitAndLinkIf(repo, digest, blobs.placeSmall(state.dataKey(), bytes), end);
    return record.map(r -> pushed(repo, digest, r, ""));
  }

  /** {@link #complete} from the session's stored state (or the one its signed id says). */
  private BlobInfo completeLoaded(
      RepositoryName repo,
      UploadId id,
      Digest digest,
      OptionalLong start,
      InputStream finalChunk,
      OptionalLong length,
      SizeCheck sizeCheck) {
    UploadState state = load(repo, id).orElseThrow(() -> unknown(id));
    if (state.isCompleted()) {
      UploadState.Completed completed = state.completed().orElseThrow();
      if (!completed.named()) {
        // A close recorded by its link alone: a retried close answers as the first did when
        // its blob is linked here. Nothing is linked again: the state does not say which blob
        // was this session's, so relinking would hand out any blob of the registry by digest.
        return blobs
            .linkedRecord(repo, digest)
            .map(record -> new BlobInfo(digest, record.size()))
            .orElseThrow(() -> unknown(id));
      }
      if (completed.digest().get().equals(digest)) {
        // A retried close: the commit happened; link again (GC may have swept it since).
        blobs.linkExisting(repo, digest).orElseThrow(() -> unknown(id));
        return new BlobInfo(digest, completed.size());
      }
      throw unknown(id);
    }
    boolean wholeBlobInThisClose =
        state.resumeToken().isEmpty()
            && state.offset() == 0
            && start.orElse(0) == 0
            && BodyCopier.isSmall(length);
    boolean allIntoTheRecord = wholeBlobInThisClose && blobs.fitsInline(length.getAsLong());
    // A close whose bytes all go into the blob's record never reads or writes the data key:
    // an object an earlier, crashed close of this session left there is either the data of
    // a record that names it (and stays that blob's) or stray data GC removes, and a retried
    // close with the same bytes commits the same record. So it skips the stat (one request
    // on S3).
    if (!allIntoTheRecord) {
      Optional<ObjectInfo> closed = io(() -> store.stat(StorageLayout.keyOf(state.dataKey())));
      if (closed.isPresent()) {
        return recoverClose(repo, id, state, digest, finalChunk, closed.get().size());
      }
    }
    return endIfGone(
        state,
        () -> {
          if (wholeBlobInThisClose) {
            return completeSmall(repo, id, state, digest, finalChunk, length);
          }
          Chunk chunk = receive(state, start, finalChunk, length, sizeCheck);
          long size = chunk.write().size();
          Optional<Digest> hashed =
              chunk.hasher().isPresent() && digest.algorithm() == DigestAlgorithm.SHA256
                  ? Optional.of(chunk.hasher().get().digest())
                  : Optional.empty();
          if (hashed.isPresent() && !hashed.get().equals(digest)) {
            abortQuietly(chunk.write());
            end(state, List.of());
            throw digestInvalid(digest, hashed.get());
          }
          run(() -> chunk.write().complete());
          // Without the hash state (another instance's session, or another algorithm) the
          // bytes are read back. A failure here leaves completed data behind; the retried
          // close finds it and checks again, so nothing is deleted on a failure that may be
          // passing.
          Digest actual = hashed.orElseGet(() -> rehash(state.dataKey(), size, digest.algorithm()));
          if (!actual.equals(digest)) {
            end(state, List.of(StorageLayout.keyOf(state.dataKey())));
            throw digestInvalid(digest, actual);
          }
          return commit(repo, id, state, digest, new BlobRecord(size, state.dataKey()), "");
        });
  }

  /**
   * A close that brings all of a small blob ({@link BodyCopier#isSmall}) to a session that received
   * nothing before: the bytes are read whole, checked, and only then stored as the data object in
   * one write, so a data object of this session exists only with the checked bytes. The steps after
   * it, and why a crash between any two loses nothing, are those of {@link #complete} from its step
   * 3.
   */
  private BlobInfo completeSmall(
      RepositoryName repo,
      UploadId id,
      UploadState state,
      Digest digest,
      InputStream body,
      OptionalLong length) {
    BlobRecord placed =
        writeSmall(state.dataKey(), digest, body, length, () -> end(state, List.of()));
    return commit(repo, id, state, digest, placed, "");
  }

  /**
   * Reads a small body whole ({@link BodyCopier#readSmall}) and checks it is {@code digest}; only
   * then places it ({@link RepositoryBlobs#placeSmall}: inline in the record to come, or stored at
   * {@code dataKey} with one write), so nothing is stored for a mismatch (which runs {@code
   * onMismatch} and answers {@code DIGEST_INVALID}). Returns the record to commit.
   */
  private BlobRecord writeSmall(
      DataKey dataKey, Digest digest, InputStream body, OptionalLong length, Runnable onMismatch) {
    byte[] bytes = BodyCopier.readSmall(body, length);
    Digest actual = Digest.compute(digest.algorithm(), bytes);
    if (!actual.equals(digest)) {
      onMismatch.run();
      throw digestInvalid(digest, actual);
    }
    return blobs.placeSmall(dataKey, bytes);
  }

  /**
   * A close whose write an earlier close completed before it crashed (see {@link #complete}). The
   * retried request's body is read to its end and dropped: its bytes are those the earlier close
   * appended, and the digest check below covers whatever the data holds.
   */
  private BlobInfo recoverClose(
      RepositoryName repo,
      UploadId id,
      UploadState state,
      Digest digest,
      InputStream body,
      long size) {
    drain(body);
    boolean checkedBefore =
        blobs.freshRecord(digest).map(r -> r.isAt(state.dataKey())).orElse(false);
    if (!checkedBefore) {
      Digest actual = rehash(state.dataKey(), size, digest.algorithm());
      if (!actual.equals(digest)) {
        boolean ownedByAnotherDigest =
            blobs.freshRecord(actual).map(r -> r.isAt(state.dataKey())).orElse(false);
        // The data is that blob's now when its record names it; otherwise it goes too.
        end(
            state,
            ownedByAnotherDigest ? List.of() : List.of(StorageLayout.keyOf(state.dataKey())));
        throw digestInvalid(digest, actual);
      }
    }
    return commit(
        repo,
        id,
        state,
        digest,
        new BlobRecord(size, state.dataKey()),
        " (close retried after a crash)");
  }

  /**
   * Steps 3 and 4 of {@link #complete}: record and link under GC's fence, then the session
   * alongside the link, in one batch ({@link RepositoryBlobs#commitAndLink}): a crash leaves the
   * record alone, or with the link or the session's end or both (on the filesystem's index all or
   * none), each of which step 4's argument covers.
   */
  private BlobInfo commit(
      RepositoryName repo,
      UploadId id,
      UploadState state,
      Digest digest,
      BlobRecord fresh,
      String how) {
    // Revertible (see complete): a crash may leave the session open, which only ever ends
    // as the same commit again. A signed id's close is recorded by its link (an empty state,
    // layout version 4), which the filesystem creates in place with no staged file or fsync.
    // The size is the fresh record's: a record already there for the digest has the same bytes.
    UploadState closed =
        id.isSigned() && options.closesByLink()
            ? state.closedByItsLink()
            : state.completed(digest, fresh.size());
    BlobRecord record =
        blobs.commitAndLink(
            repo,
            digest,
            fresh,
            List.of(
                ObjectWrite.revertible(stateKey(repo, id), closed.write()).alongsidePrevious()));
    return pushed(repo, digest, record, how);
  }

  /**
   * The answer to a push that committed {@code record}, logged ({@code how}: a note for the log).
   */
  private static BlobInfo pushed(
      RepositoryName repo, Digest digest, BlobRecord record, String how) {
    LOG.info("blob pushed repository={} digest={} size={}{}", repo, digest, record.size(), how);
    return new BlobInfo(digest, record.size());
  }

  void cancel(RepositoryName repo, UploadId id) {
    locked(
        id,
        () -> {
          UploadState state = open(repo, id);
          // The write goes first, then the state: a crash between leaves a session whose write is
          // gone, which a retried cancel (or any request) ends the same way.
          try {
            if (state.resumeToken().isPresent()) {
              run(() -> resume(state).abort());
            }
          } catch (RegistryException e) {
            if (!isGone(e)) {
              throw e;
            }
          }
          end(state, List.of());
          return null;
        });
  }

  /** Monolithic upload: one request, no session state; the digest is known before the bytes. */
  BlobInfo putMonolithic(
      RepositoryName repo, Digest digest, InputStream body, OptionalLong length) {
    DataKey dataKey = DataKey.random();
    BlobRecord placed =
        BodyCopier.isSmall(length)
            ? writeSmall(dataKey, digest, body, length, () -> {})
            : new BlobRecord(
                writeStreamed(StorageLayout.keyOf(dataKey), digest, body, length), dataKey);
    return pushed(repo, digest, blobs.commitAndLink(repo, digest, placed, List.of()), "");
  }

  /**
   * Streams a body into a multipart write at {@code key}, hashing it on the way, and completes the
   * write only when it is {@code digest}; aborts it otherwise. Returns its size.
   */
  private long writeStreamed(String key, Digest digest, InputStream body, OptionalLong length) {
    MultipartWrite write = io(() -> store.startMultipart(key));
    MessageDigest hasher = digest.algorithm().newMessageDigest();
    long size;
    try {
      size = BodyCopier.copy(body, write, hasher::update, new BodyCopier.Progress());
      checkLength(length, size);
    } catch (RuntimeException e) {
      abortQuietly(write);
      throw e;
    }
    Digest actual = Digest.of(digest.algorithm(), hasher.digest());
    if (!actual.equals(digest)) {
      abortQuietly(write);
      throw digestInvalid(digest, actual);
    }
    run(write::complete);
    return size;
  }

  // ---- one request's bytes ------------------------------------------------------------------

  /** The bytes of one request appended to the session's write, with the hash after them. */
  private record Chunk(MultipartWrite write, long received, Optional<ResumableSha256> hasher) {}

  private Chunk receive(
      UploadState state,
      OptionalLong start,
      InputStream body,
      OptionalLong length,
      SizeCheck sizeCheck) {
    if (start.isPresent() && start.getAsLong() != state.offset()) {
      throw ErrorCode.CHUNK_OUT_OF_ORDER
          .exception()
          .withDetail(Map.of("offset", state.offset(), "start", start.getAsLong()));
    }
    if (length.isPresent()) {
      sizeCheck.reached(state.offset() + length.getAsLong()); // before a byte is read
    }
    Optional<ResumableSha256> hasher = restoreHasher(state);
    MultipartWrite write = io(() -> resumeOrStart(state));
    BodyCopier.Progress copied = new BodyCopier.Progress();
    long[] arrived = {0};
    long received;
    try {
      received =
          BodyCopier.copy(
              body,
              write,
              buffer -> {
                // Checked before the buffer is hashed or handed to the store: a refusal here
                // stops the copy, and no byte past the limit is stored.
                arrived[0] += buffer.remaining();
                sizeCheck.reached(state.offset() + arrived[0]);
                hasher.ifPresent(h -> h.update(buffer));
              },
              copied);
      checkLength(length, received);
    } catch (RuntimeException e) {
      if (copied.bodyBroke()) {
        keepReceived(state, new Chunk(write, copied.bytes(), hasher));
      } else {
        // A refusal: nothing is saved, the session stays at its last offset and the next resume
        // drops these bytes. The write is released (suspend), not aborted (that ends the session).
        releaseQuietly(write);
      }
      throw e;
    }
    return new Chunk(write, received, hasher);
  }

  /**
   * A request whose body broke off (the client or the network died) still delivered real bytes of
   * the blob, in order, at the session's offset: make them durable and save the session at the new
   * offset, as Distribution does; the client asks for the offset and sends the rest. Dropping them
   * instead would leave multipart parts in the store that no saved token names, which S3 discards
   * at Complete but Ceph RGW refuses (InvalidPart): the upload could then never complete. Saved
   * only when the hash state covers exactly the bytes the write took ({@link BodyCopier} returns
   * only once every hashed buffer was written, unless the store failed, which leaves the write's
   * size short of the hash); otherwise, or when the store fails too, nothing is saved, exactly as
   * before.
   */
  private void keepReceived(UploadState state, Chunk chunk) {
    RepositoryName repo = state.repository();
    UploadId id = state.id();
    if (chunk.received() == 0 || chunk.write().size() != state.offset() + chunk.received()) {
      releaseQuietly(chunk.write());
      return;
    }
    try {
      UploadState next = suspend(repo, id, state, chunk);
      LOG.info(
          "upload {} kept {} bytes of a request that broke off; offset now {}",
          id.value(),
          chunk.received(),
          next.offset());
    } catch (RuntimeException e) {
      LOG.warn(
          "upload {}: could not keep the bytes of a request that broke off: {}",
          id.value(),
          e.toString());
    }
  }

  private Optional<ResumableSha256> restoreHasher(UploadState state) {
    if (state.offset() == 0) {
      return Optional.of(
          options.resumableHashing() ? ResumableSha256.create() : ResumableSha256.createPlain());
    }
    if (state.hashState().isEmpty() || !options.resumableHashing()) {
      return Optional.empty(); // hashed at commit by re-reading
    }
    try {
      return ResumableSha256.restore(Base64.getDecoder().decode(state.hashState().get()));
    } catch (IllegalArgumentException e) {
      LOG.warn("upload {} has an unreadable hash state; it will be re-read at commit", state.id());
      return Optional.empty();
    }
  }

  private UploadState suspend(RepositoryName repo, UploadId id, UploadState state, Chunk chunk) {
    String token = io(() -> chunk.write().suspend());
    Optional<String> hashState =
        chunk
            .hasher()
            .flatMap(ResumableSha256::exportState)
            .map(Base64.getEncoder()::encodeToString);
    UploadState current = load(repo, id).orElseThrow(() -> unknown(id));
    if (current.offset() != state.offset() || current.isCompleted()) {
      throw ErrorCode.CHUNK_OUT_OF_ORDER
          .exception("the upload moved on while this chunk was received")
          .withDetail(Map.of("offset", current.offset()));
    }
    UploadState next = state.advanced(state.offset() + chunk.received(), token, hashState);
    save(repo, id, next);
    return next;
  }

  private Digest rehash(DataKey dataKey, long size, DigestAlgorithm algorithm) {
    MessageDigest hasher = algorithm.newMessageDigest();
    run(
        () -> {
          try (BlobSource source = store.openRange(StorageLayout.keyOf(dataKey), 0, size)) {
            ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES);
            switch (source) {
              case BlobSource.FileSource file -> {
                long position = file.offset();
                long end = file.offset() + file.length();
                while (position < end) {
                  buffer.clear().limit((int) Math.min(buffer.capacity(), end - position));
                  int n = file.channel().read(buffer, position);
                  if (n < 0) {
                    throw new IOException("blob data shorter than recorded");
                  }
                  position += n;
                  buffer.flip();
                  hasher.update(buffer);
                }
              }
              case BlobSource.StreamSource stream -> {
                byte[] bytes = buffer.array();
                int n;
                while ((n = stream.stream().read(bytes)) > 0) {
                  hasher.update(bytes, 0, n);
                }
              }
            }
          }
        });
    return Digest.of(algorithm, hasher.digest());
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static void checkLength(OptionalLong declared, long received) {
    if (declared.isPresent() && declared.getAsLong() != received) {
      throw ErrorCode.SIZE_INVALID
          .exception()
          .withDetail(Map.of("declared", declared.getAsLong(), "received", received));
    }
  }

  private UploadState open(RepositoryName repo, UploadId id) {
    return load(repo, id).filter(UploadState::isOpen).orElseThrow(() -> unknown(id));
  }

  /**
   * The session's state: stored, or, for a signed id with none stored, the one its id says ({@link
   * SignedUploadIds#unstored}). Empty for a session that is unknown or cancelled.
   */
  private Optional<UploadState> load(RepositoryName repo, UploadId id) {
    Optional<byte[]> stored = io(() -> store.read(stateKey(repo, id)));
    if (stored.isPresent() && UploadState.isClosedByItsLink(stored.get())) {
      return signedIds.flatMap(ids -> ids.unstored(repo, id)).map(UploadState::closedByItsLink);
    }
    if (stored.isPresent()) {
      return stored
          .map(UploadState::read)
          .filter(s -> s.repository().equals(repo) && s.id().equals(id) && !s.cancelled());
    }
    return signedIds.flatMap(ids -> ids.unstored(repo, id));
  }

  private void save(RepositoryName repo, UploadId id, UploadState state) {
    run(() -> store.write(stateKey(repo, id), state.write()));
  }

  /**
   * Ends a session for good (cancelled, failed, or its write gone), deleting {@code alsoDelete}
   * with it (its data, when no record may name it). A plain id's state is deleted with them, in one
   * call. A signed id's state is replaced by a cancelled one instead, durably and first: with no
   * state at all the id would read as just started again ({@link #load}). A crash after it and
   * before the deletes leaves data no session or record names, which GC removes as stray data.
   */
  private void end(UploadState state, List<String> alsoDelete) {
    if (state.id().isSigned()) {
      save(state.repository(), state.id(), state.asCancelled());
      if (!alsoDelete.isEmpty()) {
        run(() -> store.delete(alsoDelete));
      }
      return;
    }
    List<String> keys = new ArrayList<>(alsoDelete);
    keys.add(stateKey(state.repository(), state.id()));
    run(() -> store.delete(keys));
  }

  /**
   * The session's write: resumed from its saved token, or, for the first bytes of a session,
   * started and its token saved before any byte goes in. So a write that holds bytes is always one
   * the session's state names, and a cancel or GC's expiry of the session aborts it (with what S3
   * keeps beside it, the tails); a crash between the start and the save leaves an empty write no
   * state names, which the abandoned-write sweep removes.
   */
  private MultipartWrite resumeOrStart(UploadState state) throws IOException {
    if (state.resumeToken().isPresent() || state.offset() != 0) {
      return resume(state);
    }
    String key = StorageLayout.keyOf(state.dataKey());
    String token = store.startMultipart(key).suspend();
    save(state.repository(), state.id(), state.advanced(0, token, Optional.empty()));
    return store.resumeMultipart(key, token);
  }

  /** The session's multipart write, resumed from its saved token. */
  private MultipartWrite resume(UploadState state) throws IOException {
    return store.resumeMultipart(
        StorageLayout.keyOf(state.dataKey()),
        state
            .resumeToken()
            .orElseThrow(() -> new IOException("upload " + state.id() + " has no resume token")));
  }

  private static void releaseQuietly(MultipartWrite write) {
    try {
      write.suspend();
    } catch (IOException e) {
      LOG.warn("could not release multipart write {}: {}", write.key(), e.toString());
    }
  }

  private static void abortQuietly(MultipartWrite write) {
    try {
      write.abort();
    } catch (IOException e) {
      LOG.warn("could not abort multipart write {}: {}", write.key(), e.toString());
    }
  }

  private static String stateKey(RepositoryName repo, UploadId id) {
    return StorageLayout.keyOf(new UploadStateKey(repo, id));
  }

  /**
   * Runs {@code body} on the session's write and ends the session when the store says the write is
   * gone ({@link java.nio.file.NoSuchFileException}, see {@link ObjectStore#resumeMultipart}): its
   * state is deleted and the client told {@code BLOB_UPLOAD_UNKNOWN}, so it starts over instead of
   * meeting a storage error on every retry.
   */
  private <T> T endIfGone(UploadState state, Locked<T> body) {
    try {
      return body.run();
    } catch (RegistryException e) {
      if (e.code() != ErrorCode.STORAGE_UNAVAILABLE || !isGone(e)) {
        throw e;
      }
      LOG.warn(
          "upload {}: its write is gone ({}); the session ends",
          state.id().value(),
          rootMessage(e));
      end(state, List.of());
      throw unknown(state.id());
    }
  }

  private static boolean isGone(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof NoSuchFileException) {
        return true;
      }
    }
    return false;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.toString();
  }

  /** Reads a body to its end, so the connection stays in step with the client. */
  private static void drain(InputStream body) {
    try {
      body.transferTo(OutputStream.nullOutputStream());
    } catch (IOException e) {
      throw ErrorCode.BLOB_UPLOAD_INVALID
          .exception("request body broke off")
          .withDetail(Map.of())
          .withCause(e);
    }
  }

  private static RegistryException digestInvalid(Digest expected, Digest actual) {
    return ErrorCode.DIGEST_INVALID
        .exception()
        .withDetail(Map.of("expected", expected.toString(), "actual", actual.toString()));
  }

  private static RegistryException unknown(UploadId id) {
    return ErrorCode.BLOB_UPLOAD_UNKNOWN.exception().withDetail(Map.of("id", id.value()));
  }

  private interface Locked<T> {
    T run();
  }

  private <T> T locked(UploadId id, Locked<T> body) {
    ReentrantLock lock = locks.get(id);
    if (!lock.tryLock()) {
      throw ErrorCode.BLOB_UPLOAD_INVALID
          .exception("another request is writing to this upload")
          .withDetail(Map.of("id", id.value()));
    }
    try {
      return body.run();
    } finally {
      lock.unlock();
    }
  }
}
