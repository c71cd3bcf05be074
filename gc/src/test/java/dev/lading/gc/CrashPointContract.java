package dev.lading.gc;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.BlobRecordKey;
import dev.lading.core.layout.StorageLayout.LayerLinkKey;
import dev.lading.core.layout.StorageLayout.ManifestLinkKey;
import dev.lading.core.layout.StorageLayout.ReferrerKey;
import dev.lading.core.layout.StorageLayout.TagKey;
import dev.lading.core.layout.StoredValues.BlobRecord;
import dev.lading.core.layout.StoredValues.TagTarget;
import dev.lading.core.model.Digest;
import dev.lading.core.model.DigestAlgorithm;
import dev.lading.core.model.MediaTypes;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import dev.lading.core.model.UploadId;
import dev.lading.core.registry.Descriptor;
import dev.lading.core.registry.GcFence;
import dev.lading.core.registry.RegistryContract;
import dev.lading.core.registry.RegistryOptions;
import dev.lading.core.registry.StoreRegistry;
import dev.lading.core.storage.BlobSource;
import dev.lading.core.storage.CrashingStore;
import dev.lading.core.storage.KeyPage;
import dev.lading.core.storage.ObjectStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Crash-point testing of every multi-step write, abstract over the store so every store runs it.
 *
 * <p>For each operation (a blob pushed in one request, a chunked upload, a mount, a manifest put
 * with its tag and referrer entry, the deletes, a cancelled upload, a GC run), the operation is
 * first run to count the store changes it makes, N. Then, for every k from 0 to N, a fresh store
 * gets the operation's setup (acknowledged pushes), the operation runs on a {@link CrashingStore}
 * that lets k changes through and stops the world at the next one (tearing it where a real crash
 * can), and the store is opened again as a fresh process would. Then:
 *
 * <ol>
 *   <li>the store's invariants hold: every blob record names data that hashes to its digest, every
 *       link and tag names something that exists, every referrer entry a linked manifest;
 *   <li>everything acknowledged before the crash is intact;
 *   <li>the client, which never saw an answer, retries as real clients do (the same request, then
 *       the rest; {@code BLOB_UPLOAD_UNKNOWN} restarts an upload) and the operation completes, with
 *       no store error on the way: a crash must never leave a state that answers {@code 5xx} until
 *       someone cleans up;
 *   <li>a GC run succeeds afterwards and what the client holds still pulls; {@link
 *       #assertOnlyCollectableResidue} checks what the store is left holding.
 * </ol>
 *
 * <p>A second test runs seeded random sequences of these operations with a crash at a random
 * change; its failure message names the seed that reproduces it.
 */
public abstract class CrashPointContract {
  static final RepositoryName APP = RepositoryName.parse("team/app");
  static final RepositoryName OTHER = RepositoryName.parse("team/other");
  private static final Duration HOUR = Duration.ofHours(1);

  /** A new, empty store. */
  protected abstract ObjectStore newStore() throws Exception;

  /** Another instance over the same data, as a restarted process opens it. */
  protected abstract ObjectStore reopen(ObjectStore store) throws Exception;

  /** What a small write leaves when the process dies inside it; nothing by default. */
  protected CrashingStore.TornWrite tornWrite(ObjectStore store) {
    return (key, content) -> {};
  }

  /** Bytes of the chunked upload: its chunks should span the store's internal units. */
  protected int chunkedBlobBytes() {
    return 600_000;
  }

  /**
   * After a final GC run whose clock is an hour ahead (every session expired): what the store may
   * still hold must be residue GC collects once it is old enough. Stores check their own private
   * areas; the registry's keys are checked by {@link #assertInvariants}.
   */
  protected void assertOnlyCollectableResidue(ObjectStore store) throws Exception {}

  /**
   * Every how many crash points one runs: 1, every point, on the filesystem and S3Proxy. A store
   * whose round trips are slow may take a stride; the last two points (the final change and after
   * it) always run.
   */
  protected int crashPointStride() {
    return 1;
  }

  /** Random sequences run by {@link #randomSequencesWithCrashesLoseNothing}. */
  protected int randomSequences() {
    return 12;
  }

  // ---- the operations -----------------------------------------------------------------------

  @Test
  void monolithicPush() throws Exception {
    everyCrashPoint(c -> {}, () -> new MonolithicPush(APP, content("mono", 70_000)));
  }

  @Test
  void chunkedUpload() throws Exception {
    everyCrashPoint(
        c -> {}, () -> new ChunkedUpload(APP, content("chunked", chunkedBlobBytes()), 3));
  }

  @Test
  void chunkedUploadOfABlobThatExists() throws Exception {
    byte[] blob = content("twice", 50_000);
    everyCrashPoint(
        c -> c.perform(new MonolithicPush(OTHER, blob)), () -> new ChunkedUpload(APP, blob, 2));
  }

  @Test
  void mount() throws Exception {
    byte[] blob = content("mounted", 40_000);
    everyCrashPoint(
        c -> c.perform(new MonolithicPush(APP, blob)), () -> new Mount(OTHER, APP, blob));
  }

  @Test
  void manifestPutWithTagAndSubject() throws Exception {
    everyCrashPoint(
        c -> c.perform(new PushImage(APP, "base", "base", null)),
        () -> new PushImage(APP, "sig", "signature", "base"));
  }

  @Test
  void manifestPutMovingATag() throws Exception {
    everyCrashPoint(
        c -> c.perform(new PushImage(APP, "v1", "first", null)),
        () -> new PushImage(APP, "v1", "second", null));
  }

  @Test
  void manifestPutByDigestMovingSeveralTags() throws Exception {
    // ?tag=v1&tag=v2&tag=v3: separate tag writes. A crash between them leaves some tags moved,
    // each on a complete manifest (checked while the push is in flight), and the retry moves all.
    everyCrashPoint(
        c -> {
          c.perform(new PushImage(APP, "v1", "first", null));
          c.perform(new PushImage(APP, "v2", "first", null));
        },
        () -> new PushImageWithTags(APP, List.of("v1", "v2", "v3"), "second"));
  }

  @Test
  void manifestDeleteWithItsTagsAndReferrerEntry() throws Exception {
    everyCrashPoint(
        c -> {
          c.perform(new PushImage(APP, "base", "base", null));
          c.perform(new PushImage(APP, "sig", "signature", "base"));
          c.perform(new PushImage(APP, "sig-again", "signature", "base"));
        },
        () -> new DeleteManifest(APP, "sig"));
  }

  @Test
  void tagDelete() throws Exception {
    everyCrashPoint(
        c -> c.perform(new PushImage(APP, "v1", "first", null)), () -> new DeleteTag(APP, "v1"));
  }

  @Test
  void blobDelete() throws Exception {
    byte[] blob = content("unlinked", 10_000);
    everyCrashPoint(c -> c.perform(new MonolithicPush(APP, blob)), () -> new DeleteBlob(APP, blob));
  }

  @Test
  void uploadCancel() throws Exception {
    everyCrashPoint(c -> {}, () -> new CancelledUpload(APP, content("cancelled", 30_000)));
  }

  @Test
  void gcSweep() throws Exception {
    everyCrashPoint(
        c -> {
          c.perform(new PushImage(APP, "kept", "kept", null));
          c.perform(new PushImage(APP, "doomed", "doomed", null));
          c.perform(new PushImage(OTHER, "doomed-too", "doomed", null));
          c.perform(new DeleteManifest(APP, "doomed"));
          c.perform(new DeleteManifest(OTHER, "doomed-too"));
          c.perform(new MonolithicPush(APP, content("loose", 5_000)));
          // With no grace, what the run sweeps depends on which objects are older than its start:
          // let the store's clock (coarse on some stores) pass them all, so every attempt sweeps
          // the same and the crash points line up with the counting run's.
          storeClockMovesOn(c.crashing.delegate());
        },
        GcRun::new);
  }

  @Test
  void randomSequencesWithCrashesLoseNothing() throws Exception {
    for (int i = 0; i < randomSequences(); i++) {
      long seed = 0x1ad1_0000L + i;
      try {
        randomSequence(seed);
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError(
            "random sequence with seed " + seed + " failed: " + e.getMessage(), e);
      }
    }
  }

  private void randomSequence(long seed) throws Exception {
    Random random = new Random(seed);
    List<Supplier<Op>> kinds =
        List.of(
            () ->
                new MonolithicPush(
                    pick(random), content("r" + random.nextInt(6), 1000 + random.nextInt(90_000))),
            () ->
                new ChunkedUpload(
                    pick(random),
                    content("c" + random.nextInt(6), 1000 + random.nextInt(chunkedBlobBytes())),
                    1 + random.nextInt(3)),
            () ->
                new PushImage(pick(random), "t" + random.nextInt(4), "i" + random.nextInt(5), null),
            () -> new DeleteTag(pick(random), "t" + random.nextInt(4)),
            () -> new DeleteManifest(pick(random), "t" + random.nextInt(4)),
            () -> new Mount(pick(random), pick(random), content("r" + random.nextInt(6), 1000)),
            GcRun::new);
    List<Op> ops = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      ops.add(kinds.get(random.nextInt(kinds.size())).get());
    }
    // Count the changes of the whole sequence once, then crash at a random one of them.
    Client counting = new Client(newStore(), Long.MAX_VALUE);
    for (Op op : ops) {
      counting.perform(op.fresh());
    }
    long total = counting.crashing.changes();
    counting.close();
    long survive = random.nextLong(total + 1);

    Client client = new Client(newStore(), survive);
    Op crashed = null;
    for (Op op : ops) {
      Op fresh = op.fresh();
      try {
        client.perform(fresh);
      } catch (Throwable e) {
        rethrowUnlessCrash(e);
        crashed = fresh;
        break;
      }
    }
    Client after = client.restart();
    try {
      if (crashed != null) {
        after.checkEverything(
            "after the crash (" + client.crashedAt().orElse("none") + ")", crashed);
      }
      if (crashed != null) {
        after.retry(crashed);
      }
      after.checkEverything("after the retry");
      after.finalGc();
    } finally {
      after.close();
    }
  }

  private static RepositoryName pick(Random random) {
    return random.nextBoolean() ? APP : OTHER;
  }

  // ---- the harness --------------------------------------------------------------------------

  private interface Setup {
    void run(Client client) throws Exception;
  }

  private void everyCrashPoint(Setup setup, Supplier<Op> operation) throws Exception {
    Client counting = new Client(newStore(), Long.MAX_VALUE);
    setup.run(counting);
    long before = counting.crashing.changes();
    counting.perform(operation.get());
    long changes = counting.crashing.changes() - before;
    counting.checkEverything("without a crash");
    counting.close();
    assertThat(changes).as("the operation changes the store").isPositive();

    System.out.printf(
        "crash points on %s: %d (every store change of the operation, and after it)%s%n",
        getClass().getSimpleName(),
        changes + 1,
        crashPointStride() == 1 ? "" : ", one in " + crashPointStride() + " run");
    for (long k = 0; k <= changes; k++) {
      if (k % crashPointStride() != 0 && k < changes - 1) {
        continue;
      }
      Client client = new Client(newStore(), Long.MAX_VALUE);
      setup.run(client);
      client.arm(k);
      Op op = operation.get();
      boolean crashed;
      try {
        client.perform(op);
        crashed = false;
      } catch (Throwable e) {
        crashed = rethrowUnlessCrash(e);
      }
      // A GC run's change count may differ by one from the counting run (whether its re-check
      // saved something depends on object times), so only the points before the last must crash.
      if (k + 1 < changes) {
        assertThat(crashed).as("crash point %d of %d", k, changes).isTrue();
      }
      String where =
          "crash point "
              + k
              + " of "
              + changes
              + " ("
              + client.crashedAt().orElse("no crash")
              + ")";
      Client after = client.restart();
      try {
        after.checkEverything(where, op);
        if (crashed) {
          after.retry(op);
        }
        after.checkEverything(where + ", after the retry");
        after.finalGc();
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError(where + ": " + e.getMessage(), e);
      } finally {
        after.close();
      }
    }
  }

  /** What the client was told: the pushes it saw acknowledged. */
  private static final class Ledger {
    /** repository:tag → the image the tag must pull. */
    final Map<String, Image> tags = new LinkedHashMap<>();

    /** Blobs acknowledged and neither deleted nor (possibly) collected since. */
    final Map<String, byte[]> looseBlobs = new HashMap<>();

    /** Manifests deleted with an acknowledgement: must stay gone. */
    final Set<String> deletedManifests = new HashSet<>();

    /** Referrers acknowledged: repository@subject → referrer digests. */
    final Map<String, Set<Digest>> referrers = new HashMap<>();

    Ledger copy() {
      Ledger copy = new Ledger();
      copy.tags.putAll(tags);
      copy.looseBlobs.putAll(looseBlobs);
      copy.deletedManifests.addAll(deletedManifests);
      referrers.forEach((k, v) -> copy.referrers.put(k, new HashSet<>(v)));
      return copy;
    }
  }

  private record Image(RepositoryName repo, Digest digest, byte[] body, List<byte[]> blobs) {}

  private static String at(RepositoryName repo, Object what) {
    return repo.value() + "@" + what;
  }

  /** A registry over a crashing store, the GC beside it and the client's ledger. */
  private final class Client {
    final CrashingStore crashing;
    final StoreRegistry registry;
    final Ledger ledger;
    final Clock gcClock;

    Client(ObjectStore store, long survive) {
      this(store, survive, new Ledger(), Clock.systemUTC());
    }

    private Client(ObjectStore store, long survive, Ledger ledger, Clock gcClock) {
      this.crashing = new CrashingStore(store, survive, tornWrite(store));
      GcFence fence = new GcFence(crashing, Clock.systemUTC(), Duration.ZERO, Duration.ofMillis(5));
      this.registry = new StoreRegistry(crashing, RegistryOptions.defaults(), fence);
      this.ledger = ledger;
      this.gcClock = gcClock;
    }

    private CrashingStore armedStore;
    private StoreRegistry armedRegistry;

    /**
     * Arms the crash for what follows: setup ran on the store that only counts, the operation runs
     * on one that lets {@code changes} changes through and crashes at the next.
     */
    void arm(long changes) {
      armedStore = new CrashingStore(crashing.delegate(), changes, tornWrite(crashing.delegate()));
      GcFence fence =
          new GcFence(armedStore, Clock.systemUTC(), Duration.ZERO, Duration.ofMillis(5));
      armedRegistry = new StoreRegistry(armedStore, RegistryOptions.defaults(), fence);
    }

    /** Runs {@code op}, then records what it acknowledged. */
    void perform(Op op) {
      op.run(this, armedRegistry != null ? armedRegistry : registry);
      op.acknowledged(ledger);
    }

    /** The store the operations change: the armed one once armed. */
    ObjectStore current() {
      return armedStore != null ? armedStore : crashing;
    }

    Optional<String> crashedAt() {
      return armedStore != null ? armedStore.crashedAt() : crashing.crashedAt();
    }

    /** A new process over the same data, knowing what this client was told. */
    Client restart() throws Exception {
      ObjectStore reopened = reopen(crashing.delegate());
      return new Client(reopened, Long.MAX_VALUE, ledger, Clock.offset(Clock.systemUTC(), HOUR));
    }

    void retry(Op op) {
      op.retry(this, registry);
      op.acknowledged(ledger);
    }

    GarbageCollector gc(ObjectStore store) {
      return new GarbageCollector(store, gcClock);
    }

    void checkEverything(String when) throws Exception {
      assertInvariants(crashing.delegate(), when);
      checkLedger(ledger, when);
    }

    /** As {@link #checkEverything} while {@code inFlight} got no answer yet. */
    void checkEverything(String when, Op inFlight) throws Exception {
      assertInvariants(crashing.delegate(), when);
      Ledger known = ledger.copy();
      inFlight.forgetInFlight(known);
      checkLedger(known, when);
    }

    /** Everything the client was told is there, and what it deleted stays gone. */
    void checkLedger(Ledger ledger, String when) throws Exception {
      for (Map.Entry<String, Image> e : ledger.tags.entrySet()) {
        Image image = e.getValue();
        String tag = e.getKey().substring(e.getKey().indexOf(':') + 1);
        var manifest = registry.getManifest(image.repo(), Tag.parse(tag));
        assertThat(manifest.digest()).as("%s: tag %s", when, e.getKey()).isEqualTo(image.digest());
        assertThat(manifest.body()).isEqualTo(image.body());
        for (byte[] blob : image.blobs()) {
          assertThat(
                  RegistryContract.readAll(
                      registry.openBlob(image.repo(), Digest.sha256(blob), Optional.empty())))
              .as("%s: a blob of %s", when, e.getKey())
              .isEqualTo(blob);
        }
      }
      for (Map.Entry<String, byte[]> e : ledger.looseBlobs.entrySet()) {
        RepositoryName repo =
            RepositoryName.parse(e.getKey().substring(0, e.getKey().indexOf('@')));
        assertThat(
                RegistryContract.readAll(
                    registry.openBlob(repo, Digest.sha256(e.getValue()), Optional.empty())))
            .as("%s: blob %s", when, e.getKey())
            .isEqualTo(e.getValue());
      }
      for (String deleted : ledger.deletedManifests) {
        RepositoryName repo = RepositoryName.parse(deleted.substring(0, deleted.indexOf('@')));
        Digest digest = Digest.parse(deleted.substring(deleted.indexOf('@') + 1));
        assertCode(
            () -> registry.getManifest(repo, digest),
            ErrorCode.MANIFEST_UNKNOWN,
            when + ": deleted " + deleted);
      }
      for (Map.Entry<String, Set<Digest>> e : ledger.referrers.entrySet()) {
        RepositoryName repo =
            RepositoryName.parse(e.getKey().substring(0, e.getKey().indexOf('@')));
        Digest subject = Digest.parse(e.getKey().substring(e.getKey().indexOf('@') + 1));
        assertThat(registry.referrers(repo, subject, Optional.empty()).manifests())
            .extracting(Descriptor::digest)
            .as("%s: referrers of %s", when, e.getKey())
            .containsAll(e.getValue());
      }
    }

    /** GC an hour later (every session expired) runs, and what the client holds still pulls. */
    void finalGc() throws Exception {
      GcOptions options =
          GcOptions.defaults()
              .withGrace(Duration.ZERO)
              .withFenceDelay(Duration.ZERO)
              .withUploadExpiry(Duration.ZERO);
      gc(crashing.delegate()).run(options);
      ledger.looseBlobs.clear(); // unreferenced blobs may go now
      assertInvariants(crashing.delegate(), "after the final GC");
      checkLedger(ledger, "after the final GC");
      assertOnlyCollectableResidue(crashing.delegate());
    }

    void close() throws IOException {
      crashing.delegate().close();
    }
  }

  // ---- operations as a client performs them -------------------------------------------------

  /**
   * One thing a client does. {@link #run} is the first attempt; {@link #retry} is what the client
   * does after the registry died under it (it never saw an answer); either may throw only a {@link
   * RegistryException} the client knows how to act on, never a store failure.
   */
  private abstract static class Op {
    abstract void run(Client client, StoreRegistry registry);

    void retry(Client client, StoreRegistry registry) {
      run(client, registry);
    }

    /** Records, once the operation answered, what the client may now rely on. */
    abstract void acknowledged(Ledger ledger);

    /**
     * Drops from {@code ledger} what this operation, while in flight, may or may not have changed
     * yet (a tag being moved or deleted): the client cannot know, so no check may.
     */
    void forgetInFlight(Ledger ledger) {}

    /** A copy without the client-side progress of an earlier attempt (for the random runs). */
    abstract Op fresh();
  }

  /** An operation that ends with {@code blob} linked in {@code repo}. */
  private abstract static class BlobPushOp extends Op {
    final RepositoryName repo;
    final byte[] blob;

    BlobPushOp(RepositoryName repo, byte[] blob) {
      this.repo = repo;
      this.blob = blob;
    }

    @Override
    void acknowledged(Ledger ledger) {
      ledger.looseBlobs.put(at(repo, Digest.sha256(blob)), blob);
    }
  }

  private static final class MonolithicPush extends BlobPushOp {
    MonolithicPush(RepositoryName repo, byte[] blob) {
      super(repo, blob);
    }

    @Override
    void run(Client client, StoreRegistry registry) {
      registry.putBlob(
          repo, Digest.sha256(blob), new ByteArrayInputStream(blob), OptionalLong.of(blob.length));
    }

    @Override
    Op fresh() {
      return new MonolithicPush(repo, blob);
    }
  }

  /**
   * POST, PATCH per chunk, PUT with the last chunk. After a crash the client retries the request
   * that got no answer: a PATCH after asking the session's offset (re-sending from there), the
   * closing PUT as it was; {@code BLOB_UPLOAD_UNKNOWN} at any point restarts the upload.
   */
  private static final class ChunkedUpload extends BlobPushOp {
    final int chunks;
    UploadId id;

    /** The offset the client last saw acknowledged. */
    long acked;

    ChunkedUpload(RepositoryName repo, byte[] blob, int chunks) {
      super(repo, blob);
      this.chunks = chunks;
    }

    private long boundary(int i) {
      return (long) blob.length * i / (chunks + 1);
    }

    @Override
    void run(Client client, StoreRegistry registry) {
      id = null;
      acked = 0;
      id = registry.startUpload(repo).id();
      continueFrom(registry, 0);
    }

    private void continueFrom(StoreRegistry registry, long offset) {
      acked = offset;
      for (int i = 1; i <= chunks; i++) {
        long end = boundary(i);
        if (end <= acked) {
          continue;
        }
        acked =
            registry
                .appendToUpload(
                    repo,
                    id,
                    OptionalLong.of(acked),
                    slice(acked, end),
                    OptionalLong.of(end - acked))
                .offset();
        assertThat(acked).isEqualTo(end);
      }
      registry.completeUpload(
          repo,
          id,
          Digest.sha256(blob),
          OptionalLong.of(acked),
          slice(acked, blob.length),
          OptionalLong.of(blob.length - acked));
    }

    private InputStream slice(long from, long to) {
      return new ByteArrayInputStream(Arrays.copyOfRange(blob, (int) from, (int) to));
    }

    @Override
    void retry(Client client, StoreRegistry registry) {
      if (id == null) {
        run(client, registry); // the POST got no answer: start again
        return;
      }
      try {
        long offset = registry.uploadStatus(repo, id).offset();
        continueFrom(registry, offset);
      } catch (RegistryException e) {
        if (e.code() != ErrorCode.BLOB_UPLOAD_UNKNOWN) {
          throw e;
        }
        run(client, registry);
      }
    }

    @Override
    Op fresh() {
      return new ChunkedUpload(repo, blob, chunks);
    }
  }

  /** A cross-repository mount, or the upload a client falls back to when it is refused. */
  private static final class Mount extends BlobPushOp {
    final RepositoryName from;

    Mount(RepositoryName repo, RepositoryName from, byte[] blob) {
      super(repo, blob);
      this.from = from;
    }

    @Override
    void run(Client client, StoreRegistry registry) {
      if (registry.mountBlob(repo, Digest.sha256(blob), Optional.of(from)).isEmpty()) {
        // Not mountable (not there, or being swept): the client uploads it.
        registry.putBlob(
            repo,
            Digest.sha256(blob),
            new ByteArrayInputStream(blob),
            OptionalLong.of(blob.length));
      }
    }

    @Override
    Op fresh() {
      return new Mount(repo, from, blob);
    }
  }

  /**
   * Config and layer blobs, then the manifest by tag; with a subject, the manifest refers to the
   * image tagged {@code subjectTag} (a signature), which makes a referrer entry.
   */
  private static final class PushImage extends Op {
    final RepositoryName repo;
    final String tag;
    final String name;
    final String subjectTag;
    Image image;
    Digest subject;

    PushImage(RepositoryName repo, String tag, String name, String subjectTag) {
      this.repo = repo;
      this.tag = tag;
      this.name = name;
      this.subjectTag = subjectTag;
    }

    @Override
    void run(Client client, StoreRegistry registry) {
      List<byte[]> blobs =
          List.of(
              ("{\"architecture\":\"amd64\",\"name\":\"" + name + "\"}").getBytes(UTF_8),
              content(name + " layer", 20_000));
      for (byte[] blob : blobs) {
        registry.putBlob(
            repo,
            Digest.sha256(blob),
            new ByteArrayInputStream(blob),
            OptionalLong.of(blob.length));
      }
      String extra = "";
      subject = null;
      if (subjectTag != null) {
        var base = registry.getManifest(repo, Tag.parse(subjectTag));
        subject = base.digest();
        extra =
            ",\"subject\":"
                + GcContract.descriptor(MediaTypes.OCI_MANIFEST, base.digest(), base.body().length);
      }
      byte[] body = GcContract.manifest(blobs, extra);
      Digest digest =
          registry.putManifest(repo, Tag.parse(tag), MediaTypes.OCI_MANIFEST, body).digest();
      image = new Image(repo, digest, body, blobs);
    }

    @Override
    void acknowledged(Ledger ledger) {
      ledger.tags.put(repo.value() + ":" + tag, image);
      ledger.deletedManifests.remove(at(repo, image.digest()));
      if (subject != null) {
        ledger
            .referrers
            .computeIfAbsent(at(repo, subject), k -> new HashSet<>())
            .add(image.digest());
      }
    }

    @Override
    void forgetInFlight(Ledger ledger) {
      ledger.tags.remove(repo.value() + ":" + tag);
    }

    @Override
    Op fresh() {
      return new PushImage(repo, tag, name, subjectTag);
    }
  }

  /** A push by digest with {@code ?tag=} parameters: every tag set by one request. */
  private static final class PushImageWithTags extends Op {
    final RepositoryName repo;
    final List<String> tags;
    final String name;
    Image image;

    PushImageWithTags(RepositoryName repo, List<String> tags, String name) {
      this.repo = repo;
      this.tags = tags;
      this.name = name;
    }

    @Override
    void run(Client client, StoreRegistry registry) {
      List<byte[]> blobs =
          List.of(
              ("{\"architecture\":\"amd64\",\"name\":\"" + name + "\"}").getBytes(UTF_8),
              content(name + " layer", 20_000));
      for (byte[] blob : blobs) {
        registry.putBlob(
            repo,
            Digest.sha256(blob),
            new ByteArrayInputStream(blob),
            OptionalLong.of(blob.length));
      }
      byte[] body = GcContract.manifest(blobs, "");
      Digest digest =
          registry
              .putManifest(
                  repo,
                  Digest.sha256(body),
                  tags.stream().map(Tag::parse).toList(),
                  MediaTypes.OCI_MANIFEST,
                  body)
              .digest();
      image = new Image(repo, digest, body, blobs);
    }

    @Override
    void acknowledged(Ledger ledger) {
      for (String tag : tags) {
        ledger.tags.put(repo.value() + ":" + tag, image);
      }
      ledger.deletedManifests.remove(at(repo, image.digest()));
    }

    @Override
    void forgetInFlight(Ledger ledger) {
      for (String tag : tags) {
        ledger.tags.remove(repo.value() + ":" + tag);
      }
    }

    @Override
    Op fresh() {
      return new PushImageWithTags(repo, tags, name);
    }
  }

  /** Deletes the manifest a tag names, by digest; {@code MANIFEST_UNKNOWN} on a retry is done. */
  private static final class DeleteManifest extends Op {
    final RepositoryName repo;
    final String tag;
    Digest digest;

    DeleteManifest(RepositoryName repo, String tag) {
      this.repo = repo;
      this.tag = tag;
    }

    @Override
    void run(Client client, StoreRegistry registry) {
      if (digest == null) {
        try {
          digest = registry.getManifest(repo, Tag.parse(tag)).digest();
        } catch (RegistryException e) {
          if (e.code() != ErrorCode.MANIFEST_UNKNOWN) {
            throw e;
          }
          return; // nothing to delete
        }
      }
      ignoring(ErrorCode.MANIFEST_UNKNOWN, () -> registry.deleteManifest(repo, digest));
    }

    @Override
    void acknowledged(Ledger ledger) {
      if (digest == null) {
        return;
      }
      ledger.tags.values().removeIf(i -> i.repo().equals(repo) && i.digest().equals(digest));
      ledger.deletedManifests.add(at(repo, digest));
      ledger.referrers.values().forEach(r -> r.remove(digest));
    }

    @Override
    void forgetInFlight(Ledger ledger) {
      ledger.tags.remove(repo.value() + ":" + tag);
      if (digest != null) {
        ledger.tags.values().removeIf(i -> i.repo().equals(repo) && i.digest().equals(digest));
        ledger.referrers.values().forEach(r -> r.remove(digest));
      }
    }

    @Override
    Op fresh() {
      return new DeleteManifest(repo, tag);
    }
  }

  private static final class DeleteTag extends Op {
    final RepositoryName repo;
    final String tag;

    DeleteTag(RepositoryName repo, String tag) {
      this.repo = repo;
      this.tag = tag;
    }

    @Override
    void run(Client client, StoreRegistry registry) {
      ignoring(ErrorCode.MANIFEST_UNKNOWN, () -> registry.deleteManifest(repo, Tag.parse(tag)));
    }

    @Override
    void acknowledged(Ledger ledger) {
      ledger.tags.remove(repo.value() + ":" + tag);
    }

    @Override
    void forgetInFlight(Ledger ledger) {
      acknowledged(ledger);
    }

    @Override
    Op fresh() {
      return new DeleteTag(repo, tag);
    }
  }

  private static final class DeleteBlob extends Op {
    final RepositoryName repo;
    final byte[] blob;

    DeleteBlob(RepositoryName repo, byte[] blob) {
      this.repo = repo;
      this.blob = blob;
    }

    @Override
    void run(Client client, StoreRegistry registry) {
      ignoring(ErrorCode.BLOB_UNKNOWN, () -> registry.deleteBlob(repo, Digest.sha256(blob)));
    }

    @Override
    void acknowledged(Ledger ledger) {
      ledger.looseBlobs.remove(at(repo, Digest.sha256(blob)));
    }

    @Override
    void forgetInFlight(Ledger ledger) {
      acknowledged(ledger);
    }

    @Override
    Op fresh() {
      return new DeleteBlob(repo, blob);
    }
  }

  /** Starts an upload, sends half, cancels it; after the answer the session is unknown. */
  private static final class CancelledUpload extends Op {
    final RepositoryName repo;
    final byte[] blob;
    UploadId id;

    CancelledUpload(RepositoryName repo, byte[] blob) {
      this.repo = repo;
      this.blob = blob;
    }

    @Override
    void run(Client client, StoreRegistry registry) {
      id = registry.startUpload(repo).id();
      registry.appendToUpload(
          repo,
          id,
          OptionalLong.of(0),
          new ByteArrayInputStream(blob, 0, blob.length / 2),
          OptionalLong.of(blob.length / 2));
      registry.cancelUpload(repo, id);
      assertCode(() -> registry.uploadStatus(repo, id), ErrorCode.BLOB_UPLOAD_UNKNOWN, "cancelled");
    }

    @Override
    void retry(Client client, StoreRegistry registry) {
      if (id == null) {
        return; // never started, as far as the client knows
      }
      ignoring(ErrorCode.BLOB_UPLOAD_UNKNOWN, () -> registry.cancelUpload(repo, id));
      assertCode(() -> registry.uploadStatus(repo, id), ErrorCode.BLOB_UPLOAD_UNKNOWN, "cancelled");
    }

    @Override
    void acknowledged(Ledger ledger) {}

    @Override
    Op fresh() {
      return new CancelledUpload(repo, blob);
    }
  }

  /**
   * A GC run with no grace; the retry is the next scheduled run, after the crashed lease expired.
   */
  private static final class GcRun extends Op {
    @Override
    void run(Client client, StoreRegistry registry) {
      client
          .gc(client.current())
          .run(GcOptions.defaults().withGrace(Duration.ZERO).withFenceDelay(Duration.ZERO));
    }

    @Override
    void acknowledged(Ledger ledger) {
      ledger.looseBlobs.clear(); // unreferenced: GC may take them
    }

    @Override
    void forgetInFlight(Ledger ledger) {
      acknowledged(ledger);
    }

    @Override
    Op fresh() {
      return new GcRun();
    }
  }

  // ---- invariants ---------------------------------------------------------------------------

  /**
   * What no crash may break, read from the store itself: records name data that hashes to their
   * digest; tags, manifest links and layer links name records that exist; referrer entries name
   * manifests linked in their repository.
   */
  static void assertInvariants(ObjectStore store, String when) throws IOException {
    // One listing of every record (S3 lists flat; the filesystem walks), not one per shard.
    for (String key : allKeys(store, "blobs/")) {
      Optional<Digest> digest =
          StorageLayout.parse(key, BlobRecordKey.class).map(BlobRecordKey::digest);
      if (digest.isEmpty()) {
        continue;
      }
      Optional<byte[]> bytes = store.read(key);
      if (bytes.isEmpty()) {
        continue;
      }
      BlobRecord record = BlobRecord.read(bytes.get());
      if (record.dataKey().isPresent()) {
        assertThat(store.stat(StorageLayout.keyOf(record.dataKey().get())))
            .as("%s: data of %s", when, digest.get())
            .isPresent();
      }
      assertThat(hash(store, record))
          .as("%s: content of %s", when, digest.get())
          .isEqualTo(digest.get());
    }
    for (String key : allKeys(store, StorageLayout.repositoriesPrefix())) {
      switch (StorageLayout.parse(key).orElse(null)) {
        case TagKey tag -> {
          Optional<byte[]> target = store.read(key);
          if (target.isEmpty()) {
            continue;
          }
          Digest digest = TagTarget.read(target.get()).manifest();
          assertThat(store.stat(StorageLayout.keyOf(new ManifestLinkKey(tag.repository(), digest))))
              .as("%s: manifest link of tag %s", when, key)
              .isPresent();
          assertThat(store.stat(StorageLayout.keyOf(new BlobRecordKey(digest))))
              .as("%s: record of tag %s", when, key)
              .isPresent();
        }
        case LayerLinkKey link ->
            assertThat(store.stat(StorageLayout.keyOf(new BlobRecordKey(link.digest()))))
                .as("%s: record of link %s", when, key)
                .isPresent();
        case ManifestLinkKey link ->
            assertThat(store.stat(StorageLayout.keyOf(new BlobRecordKey(link.digest()))))
                .as("%s: record of link %s", when, key)
                .isPresent();
        case ReferrerKey entry ->
            assertThat(
                    store.stat(
                        StorageLayout.keyOf(
                            new ManifestLinkKey(entry.repository(), entry.referrer()))))
                .as("%s: manifest link of referrer entry %s", when, key)
                .isPresent();
        case null, default -> {}
      }
    }
  }

  private static Digest hash(ObjectStore store, BlobRecord record) throws IOException {
    var sha = DigestAlgorithm.SHA256.newMessageDigest();
    if (record.inline().isPresent()) {
      return Digest.of(DigestAlgorithm.SHA256, sha.digest(record.inline().get().bytes()));
    }
    try (BlobSource source =
        store.openRange(StorageLayout.keyOf(record.dataKey().orElseThrow()), 0, record.size())) {
      switch (source) {
        case BlobSource.FileSource f -> {
          ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
          long position = f.offset();
          while (position < f.offset() + f.length()) {
            buffer
                .clear()
                .limit((int) Math.min(buffer.capacity(), f.offset() + f.length() - position));
            int n = f.channel().read(buffer, position);
            if (n < 0) {
              break;
            }
            position += n;
            sha.update(buffer.flip());
          }
        }
        case BlobSource.StreamSource s -> sha.update(s.stream().readAllBytes());
      }
    }
    return Digest.of(DigestAlgorithm.SHA256, sha.digest());
  }

  static List<String> allKeys(ObjectStore store, String prefix) throws IOException {
    List<String> keys = new ArrayList<>();
    Optional<String> after = Optional.empty();
    while (true) {
      KeyPage page = store.list(prefix, after, 1000);
      keys.addAll(page.keys());
      if (!page.truncated() || page.keys().isEmpty()) {
        return keys;
      }
      after = Optional.of(page.keys().get(page.keys().size() - 1));
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** Deterministic bytes named by {@code name}, so a retry sends exactly what the first try did. */
  static byte[] content(String name, int size) {
    byte[] out = new byte[size];
    new Random(name.hashCode() * 31L + size).nextBytes(out);
    return out;
  }

  /**
   * True when {@code e} is the crash, however the code under test wrapped it (GC's parallel calls
   * wrap what a call threw); anything else is a real failure and is thrown on.
   */
  private static boolean rethrowUnlessCrash(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof CrashingStore.Crash) {
        return true;
      }
    }
    if (e instanceof Error error) {
      throw error;
    }
    throw e instanceof RuntimeException r ? r : new RuntimeException(e);
  }

  /** Waits (with a deadline) until the store stamps a new object later than everything so far. */
  static void storeClockMovesOn(ObjectStore store) throws IOException {
    String probe =
        StorageLayout.keyOf(new StorageLayout.DataKey("00000000-0000-0000-0000-000000000000"));
    store.write(probe, new byte[0]);
    Instant first = store.stat(probe).orElseThrow().lastModified();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      store.write(probe, new byte[0]);
      if (store.stat(probe).orElseThrow().lastModified().isAfter(first)) {
        store.delete(List.of(probe));
        return;
      }
    }
    throw new AssertionError("the store's clock did not move");
  }

  private static void ignoring(ErrorCode code, Runnable call) {
    try {
      call.run();
    } catch (RegistryException e) {
      if (e.code() != code) {
        throw e;
      }
    }
  }

  private static void assertCode(Runnable call, ErrorCode code, String what) {
    try {
      call.run();
    } catch (RegistryException e) {
      assertThat(e.code()).as(what).isEqualTo(code);
      return;
    }
    throw new AssertionError(what + ": expected " + code);
  }
}
