package dev.lading.storage.s3;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.storage.BlobSource;
import dev.lading.core.storage.MultipartWrite;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the S3 store must do beyond the SPI contract: parts, tails, the memory budget, resume in
 * another instance, abort, big objects. Subclasses say which S3 server; every test starts with a
 * fresh key prefix and ends checking that no multipart upload and no object is left there.
 */
abstract class S3StoreBehaviour {
  static final long PART = S3StoreConfig.MIN_PART_SIZE;

  /** A configuration for a fresh, empty prefix; 5 MiB parts. */
  protected abstract S3StoreConfig config(String name);

  private S3Store store;

  /**
   * Whether Complete may leave uploaded parts out (S3 then discards them). AWS, S3Proxy and MinIO
   * allow it; Ceph RGW 16 answers 400 InvalidPart unless every uploaded part is listed.
   */
  protected boolean discardsUnlistedParts() {
    return true;
  }

  protected S3Store open(S3StoreConfig config) {
    store = S3Store.create(config);
    return store;
  }

  @AfterEach
  void nothingIsLeft() {
    if (store != null) {
      S3Store opened = store;
      try (opened) {
        assertThat(S3Targets.pendingUploads(store)).as("multipart uploads left").isEmpty();
        assertThat(S3Targets.allObjects(store)).as("objects left").isEmpty();
      }
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** Deterministic content: byte i of the object is a function of i alone. */
  static byte byteAt(long i) {
    return (byte) ((i * 31) ^ (i >>> 13));
  }

  /** Appends bytes {@code [from, to)} of the deterministic content in 256 KiB buffers. */
  static void append(MultipartWrite write, long from, long to, MessageDigest digest)
      throws IOException {
    byte[] chunk = new byte[256 * 1024];
    long at = from;
    while (at < to) {
      int n = (int) Math.min(chunk.length, to - at);
      for (int i = 0; i < n; i++) {
        chunk[i] = byteAt(at + i);
      }
      if (digest != null) {
        digest.update(chunk, 0, n);
      }
      write.write(ByteBuffer.wrap(chunk, 0, n));
      at += n;
    }
  }

  static String sha256Of(S3Store store, String key, long offset, long length) throws IOException {
    MessageDigest digest = sha256();
    try (BlobSource source = store.openRange(key, offset, length);
        InputStream in = ((BlobSource.StreamSource) source).stream()) {
      byte[] buffer = new byte[256 * 1024];
      long total = 0;
      int n;
      while ((n = in.read(buffer)) > 0) {
        digest.update(buffer, 0, n);
        total += n;
      }
      assertThat(total).isEqualTo(length);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  static String expectedSha256(long from, long to) throws IOException {
    MessageDigest digest = sha256();
    byte[] chunk = new byte[256 * 1024];
    for (long at = from; at < to; ) {
      int n = (int) Math.min(chunk.length, to - at);
      for (int i = 0; i < n; i++) {
        chunk[i] = byteAt(at + i);
      }
      digest.update(chunk, 0, n);
      at += n;
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  static List<String> tails(S3Store store) {
    return S3Targets.allObjects(store).stream()
        .filter(k -> k.startsWith(StorageLayout.S3_TAILS))
        .toList();
  }

  // ---- tests --------------------------------------------------------------------------------

  /**
   * Create-if-absent is a conditional PUT once the store has checked, on a probe object of its own,
   * that the server refuses one on an existing key; the probe leaves nothing behind (checked after
   * each test).
   */
  @Test
  void createIfAbsentKeepsTheFirstContentAndTheServerProbeLeavesNothing() throws Exception {
    S3Store s3 = open(config("if-absent"));
    assertThat(s3.writeIfAbsent("m/a", "first".getBytes(UTF_8))).isTrue();
    assertThat(s3.writeIfAbsent("m/a", "second".getBytes(UTF_8))).isFalse();
    assertThat(s3.writeIfAbsent("m/b", new byte[0])).isTrue();
    assertThat(s3.writeIfAbsent("m/b", new byte[0])).isFalse();
    assertThat(s3.read("m/a"))
        .hasValueSatisfying(v -> assertThat(v).asString(UTF_8).isEqualTo("first"));
    assertThat(s3.list("", Optional.empty(), 10).keys()).containsExactly("m/a", "m/b");
    s3.delete(List.of("m/a", "m/b"));
  }

  @Test
  void resumedInAFreshInstanceContinuesAndCompletes() throws Exception {
    S3StoreConfig config = config("resume");
    S3Store first = open(config);
    MultipartWrite write = first.startMultipart("data/resumed");
    long split = PART + 2 * S3StoreConfig.MIB + 100; // one part and a tail
    append(write, 0, split, null);
    String token = write.suspend();
    assertThat(token.length()).as("token stays small").isLessThan(400);
    assertThat(S3Targets.pendingUploads(first)).hasSize(1);
    assertThat(tails(first)).hasSize(1);

    long size = split + 4 * S3StoreConfig.MIB + 7;
    try (S3Store other = S3Store.create(config)) {
      MultipartWrite next = other.resumeMultipart("data/resumed", token);
      assertThat(next.size()).isEqualTo(split);
      append(next, split, size, null);
      next.complete();
    }
    assertThat(first.stat("data/resumed"))
        .hasValueSatisfying(i -> assertThat(i.size()).isEqualTo(size));
    assertThat(sha256Of(first, "data/resumed", 0, size)).isEqualTo(expectedSha256(0, size));
    assertThat(tails(first)).isEmpty();
    first.delete(List.of("data/resumed"));
  }

  @Test
  void tailIsCarriedAcrossManySuspendsAndInstances() throws Exception {
    S3StoreConfig config = config("tails");
    S3Store home = open(config);
    S3Store away = S3Store.create(config);
    try (away) {
      String token = home.startMultipart("data/t").suspend();
      long at = 0;
      // 3 MiB + 1 per request: tails of every size, parts filled from tails and fresh bytes.
      long step = 3 * S3StoreConfig.MIB + 1;
      for (int request = 0; request < 6; request++) {
        S3Store instance = request % 2 == 0 ? home : away;
        MultipartWrite write = instance.resumeMultipart("data/t", token);
        assertThat(write.size()).isEqualTo(at);
        append(write, at, at + step, null);
        at += step;
        token = write.suspend();
        assertThat(tails(home)).as("tail objects kept at once").hasSizeBetween(1, 2);
      }
      away.resumeMultipart("data/t", token).complete();
    }
    assertThat(sha256Of(home, "data/t", 0, 6 * (3 * S3StoreConfig.MIB + 1)))
        .isEqualTo(expectedSha256(0, 6 * (3 * S3StoreConfig.MIB + 1)));
    assertThat(tails(home)).isEmpty();
    home.delete(List.of("data/t"));
  }

  @Test
  void objectsOfZeroBytesOneByteAndExactlyOnePartComplete() throws Exception {
    S3Store s3 = open(config("sizes"));
    for (long size : new long[] {0, 1, PART, PART + 1, 2 * PART}) {
      String key = "data/size-" + size;
      MultipartWrite write = s3.startMultipart(key);
      append(write, 0, size, null);
      s3.resumeMultipart(key, write.suspend()).complete();
      assertThat(s3.stat(key)).hasValueSatisfying(i -> assertThat(i.size()).isEqualTo(size));
      assertThat(sha256Of(s3, key, 0, size)).isEqualTo(expectedSha256(0, size));
      s3.delete(List.of(key));
    }
  }

  @Test
  void abortLeavesNoMultipartUploadAndNoObject() throws Exception {
    S3Store s3 = open(config("abort"));
    MultipartWrite write = s3.startMultipart("data/a");
    append(write, 0, 2 * PART + 1234, null);
    String token = write.suspend();
    assertThat(S3Targets.pendingUploads(s3)).hasSize(1);
    s3.resumeMultipart("data/a", token).abort();
    assertThat(S3Targets.pendingUploads(s3)).isEmpty();
    assertThat(S3Targets.allObjects(s3)).isEmpty();
    assertThat(s3.stat("data/a")).isEmpty();
  }

  @Test
  void uploadStartedByARequestThatDiedIsAbortedWithTheWrite() throws Exception {
    S3Store s3 = open(config("orphan"));
    MultipartWrite write = s3.startMultipart("data/o");
    append(write, 0, 100, null);
    String token = write.suspend(); // a tail, no multipart upload yet
    MultipartWrite dying = s3.resumeMultipart("data/o", token);
    append(dying, 100, PART + 100, null); // fills a part: creates an upload no token names
    assertThat(S3Targets.pendingUploads(s3)).hasSize(1);
    // the request dies: no suspend
    s3.resumeMultipart("data/o", token).abort();
    assertThat(S3Targets.pendingUploads(s3)).isEmpty();
  }

  @Test
  void partsOfARequestThatDiedAreLeftOutOfTheObject() throws Exception {
    Assumptions.assumeTrue(
        discardsUnlistedParts(),
        "this server refuses a Complete that leaves uploaded parts out (Ceph RGW 16: InvalidPart)");
    S3Store s3 = open(config("dead-parts"));
    MultipartWrite write = s3.startMultipart("data/d");
    append(write, 0, PART + 10, null);
    String token = write.suspend();
    MultipartWrite dying = s3.resumeMultipart("data/d", token);
    for (int i = 0; i < 3; i++) { // parts 2 to 4, of other bytes
      dying.write(ByteBuffer.wrap(new byte[(int) PART]));
    }
    // dies; the session retries from its saved token and finishes with one more byte
    MultipartWrite retry = s3.resumeMultipart("data/d", token);
    append(retry, PART + 10, PART + 11, null);
    retry.complete();
    assertThat(sha256Of(s3, "data/d", 0, PART + 11)).isEqualTo(expectedSha256(0, PART + 11));
    s3.delete(List.of("data/d"));
  }

  @Test
  void writePastTenThousandPartsIsRefused() throws Exception {
    S3Store s3 = open(config("limit"));
    String full =
        new ResumeToken(Optional.of("some-upload"), PART, S3StoreConfig.MAX_PARTS, 0, 1, false)
            .encode();
    MultipartWrite write = s3.resumeMultipart("data/full", full);
    assertThat(write.size()).isEqualTo(PART * S3StoreConfig.MAX_PARTS);
    assertThatThrownBy(() -> write.write(ByteBuffer.wrap(new byte[1])))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("10000 parts");
    assertThat(s3.memoryBudget().available()).isEqualTo(s3.memoryBudget().capacity());
  }

  @Test
  void memoryBudgetMakesAWriteWaitInsteadOfAllocating() throws Exception {
    S3Store s3 = open(config("budget").withMemoryBudget(PART));
    MemoryBudget budget = s3.memoryBudget();
    MultipartWrite holder = s3.startMultipart("data/holder");
    holder.write(ByteBuffer.wrap(new byte[] {1}));
    assertThat(budget.available()).isZero();

    MultipartWrite waiter = s3.startMultipart("data/waiter");
    CompletableFuture<Void> blocked =
        CompletableFuture.runAsync(
            () -> {
              try {
                waiter.write(ByteBuffer.wrap(new byte[] {2}));
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!budget.hasWaiters()) {
      assertThat(System.nanoTime()).as("second write reached the budget").isLessThan(deadline);
      Thread.onSpinWait();
    }
    assertThat(blocked).isNotDone();
    assertThat(budget.available()).isZero();

    String token = holder.suspend(); // gives its part back
    blocked.get(30, TimeUnit.SECONDS);
    assertThat(budget.available()).isZero();
    String waiterToken = waiter.suspend();
    assertThat(budget.available()).isEqualTo(PART);

    s3.resumeMultipart("data/holder", token).abort();
    s3.resumeMultipart("data/waiter", waiterToken).abort();
  }

  /**
   * A write keeps S3 busy with up to {@code partsInFlight} parts while the next fills, and holds
   * exactly that much budget: a part buffer stays reserved as a spare once its upload is done, so
   * what the write holds does not depend on how fast S3 answered.
   */
  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3})
  void aWriteHoldsOnePartFillingAndItsPartsInFlightAndLandsEveryByte(int partsInFlight)
      throws Exception {
    S3Store s3 =
        open(
            config("depth" + partsInFlight)
                .withMemoryBudget(8 * PART)
                .withPartsInFlight(partsInFlight));
    long size = 5 * PART + 7;
    MessageDigest pushed = sha256();
    MultipartWrite write = s3.startMultipart("data/deep");
    append(write, 0, size, pushed);
    assertThat(s3.memoryBudget().available()).isEqualTo((8L - 1 - partsInFlight) * PART);
    write.complete();
    assertThat(s3.memoryBudget().available()).isEqualTo(8 * PART);
    assertThat(sha256Of(s3, "data/deep", 0, size))
        .isEqualTo(HexFormat.of().formatHex(pushed.digest()));
    s3.delete(List.of("data/deep"));
  }

  @Test
  void rangedReadsSpanWindowsAndParts() throws Exception {
    S3Store s3 = open(config("ranges").withReadWindow(64 * 1024));
    long size = 2 * PART + 333;
    MultipartWrite write = s3.startMultipart("data/r");
    append(write, 0, size, null);
    write.complete();
    long from = PART - 100_000;
    long length = 300_001; // across the part boundary, over several 64 KiB windows
    assertThat(sha256Of(s3, "data/r", from, length)).isEqualTo(expectedSha256(from, from + length));
    assertThat(sha256Of(s3, "data/r", size - 1, 1)).isEqualTo(expectedSha256(size - 1, size));
    s3.delete(List.of("data/r"));
  }

  @Test
  void replacedObjectFailsAReadInsteadOfSplicingTwoContents() throws Exception {
    S3Store s3 = open(config("replaced").withReadWindow(64 * 1024));
    byte[] one = new byte[256 * 1024];
    byte[] two = new byte[256 * 1024];
    Arrays.fill(two, (byte) 7);
    s3.write("small/x", one);
    try (BlobSource source = s3.openRange("small/x", 0, one.length);
        InputStream in = ((BlobSource.StreamSource) source).stream()) {
      assertThat(in.readNBytes(1000)).containsOnly(0);
      s3.write("small/x", two);
      assertThatThrownBy(() -> in.readAllBytes()).isInstanceOf(IOException.class);
    }
    s3.delete(List.of("small/x"));
  }

  @Test
  void fewHundredMebibytesStreamThroughInSmallPartsUnderASmallBudget() throws Exception {
    S3StoreConfig config = config("big").withMemoryBudget(2 * PART);
    S3Store s3 = open(config);
    long size = 300 * S3StoreConfig.MIB + 12_345;
    MessageDigest pushed = sha256();
    MultipartWrite write = s3.startMultipart("data/big");
    long at = 0;
    long request = 64 * S3StoreConfig.MIB + 3; // chunk requests never on a part boundary
    while (at < size) {
      long to = Math.min(size, at + request);
      append(write, at, to, pushed);
      at = to;
      write = s3.resumeMultipart("data/big", write.suspend());
    }
    write.complete();
    assertThat(s3.memoryBudget().available()).isEqualTo(2 * PART);
    assertThat(sha256Of(s3, "data/big", 0, size))
        .isEqualTo(HexFormat.of().formatHex(pushed.digest()));
    s3.delete(List.of("data/big"));
  }
}
