package dev.lading.storage.s3;

import static dev.lading.storage.s3.S3Calls.io;
import static dev.lading.storage.s3.S3Calls.writeIo;

import dev.lading.core.storage.MultipartWrite;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * One request's turn at a multipart write: bytes gather in a {@link PartBuffer} and leave as an S3
 * part each time a whole part is there, so memory stays a few parts (one filling, up to {@link
 * S3StoreConfig#partsInFlight()} uploading) whatever the object's size.
 *
 * <p>The memory for that part is reserved from the store's {@link MemoryBudget} at the first byte
 * (waiting there when the budget is spent) and given back when the write suspends, completes or
 * aborts. {@link #suspend()} stores the bytes that do not fill a part as a small tail object; the
 * next turn, in any process, reads it back into its buffer. Nothing goes to a local file.
 *
 * <p>The S3 multipart upload is created only when the first part is full, so an object smaller than
 * a part (configs, small layers) never starts one and completes as a single PUT.
 */
final class S3MultipartWrite implements MultipartWrite {
  private static final String CONTENT_TYPE = "application/octet-stream";

  private final S3Store store;
  private final String key;
  private final String objectKey;
  private final ResumeToken base;
  private final long partSize;
  private Optional<String> uploadId;
  private int parts;
  private long size;
  private boolean appended;

  /** The part being filled and its memory; null until the first byte. */
  private Slot filling;

  /** Parts being uploaded in the background while {@link #filling} fills, oldest first. */
  private final ArrayDeque<InFlight> inFlight = new ArrayDeque<>();

  /** Part buffers with their memory, kept between background uploads of this write. */
  private final ArrayDeque<Slot> spares = new ArrayDeque<>();

  private Optional<ResumeToken> suspendedAs = Optional.empty();

  /** Parts S3 listed past this write's last part at complete: left by requests that died. */
  private int partsLeftOut;

  private boolean finished;

  S3MultipartWrite(S3Store store, String key, ResumeToken base) {
    this.store = store;
    this.key = key;
    this.objectKey = store.objectKey(key);
    this.base = base;
    this.partSize = base.partSize();
    this.uploadId = base.uploadId();
    this.parts = base.parts();
    this.size = base.size();
  }

  @Override
  public String key() {
    return key;
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public void write(ByteBuffer src) throws IOException {
    requireOpen();
    if (!src.hasRemaining()) {
      return;
    }
    if (src.remaining() > partSize * S3StoreConfig.MAX_PARTS - size) {
      throw new IOException(
          "object "
              + key
              + " would exceed "
              + S3StoreConfig.MAX_PARTS
              + " parts of "
              + partSize
              + " bytes");
    }
    openBuffer();
    while (src.hasRemaining()) {
      int n = filling.buffer().fill(src);
      size += n;
      appended = true;
      if (filling.buffer().isFull()) {
        handOff();
      }
    }
  }

  @Override
  public String suspend() throws IOException {
    requireOpen();
    try {
      awaitInFlight();
      if (!appended) {
        // Nothing new: the token we came from still describes every byte, tail included.
        suspendedAs = Optional.of(base);
        return base.encode();
      }
      int generation = base.generation() + 1;
      PartBuffer tailBuffer = filling.buffer();
      long tail = tailBuffer.size();
      if (tail > 0) {
        String tailKey = store.tailKey(key, generation);
        io(
            "PUT tail " + tailKey,
            () ->
                store
                    .puts()
                    .putObject(
                        b ->
                            b.bucket(store.config().bucket())
                                .key(tailKey)
                                .contentType(CONTENT_TYPE),
                        RequestBody.fromContentProvider(
                            tailBuffer::newStream, tail, CONTENT_TYPE)));
      }
      if (base.olderTail()) {
        // The tail before the one we resumed from: no saved token names it any more.
        deleteQuietly(List.of(store.tailKey(key, base.generation() - 1)));
      }
      ResumeToken next =
          new ResumeToken(uploadId, partSize, parts, tail, generation, base.tailSize() > 0);
      suspendedAs = Optional.of(next);
      return next.encode();
    } finally {
      finish();
    }
  }

  @Override
  public void complete() throws IOException {
    requireOpen();
    try {
      awaitInFlight();
      if (base.tailSize() > 0 || appended) {
        openBuffer();
      }
      if (uploadId.isEmpty()) {
        // Everything fits in one part: a plain PUT, no multipart upload at all.
        long length = filling == null ? 0 : filling.buffer().size();
        RequestBody body =
            length == 0
                ? RequestBody.empty()
                : RequestBody.fromContentProvider(
                    filling.buffer()::newStream, length, CONTENT_TYPE);
        io(
            "PUT " + objectKey,
            () ->
                store
                    .puts()
                    .putObject(
                        b ->
                            b.bucket(store.config().bucket())
                                .key(objectKey)
                                .contentType(CONTENT_TYPE),
                        body));
      } else {
        if (filling != null && filling.buffer().size() > 0) {
          uploadPart();
        }
        List<CompletedPart> completed = completedParts();
        String id = uploadId.get();
        // The response's ETag is not used: Ceph RGW 16 answers an empty one.
        try {
          writeIo(
              "complete multipart " + objectKey,
              () ->
                  store
                      .s3()
                      .completeMultipartUpload(
                          b ->
                              b.bucket(store.config().bucket())
                                  .key(objectKey)
                                  .uploadId(id)
                                  .multipartUpload(m -> m.parts(completed))));
        } catch (IOException e) {
          if (partsLeftOut > 0) {
            throw new IOException(
                e.getMessage()
                    + " ("
                    + partsLeftOut
                    + " parts past part "
                    + parts
                    + " were uploaded"
                    + " by a request that died unsaved; S3 discards unlisted parts, but Ceph RGW 16"
                    + " refuses such a Complete, so this upload can only be aborted)",
                e);
          }
          throw e;
        }
      }
      deleteQuietly(tailKeysAround(base.generation()));
    } finally {
      finish();
    }
  }

  @Override
  public void abort() throws IOException {
    try {
      awaitInFlight();
    } catch (IOException e) {
      // the upload is being thrown away; a failed part changes nothing
    }
    finish();
    List<String> tails = new ArrayList<>(tailKeysAround(base.generation()));
    suspendedAs.ifPresent(t -> tails.addAll(tailKeysAround(t.generation())));
    if (uploadId.isPresent()) {
      abortUpload(uploadId.get());
    } else {
      abortOrphanedUploads();
    }
    store.deleteObjects(tails);
  }

  // ---- parts --------------------------------------------------------------------------------

  /** A part on its way to S3 on a background thread. */
  private record InFlight(int number, Future<?> upload, Slot slot) {}

  /** A part buffer and the budget memory it holds. */
  private record Slot(PartBuffer buffer, MemoryBudget.Reservation reservation) {
    void release() {
      buffer.release();
      reservation.close();
    }

    /**
     * For a part whose upload may still be reading the buffer (cancelled, not awaited): the memory
     * goes back to the budget, the buffer is never touched again.
     */
    void abandon() {
      reservation.close();
    }
  }

  /**
   * Sends the full buffer as the next part. When the budget has memory for another part right now,
   * the upload runs in the background while the next part fills, so the client is not paused for
   * every part; otherwise (budget spent) it runs here, and the client waits: backpressure. At most
   * {@link S3StoreConfig#partsInFlight()} parts of a write are in flight.
   */
  private void handOff() throws IOException {
    createUploadIfNeeded();
    if (inFlight.size() >= store.config().partsInFlight()) {
      awaitOldest();
    }
    Slot next = spares.pollFirst();
    if (next == null) {
      Optional<MemoryBudget.Reservation> more = store.memoryBudget().tryReserve(partSize);
      if (more.isPresent()) {
        next = new Slot(new PartBuffer(partSize), more.get());
      } else if (!inFlight.isEmpty()) {
        awaitOldest();
        next = spares.pollFirst();
      }
    }
    if (next == null) {
      uploadPart();
      return;
    }
    int number = parts + 1;
    Slot full = filling;
    Future<?> upload =
        store
            .partUploads()
            .submit(
                () -> {
                  sendPart(number, full.buffer());
                  return null;
                });
    inFlight.addLast(new InFlight(number, upload, full));
    parts = number;
    filling = next;
  }

  /** Waits for every part in flight. Rethrows the first failure. */
  private void awaitInFlight() throws IOException {
    IOException failed = null;
    while (!inFlight.isEmpty()) {
      try {
        awaitOldest();
      } catch (InterruptedIOException e) {
        throw e;
      } catch (IOException e) {
        if (failed == null) {
          failed = e;
        }
      }
    }
    if (failed != null) {
      throw failed;
    }
  }

  /** Waits for the oldest part in flight; its buffer becomes a spare. Rethrows its failure. */
  private void awaitOldest() throws IOException {
    InFlight waited = inFlight.pollFirst();
    try {
      waited.upload().get();
    } catch (InterruptedException e) {
      waited.upload().cancel(true);
      waited.slot().abandon();
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while part " + waited.number() + " uploaded");
    } catch (ExecutionException e) {
      recycle(waited);
      throw e.getCause() instanceof IOException io
          ? io
          : new IOException(
              "part " + waited.number() + " of " + objectKey + " failed", e.getCause());
    }
    recycle(waited);
  }

  /** A finished upload's buffer and memory become a spare for a next part. */
  private void recycle(InFlight done) {
    done.slot().buffer().clear();
    spares.addLast(done.slot());
  }

  private void createUploadIfNeeded() throws IOException {
    if (uploadId.isPresent()) {
      return;
    }
    abortOrphanedUploads();
    String created =
        io(
            "create multipart " + objectKey,
            () ->
                store
                    .s3()
                    .createMultipartUpload(
                        b ->
                            b.bucket(store.config().bucket())
                                .key(objectKey)
                                .contentType(CONTENT_TYPE))
                    .uploadId());
    if (created == null || created.isEmpty()) {
      throw new IOException("S3 created a multipart upload for " + objectKey + " without an id");
    }
    uploadId = Optional.of(created);
  }

  private void sendPart(int number, PartBuffer part) throws IOException {
    long length = part.size();
    String id = uploadId.orElseThrow();
    writeIo(
        "upload part " + number + " of " + objectKey,
        () ->
            store
                .s3()
                .uploadPart(
                    b ->
                        b.bucket(store.config().bucket())
                            .key(objectKey)
                            .uploadId(id)
                            .partNumber(number)
                            .contentLength(length),
                    RequestBody.fromContentProvider(part::newStream, length, CONTENT_TYPE)));
  }

  /** Sends the buffer as the next part on this thread. */
  private void uploadPart() throws IOException {
    createUploadIfNeeded();
    int number = parts + 1;
    sendPart(number, filling.buffer());
    parts = number;
    filling.buffer().clear();
  }

  /**
   * Parts 1 to {@link #parts} as S3 lists them, checked: each is there with the size this write
   * gave it. Parts past {@link #parts} belong to requests that died before their suspend and are
   * left out, which makes S3 discard them.
   */
  private List<CompletedPart> completedParts() throws IOException {
    String id = uploadId.orElseThrow();
    Part[] byNumber = new Part[parts + 1];
    writeIo(
        "list parts of " + objectKey,
        () -> {
          for (Part part :
              store
                  .s3()
                  .listPartsPaginator(
                      b -> b.bucket(store.config().bucket()).key(objectKey).uploadId(id))
                  .parts()) {
            Integer number = part.partNumber();
            if (number != null && number >= 1 && number <= parts) {
              byNumber[number] = part;
            } else {
              partsLeftOut++;
            }
          }
          return null;
        });
    List<CompletedPart> completed = new ArrayList<>(parts);
    for (int number = 1; number <= parts; number++) {
      Part part = byNumber[number];
      if (part == null) {
        throw new IOException("part " + number + " of " + objectKey + " is missing in S3");
      }
      long expected = number < parts ? partSize : size - (long) (parts - 1) * partSize;
      if (part.size() != null && part.size() != expected) {
        throw new IOException(
            "part "
                + number
                + " of "
                + objectKey
                + " has "
                + part.size()
                + " bytes, expected "
                + expected);
      }
      completed.add(CompletedPart.builder().partNumber(number).eTag(part.eTag()).build());
    }
    return completed;
  }

  private void abortUpload(String id) throws IOException {
    io(
        "abort multipart " + objectKey,
        () -> {
          try {
            return store
                .s3()
                .abortMultipartUpload(
                    b -> b.bucket(store.config().bucket()).key(objectKey).uploadId(id));
          } catch (S3Exception e) {
            if (e.statusCode() == 404) {
              return null; // already gone (Ceph says NoSuchKey, AWS NoSuchUpload)
            }
            throw e;
          }
        });
  }

  /**
   * A request that died after its first full part created a multipart upload that no saved token
   * names. Before creating one, or when aborting a write whose token has none, such uploads of this
   * key are aborted so their parts stop costing.
   */
  private void abortOrphanedUploads() throws IOException {
    List<String> orphans = new ArrayList<>();
    io(
        "list multipart uploads of " + objectKey,
        () -> {
          for (MultipartUpload upload :
              store
                  .s3()
                  .listMultipartUploadsPaginator(
                      b -> b.bucket(store.config().bucket()).prefix(objectKey))
                  .uploads()) {
            if (objectKey.equals(upload.key())) {
              orphans.add(upload.uploadId());
            }
          }
          return null;
        });
    for (String orphan : orphans) {
      abortUpload(orphan);
    }
  }

  // ---- buffer and memory --------------------------------------------------------------------

  /** Reserves a part's memory and loads the tail the token left, once per write. */
  private void openBuffer() throws IOException {
    if (filling != null) {
      return;
    }
    MemoryBudget.Reservation reserved = store.memoryBudget().reserve(partSize);
    try {
      PartBuffer fresh = new PartBuffer(partSize);
      if (base.tailSize() > 0) {
        loadTail(fresh);
      }
      filling = new Slot(fresh, reserved);
    } catch (IOException | RuntimeException e) {
      reserved.close();
      throw e;
    }
  }

  private void loadTail(PartBuffer into) throws IOException {
    String tailKey = store.tailKey(key, base.generation());
    long loaded =
        writeIo(
            "GET tail " + tailKey,
            () -> {
              try (ResponseInputStream<GetObjectResponse> in =
                  store.s3().getObject(b -> b.bucket(store.config().bucket()).key(tailKey))) {
                long n = into.fill((InputStream) in);
                if (in.read() >= 0) {
                  in.abort();
                  return -1L;
                }
                return n;
              } catch (S3Exception e) {
                if (e.statusCode() == 404) {
                  throw new NoSuchFileException(
                      tailKey, null, "the tail of " + key + " is gone from S3: the write is gone");
                }
                throw e;
              }
            });
    if (loaded != base.tailSize()) {
      throw new IOException(
          "the tail of "
              + key
              + " holds "
              + (loaded < 0 ? "more than a part" : loaded + " bytes")
              + ", its token says "
              + base.tailSize());
    }
  }

  /** Gives back every byte of memory; callers have awaited any part in flight first. */
  private void finish() {
    finished = true;
    // Only after a failure to await them: let them end on their own, then free their memory.
    for (InFlight orphan : inFlight) {
      orphan.upload().cancel(true);
      orphan.slot().abandon();
    }
    inFlight.clear();
    if (filling != null) {
      filling.release();
      filling = null;
    }
    spares.forEach(Slot::release);
    spares.clear();
  }

  private void requireOpen() throws IOException {
    if (finished) {
      throw new IOException("multipart write of " + key + " is no longer open");
    }
  }

  /**
   * The tails a write around {@code generation} may have left: the one before (not yet deleted),
   * its own, and the next (written by a request that died after its suspend, before its session was
   * saved).
   */
  private List<String> tailKeysAround(int generation) {
    List<String> keys = new ArrayList<>(3);
    for (int g = Math.max(1, generation - 1); g <= generation + 1; g++) {
      keys.add(store.tailKey(key, g));
    }
    return keys;
  }

  private void deleteQuietly(List<String> objectKeys) {
    try {
      store.deleteObjects(objectKeys);
    } catch (IOException e) {
      S3Store.warn("could not delete tail objects of " + key, e);
    }
  }
}
