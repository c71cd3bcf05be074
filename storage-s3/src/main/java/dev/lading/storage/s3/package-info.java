/**
 * The S3 store: core's storage SPI over one bucket of AWS S3, Ceph RGW, MinIO or S3Proxy, with the
 * AWS SDK for Java v2 (sync client, Apache HTTP). Imports core's SPI, and from core's layout only
 * the name of its private area; nothing of the registry's rules, no Netty. The server builds it
 * with {@link dev.lading.storage.s3.S3Store#create} from a validated {@link
 * dev.lading.storage.s3.S3StoreConfig}.
 *
 * <h2>Records point at data: commit copies nothing</h2>
 *
 * An upload streams into an S3 multipart upload at {@code data/<uuid[:2]>/<uuid>}, a key chosen
 * when the upload starts, before its digest is known. Commit completes that multipart upload in
 * place and the registry writes the small {@code blobs/<alg>/<hex[:2]>/<hex>} record pointing at it
 * (core's {@code dev.lading.core.layout}); the bytes never move. A 20 GB layer is never copied
 * inside the bucket, as Distribution's "move" does, and a second upload of an existing blob deletes
 * its own data.
 *
 * <h2>Part size</h2>
 *
 * Every part has the same size but the last (some S3-compatible stores refuse unequal parts), fixed
 * per upload in its resume token. The default, 32 MiB, lets 10,000 parts hold 312.5 GiB, so a 100
 * GB layer needs about 3,000 parts while one upload buffers at most 32 MiB. The size is bounded to
 * 5 MiB (S3's smallest non-final part; S3Proxy and AWS enforce it at Complete) and 128 MiB (S3Proxy
 * buffers a signed non-chunked body up to that, and a part is held in memory). A write that would
 * need part 10,001 fails with an IOException.
 *
 * <h2>The memory budget</h2>
 *
 * Part buffers of all writes of a store come from one {@link dev.lading.storage.s3.MemoryBudget}. A
 * write reserves a whole part before its first byte (so no set of half-filled writes can deadlock
 * waiting for each other's memory) and returns it on suspend, complete or abort. When the budget is
 * spent, {@code write} blocks; the server's request thread stops draining the body and TCP pushes
 * back on the client. Memory is bounded by the budget, never by the number of uploads or their
 * size.
 *
 * <p>While a part fills, up to {@code parts_in_flight} (default 2) earlier parts of the same write
 * upload in the background, each with memory taken from the budget only if it is free at that
 * moment ({@code tryReserve}): with spare memory a push keeps S3 busy, without it the write uploads
 * in line and the client waits, so the budget never deadlocks. With one part in flight S3 was never
 * idle, but each part went slower than the SDK alone's while the client's stream took CPU; two at
 * once took a 4 GiB push into S3Proxy from 82–93 % to 98–100 % of the SDK alone. The default budget
 * is a quarter of the heap, at most 1 GiB, and never less than one write's full depth (three 32 MiB
 * parts). Reads hold no buffers of their own: {@link dev.lading.storage.s3.RangedObjectStream}
 * passes bytes from bounded {@code Range: bytes=a-b} GETs (8 MiB windows by default) straight to
 * the caller.
 *
 * <h2>Suspend, the tail object, resume anywhere</h2>
 *
 * A chunked upload's requests end anywhere, not on part boundaries. {@code suspend()} uploads every
 * full part and stores the rest (less than a part) as a small object at {@code
 * <prefix>+tails/<key>/<generation>}; the resume token (under 200 bytes: upload id, part size,
 * parts, tail size, generation) lets any instance, after any restart, read the tail back into its
 * buffer and go on. Part ETags are not kept: ListParts gives them at complete, which also checks
 * that every part is there with the size this store gave it. Each suspend that adds bytes writes
 * the next generation's tail and deletes the one two generations back, so the previous token stays
 * usable until the session has saved the new one. No caller key starts with {@code +}, which sorts
 * before every key character, so listings skip tails with one {@code start-after}. Nothing is ever
 * written to a local file.
 *
 * <p>The multipart upload itself is created lazily, when the first part is full: objects smaller
 * than a part (configs, small layers, empty blobs) complete as one plain PUT. A request that dies
 * after creating an upload no saved token names leaves an orphan; it is aborted when the session
 * next creates one or aborts. Parts uploaded by a dead request past the saved part count are left
 * out of Complete, which makes S3 discard them. Residue a crash can still leave (a tail of a
 * suspend whose session was never saved, an orphan of a session never touched again) is small; a
 * bucket lifecycle rule {@code AbortIncompleteMultipartUpload} and online GC (issue #6, sweeping
 * {@code +tails/} of sessions that no longer exist) remove it.
 *
 * <h2>Pulls: what a HEAD costs, what is cached, redirects</h2>
 *
 * A blob {@code HEAD} (and the check before a {@code GET}) costs one S3 {@code HEAD} of the
 * repository's link and nothing more: core caches blob records ({@code blobs/<digest>}, written
 * once, content-addressed) in Caffeine, and GC's run state for a few seconds. Links are not cached,
 * on purpose: they are mutable across instances (a {@code DELETE} on another instance, GC's sweep)
 * and a {@code HEAD} is how a client decides to skip an upload, so a cached "linked" would answer
 * 200 for a blob another instance unlinked (the manifest {@code PUT} would then fail). A cached
 * record can outlive its data when GC sweeps a blob that is pushed again under a new data key; the
 * streaming {@code GET} sees the missing data and re-reads the record, and the redirect path reads
 * the record fresh for that reason (one small GET).
 *
 * <p>With {@code storage.s3.redirect} a blob {@code GET} is answered {@code 307} to a SigV4
 * presigned URL of the data object ({@link dev.lading.storage.s3.S3Store#presignedGet}, signed
 * locally, no S3 call); the client re-sends its {@code Range} there. {@code HEAD} is never
 * redirected. The data object holds exactly the blob's bytes, so the URL serves the blob as is.
 *
 * <h2>Conditional writes</h2>
 *
 * {@code writeIfAbsent} PUTs with {@code If-None-Match: *}, which AWS, S3Proxy, MinIO and Ceph RGW
 * answer with 412 when the key exists: one request. The store checks that once, on a probe object
 * of its own ({@code +probes/}), the first time it needs it; on a server that ignores the header it
 * HEADs first, which lets the later of two writers racing between HEAD and PUT win; blob records of
 * the same digest then differ only in which data key they point at, and core deletes the loser's
 * data, so such a server must not be used with several instances.
 *
 * <h2>What Ceph RGW 16 needs</h2>
 *
 * Flexible checksums only when required ({@code when_required}, the default): RGW answers 400 to
 * the SDK's default CRC32 trailers on PutObject and UploadPart. {@code Content-MD5} on
 * DeleteObjects (the SDK's {@code LegacyMd5Plugin}). Path-style addressing. The ETag of
 * CompleteMultipartUpload is never used (RGW answers an empty one), and a 404 from
 * AbortMultipartUpload is taken as already aborted (RGW says NoSuchKey, AWS NoSuchUpload). Found by
 * running the suites against RGW 16.2.15: an empty {@code aws-chunked} PUT fails with
 * XAmzContentSHA256Mismatch, so whole-object PUTs go through a second client that signs the full
 * payload (parts stay chunk-signed and streamed); and Complete must list every part ever uploaded
 * (gaps in numbering are fine, leaving one out is InvalidPart), so parts a dead request uploaded
 * past what the retry reaches make that upload impossible to complete on RGW. The store reports
 * that plainly. Core avoids it for the common case, a request whose body breaks off (client or
 * network gone): it keeps the bytes that arrived, saving the session with this store's token and
 * the hash state at exactly that offset, so every uploaded part is named by the saved token. What
 * remains is a request refused after its bytes reached S3 (a chunked body longer or shorter than
 * its {@code Content-Range}) or one whose suspend itself failed; on RGW such an upload cannot
 * complete and the client must start it again.
 */
package dev.lading.storage.s3;
