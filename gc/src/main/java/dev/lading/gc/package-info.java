/**
 * Online mark-and-sweep garbage collection over the storage SPI, safe while any number of instances
 * push to the same store. Imports core only: no HTTP, no S3 SDK, no JWT.
 *
 * <h2>What is kept</h2>
 *
 * Per repository: every tag's manifest; every child of a kept index; every referrer whose subject
 * is kept (to a fixpoint). Kept blobs are the config and layers of kept manifests, plus the kept
 * manifests themselves (they are blobs). <b>Untagged manifests are kept by default</b>: clients
 * push index children and referrers by digest only and pull by digest ({@code skopeo copy} by
 * digest, signatures, SBOMs), so an untagged manifest is not garbage by itself. With {@code
 * deleteUntagged} they are swept once older than the grace period (and not reachable from a tag).
 * Swept: manifest links and their referrer entries, layer links no kept manifest of that repository
 * references (older than the grace period: a layer pushed before its manifest survives), blob
 * records no repository still links to (with their data), data objects no record and no live upload
 * session points to, and upload sessions older than the upload expiry (their multipart writes
 * aborted, which on S3 aborts the multipart upload).
 *
 * <h2>Retention</h2>
 *
 * With retention policies ({@link dev.lading.gc.RetentionPolicy}, the server's {@code
 * policies.retention}), a run starts, after its fence delay and its listing, with {@link
 * dev.lading.gc.Retention}: it removes the tags no policy keeps (fenced by tag marks, see that
 * class) and tells the mark which untagged manifests expired; the mark leaves those unrooted unless
 * a kept index or subject needs them, and the sweep removes them and what only they referenced,
 * under the intents and re-checks below like any candidate. The decisions ({@link
 * dev.lading.gc.RetentionPlan}) come from the listing alone, so a dry run decides what the real run
 * does. "Last pulled" comes from the instances' pull records (core's {@code PullLog}), at most one
 * flush interval stale.
 *
 * <h2>The fence (why a push in flight never loses a blob)</h2>
 *
 * Both sides write first, then read what the other wrote; the store has read-after-write
 * consistency (filesystem, S3, Ceph RGW).
 *
 * <ul>
 *   <li><b>Sweeper:</b> announces the run ({@code gc/runs/<id>}), waits the fence delay (longer
 *       than the pushers' run-cache TTL), marks, then for every candidate digest writes an intent
 *       {@code gc/intents/<digest>} (S1) that names what may go: the digest's links in the
 *       repositories listed, and the blob itself only when no live link or reference is left
 *       anywhere. It re-reads the marks {@code gc/marks/<digest>} and the links it is about to
 *       delete (S2), clears at once the intents of what that saved, deletes what nobody touched
 *       since the cutoff (S3, links before records before data), and clears the remaining intents
 *       (S4).
 *   <li><b>Pusher</b> (core's {@code GcFence}): commit, mount and manifest {@code PUT} into
 *       repository R write a mark for each digest they need when a run is active (P1), then read
 *       the intents (P2), then re-check existence in the store (P3; a link may come from the cache
 *       below, which no deletion outlives), then write (P4). An intent <em>concerns</em> R when it
 *       deletes the blob or its link in R; one that only removes a dead link in another repository
 *       concerns nobody in R. {@code HEAD} does P1/P2 while a run is known and answers 404 for a
 *       digest with an intent concerning R.
 *   <li><b>Puller:</b> a blob {@code GET} consults no intent and is never refused because a run is
 *       active; while one is, it writes a mark (once per run, digest and instance), so a run that
 *       has not re-checked yet keeps what is being pulled.
 * </ul>
 *
 * Take a candidate digest D and a pusher into R that needs it. If P1 came before S2, the sweeper
 * sees the mark (its time is after the cutoff) and keeps D and, transitively, everything a kept
 * manifest references. If the intent does not concern R, the run deletes neither D nor R's link to
 * it, whatever the order. Otherwise S1 &lt; S2 &lt; P1 &lt; P2, so the pusher sees the intent: a
 * manifest {@code PUT} <em>waits</em> (a bounded time) until the intent is cleared, which happens
 * at S2 for a saved candidate and at S4 after the deletes for a doomed one, and then P3 tells
 * which: it proceeds when the blob and its link are there, and answers {@code
 * MANIFEST_BLOB_UNKNOWN} only when the run really deleted them (the client re-uploads and retries),
 * or when the sweep did not settle in time; a mount reports the blob unmountable (the client
 * uploads); a {@code HEAD} answers 404; an upload commit waits until the intent is gone (S4) or its
 * deadline passed, and only then writes its record, so the fresh copy is never the one swept. If P2
 * comes after S4, the blob is already gone and P3 sees it gone. After S4 the run deletes nothing
 * more. There is no interleaving in which a manifest is written pointing at a swept blob or link. A
 * pull, which writes nothing a manifest depends on, needs no such order: it is served from a link
 * that exists when it starts; a run deletes a link only when no kept manifest of that repository
 * references it, so an image whose tag does not move is never pulled through a link a run deletes.
 *
 * <p><b>Why marks are written only while a run is active, and why a stale cache is safe:</b> a
 * pusher learns of runs from {@code gc/runs/} cached for a few seconds (TTL), so in the weeks
 * without GC a {@code HEAD} costs no extra store call. A pusher holding a cached "no run" that is
 * younger than the TTL read it before the run was announced, and the sweeper starts marking only
 * after the fence delay (&gt; TTL): whatever such a pusher writes before its cache turns TTL old
 * lands before the mark reads, and is seen as a link, manifest or young record. Before its final
 * write (P4) a fenced operation whose "no run" answer has aged past the TTL re-reads the runs and,
 * if one appeared, writes its marks and reads the intents then. A {@code HEAD} served from a stale
 * "no run" may confirm a blob that is swept a moment later; the manifest {@code PUT} that follows
 * then fails with {@code MANIFEST_BLOB_UNKNOWN} and the retry re-uploads, which costs a retry and
 * never an image.
 *
 * <p><b>Assumptions</b>, as in every lease-based protocol: a process is not paused for longer than
 * the fence delay's margin between its last check and its write, nor for longer than the grace
 * period between writing an upload's data and its record; the store's clock (object times) is the
 * one both sides compare (the run's start is the run object's store time). Intents carry a
 * deadline: a crashed sweeper blocks a commit at most until then, and a sweeper that reaches its
 * deletes too close to the deadline gives up and leaves them to the next run.
 *
 * <h2>Runs</h2>
 *
 * A run holds no state between runs and can be stopped anywhere: re-running finds the same
 * candidates; expired intents of a crashed run are cleared at the next run's start; a run object
 * expires by itself. <b>One run at a time per store:</b> two overlapping runs are not safe
 * together, because {@code gc/intents/<digest>} is one key per digest and each run clears its
 * candidates' intents when done, so one run could remove an intent the other still relies on while
 * a pusher reads it. A run writes its run object and then lists the runs; seeing another active
 * one, it deletes its own and stands down ({@link
 * dev.lading.gc.GarbageCollector.AnotherRunActive}). Of two overlapping runs the later lister
 * always sees the other (both may stand down, which only delays GC). The run object is a lease: a
 * live run rewrites it every quarter of {@code GarbageCollector.RUN_LEASE} (two minutes, or intent
 * TTL plus grace when shorter) with a later {@code expiresAt}, so pushers keep marking however long
 * the run takes, and a run whose renewals fail deletes nothing. A killed run's object stops
 * counting within one lease, so it blocks pushers' commits at most until its intents' deadline and
 * other runs at most one lease; the test {@code aRunKilledAfterItsIntentsBlocksNobodyForLong...}
 * kills one after its intents and shows a restarted run loses nothing reachable. Dry-run announces
 * nothing, deletes nothing and reports the same set a real run would sweep ({@link
 * dev.lading.gc.GcStats}). Blob-record caches in core re-read the store where a swept record could
 * otherwise be served (a link goes before its record).
 *
 * <p><b>Links cached by instances.</b> On S3 an instance answers a link check (P3 among them) from
 * the links it wrote or read itself when no run is known (core's {@code LinkCache}). The sweep
 * writes a new link epoch {@code gc/link-epoch} before it deletes the first link and again after
 * its deletes; an instance trusts a cached link only under the epoch it was seen under, read less
 * than a second ago and never before its read of the runs. So a link the sweep deleted is never
 * answered from a cache, even by an instance that made no request during the whole run and never
 * saw it (the argument, case by case, is in {@code LinkCache}).
 *
 * <h2>Dead writes</h2>
 *
 * Upload sessions older than the upload expiry are aborted through their multipart write. Residue
 * no session names (a request that died after creating an S3 multipart upload, the tails of its
 * suspends, a staged file on the filesystem) is removed through {@code
 * ObjectStore.sweepAbandonedWrites}, for write keys of no live session and older than the cutoff: a
 * session listed by the mark names its key; one started later has residue younger than the run's
 * start.
 *
 * <h2>Scale</h2>
 *
 * Ages come from listings, never from a stat per key: {@code ObjectStore.listWithInfo} answers each
 * key's time with it (S3's ListObjectsV2 does; the filesystem store reads the attributes while
 * walking), so layer links, manifest links, blob records, marks and data are aged as they are
 * listed. Listings are walked by {@link dev.lading.gc.ParallelListing}: directory-like prefixes one
 * level at a time ({@code ObjectStore.listLevel}, S3's delimiter listing), so each repository is
 * listed under its own prefix, blob records and data, which the layout spreads over 256 shards
 * each, shard by shard with no call over their parent, and flat directories split by the next
 * character when a page is truncated, all in parallel under one bound. This matters on servers
 * whose cost per listing call grows with everything under the prefix (S3Proxy's filesystem backend
 * walks and stats the whole prefix for every 1,000-key page), and on S3 it turns a sequential chain
 * of pages into parallel calls. The re-check after the intents reads the marks with one listing
 * (after the intents were written, as S2 requires; the stores list with read-after-write
 * consistency) and the candidates' links by re-listing a repository's links when that takes fewer
 * calls than a stat per link. Listed times are at least as fine as a stat's (S3 lists milliseconds
 * where HEAD answers seconds), so a link or mark written after the cutoff still reads as young.
 *
 * <p>Independent store calls (manifest reads, tag reads, record reads, intent writes) run on
 * virtual threads, {@link dev.lading.gc.GarbageCollector#DEFAULT_PARALLELISM} at a time ({@link
 * dev.lading.gc.BoundedCalls}). A manifest costs two reads (record, body; its link only when the
 * body does not name its media type). Only records that are not live are read for the sweep. Live
 * records matter only to the stray-data pass, and are read only when there is more unexplained data
 * than live records: each live record points at its own data object, so as many unexplained data
 * keys as live records means no stray (skipping can only miss a stray, never delete live data).
 * {@code bench/}'s {@code GcBench} prints mark and sweep time for 100,000 blobs and 10,000
 * manifests, and the store calls per kind.
 *
 * <p>Waiting (the fence delay, lease renewals, a commit waiting out an intent in core's {@code
 * GcFence}) goes through an injected {@code dev.lading.core.registry.Pause}, so tests drive it
 * instead of sleeping. The fence delay is {@code gc.fence_delay_seconds} (15 s by default; the
 * configuration refuses anything not above the pushers' 5 s run cache).
 */
package dev.lading.gc;
