package dev.lading.core.registry;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.BlobRecordKey;
import dev.lading.core.layout.StorageLayout.LayerLinkKey;
import dev.lading.core.model.Digest;
import dev.lading.core.model.MediaTypes;
import dev.lading.core.model.Reference;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.policy.QuotaRule;
import dev.lading.core.policy.Quotas;
import dev.lading.core.policy.RepositoryGlob;
import dev.lading.core.storage.fs.FilesystemStore;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quotas where manifests are pushed, and the scan that derives usage from the store's links, over
 * the filesystem store (QuotasIT runs the same over HTTP on both stores).
 */
class QuotaLedgerTest {
  private static final RepositoryName APP = RepositoryName.parse("ml/app");
  private static final RepositoryName TOOL = RepositoryName.parse("ml/tool");
  private static final RepositoryName OTHER = RepositoryName.parse("web/site");
  private static final int LAYER = 1000;

  @TempDir Path dir;
  private FilesystemStore store;
  private StoreRegistry registry;

  @BeforeEach
  void open() throws Exception {
    store = new FilesystemStore(dir.resolve("root"));
    registry = new StoreRegistry(store, RegistryOptions.defaults());
  }

  @AfterEach
  void close() throws Exception {
    store.close();
  }

  private static QuotaRule quota(long bytes) {
    return new QuotaRule("policies.quotas[0]", List.of(RepositoryGlob.parse("ml/**")), bytes);
  }

  private void limit(long bytes) {
    registry.quotas(new Quotas(List.of(quota(bytes))));
    registry.scanQuotas();
  }

  private static byte[] layer(String marker) {
    byte[] b = new byte[LAYER];
    byte[] m = marker.getBytes(UTF_8);
    System.arraycopy(m, 0, b, 0, m.length);
    return b;
  }

  private Digest blob(RepositoryName repo, byte[] blob) {
    Digest d = Digest.sha256(blob);
    registry.putBlob(repo, d, new ByteArrayInputStream(blob), OptionalLong.of(blob.length));
    return d;
  }

  /** An image of one config (small) and the given layers, all pushed to {@code repo}. */
  private byte[] image(RepositoryName repo, String marker, byte[]... layers) {
    byte[] config = ("{\"architecture\":\"amd64\",\"m\":\"" + marker + "\"}").getBytes(UTF_8);
    Digest c = blob(repo, config);
    StringBuilder ls = new StringBuilder();
    for (byte[] l : layers) {
      Digest d = blob(repo, l);
      if (!ls.isEmpty()) {
        ls.append(',');
      }
      ls.append("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"")
          .append(d)
          .append("\",\"size\":")
          .append(l.length)
          .append('}');
    }
    return ("{\"schemaVersion\":2,\"mediaType\":\""
            + MediaTypes.OCI_MANIFEST
            + "\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
            + c
            + "\",\"size\":"
            + config.length
            + "},\"layers\":["
            + ls
            + "]}")
        .getBytes(UTF_8);
  }

  private static long sizeOf(byte[] manifest, String marker) {
    long config = ("{\"architecture\":\"amd64\",\"m\":\"" + marker + "\"}").length();
    return manifest.length + config;
  }

  private void put(RepositoryName repo, String tag, byte[] manifest) {
    registry.putManifest(repo, Reference.parse(tag), MediaTypes.OCI_MANIFEST, manifest);
  }

  private long used() {
    return registry.quotaUsage().get(0).usedBytes();
  }

  @Test
  void scanCountsABlobSharedByTwoRepositoriesUnderThePatternOnce() {
    byte[] shared = layer("shared");
    byte[] a = image(APP, "a", shared);
    put(APP, "1", a);
    registry.mountBlob(TOOL, Digest.sha256(shared), Optional.of(APP));
    byte[] b = image(TOOL, "b", shared);
    put(TOOL, "1", b);
    byte[] outside = image(OTHER, "o", layer("outside"));
    put(OTHER, "1", outside);

    limit(1_000_000);

    QuotaLedger.Usage usage = registry.quotaUsage().get(0);
    assertThat(usage.usedBytes()).isEqualTo(LAYER + sizeOf(a, "a") + sizeOf(b, "b"));
    assertThat(usage.blobs()).isEqualTo(5); // the shared layer, two configs, two manifests
    assertThat(usage.scannedAt()).isPresent();
  }

  @Test
  void uploadedBlobsNoManifestNamesDoNotCount() {
    blob(APP, layer("loose"));
    limit(1_000_000);
    assertThat(used()).isZero();
  }

  @Test
  void thePushThatCrossesTheLimitIsRefusedWithTheUsageAndNothingIsLinked() {
    byte[] first = image(APP, "a", layer("one"));
    // Uploaded while they fit (an upload that cannot fit is refused early, see below).
    byte[] second = image(APP, "b", layer("two"));
    long firstSize = LAYER + sizeOf(first, "a");
    limit(firstSize + LAYER / 2);
    put(APP, "1", first);
    assertThat(used()).isEqualTo(firstSize);

    assertThatThrownBy(() -> put(APP, "2", second))
        .isInstanceOfSatisfying(
            RegistryException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.DENIED);
              assertThat(e.getMessage())
                  .startsWith("quota policies.quotas[0] (ml/**): ")
                  .contains(" used; this push adds ");
              Map<?, ?> detail = (Map<?, ?>) e.detail();
              assertThat(detail.get("usedBytes")).isEqualTo(firstSize);
              assertThat(detail.get("addedBytes")).isEqualTo(LAYER + sizeOf(second, "b"));
            });
    assertThat(registry.listTags(APP, 10, Optional.empty()).items()).containsExactly("1");
    assertThat(used()).isEqualTo(firstSize);
    registry.scanQuotas();
    assertThat(used()).as("the refused manifest is linked nowhere").isEqualTo(firstSize);
  }

  @Test
  void aRePushOfCountedContentIsAcceptedAtTheLimit() {
    byte[] first = image(APP, "a", layer("one"));
    long firstSize = LAYER + sizeOf(first, "a");
    limit(firstSize);
    put(APP, "1", first);
    assertThat(used()).isEqualTo(firstSize);
    put(APP, "1", first);
    put(APP, "again", first);
    // Under the same pattern, another repository linking the same image adds nothing either.
    for (String d :
        List.of(
            Digest.sha256(layer("one")).toString(),
            Digest.sha256("{\"architecture\":\"amd64\",\"m\":\"a\"}".getBytes(UTF_8)).toString())) {
      registry.mountBlob(TOOL, Digest.parse(d), Optional.of(APP));
    }
    put(TOOL, "1", first);
    assertThat(used()).isEqualTo(firstSize);
    registry.scanQuotas();
    assertThat(used()).isEqualTo(firstSize);
  }

  @Test
  void aQuotaWithAnotherPatternIsNotTouched() {
    registry.quotas(
        new Quotas(
            List.of(
                new QuotaRule("policies.quotas[0]", List.of(RepositoryGlob.parse("web/**")), 10))));
    registry.scanQuotas();
    put(APP, "1", image(APP, "a", layer("one")));
    assertThat(used()).isZero();
  }

  @Test
  void usageDropsAtTheNextScanAfterGcDeletedTheLinks() throws Exception {
    byte[] first = image(APP, "a", layer("one"));
    byte[] second = image(APP, "b", layer("two"));
    limit(10_000);
    put(APP, "1", first);
    put(APP, "2", second);
    long both = 2L * LAYER + sizeOf(first, "a") + sizeOf(second, "b");
    assertThat(used()).isEqualTo(both);

    // What GC does to an untagged image: the manifest link, then layer links and records.
    registry.deleteManifest(APP, Reference.parse(Digest.sha256(second).toString()));
    Digest two = Digest.sha256(layer("two"));
    store.delete(
        List.of(
            StorageLayout.keyOf(new LayerLinkKey(APP, two)),
            StorageLayout.keyOf(new BlobRecordKey(two))));
    assertThat(used()).as("until the next scan").isEqualTo(both);

    registry.scanQuotas();
    assertThat(used()).isEqualTo(LAYER + sizeOf(first, "a"));
  }

  @Test
  void anUploadWhoseDeclaredSizeCannotFitIsRefusedBeforeItStreamsUnlessItIsCounted()
      throws Exception {
    byte[] first = image(APP, "a", layer("one"));
    long firstSize = LAYER + sizeOf(first, "a");
    limit(firstSize + LAYER / 2);
    put(APP, "1", first);

    byte[] big = layer("big");
    assertThatThrownBy(() -> blob(APP, big))
        .isInstanceOfSatisfying(
            RegistryException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.DENIED);
              assertThat(((Map<?, ?>) e.detail()).get("addedBytes")).isEqualTo((long) LAYER);
            });
    assertThat(store.stat(StorageLayout.keyOf(new BlobRecordKey(Digest.sha256(big)))))
        .as("nothing committed")
        .isEmpty();
    // The counted layer again (into another repository under the pattern) adds nothing.
    blob(TOOL, layer("one"));
    // Small enough to fit what is left.
    blob(APP, new byte[LAYER / 4]);
    // Outside the pattern nothing is refused.
    blob(OTHER, big);
  }

  /** An endless body that counts what was read of it. */
  private static final class EndlessBody extends java.io.InputStream {
    long read;

    @Override
    public int read() {
      read++;
      return 0;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      read += len;
      return len;
    }
  }

  private static void assertQuotaRefusal(RegistryException e, long added) {
    assertThat(e.code()).isEqualTo(ErrorCode.DENIED);
    assertThat(e.getMessage())
        .startsWith("quota policies.quotas[0] (ml/**): ")
        .contains(" used; this push adds ");
    assertThat(((Map<?, ?>) e.detail()).get("addedBytes")).isEqualTo(added);
  }

  @Test
  void aChunkedSessionIsRefusedOnceNoBlobItCouldBeFitsAndStaysWhereItWas() throws Exception {
    byte[] first = image(APP, "a", layer("one"));
    long firstSize = LAYER + sizeOf(first, "a");
    limit(firstSize + LAYER / 2);
    put(APP, "1", first);

    // Past what is left (LAYER / 2) but no larger than the largest blob counted (the layer): it
    // may be the counted layer again, which its manifest adds nothing for. It streams on.
    UploadStatus again = registry.startUpload(TOOL);
    registry.appendToUpload(
        TOOL,
        again.id(),
        OptionalLong.of(0),
        new ByteArrayInputStream(layer("one")),
        OptionalLong.empty());
    registry.completeUpload(
        TOOL,
        again.id(),
        Digest.sha256(layer("one")),
        OptionalLong.empty(),
        new ByteArrayInputStream(new byte[0]),
        OptionalLong.of(0));

    // A chunked body past both: refused before what crossed is stored, and read no further.
    UploadStatus session = registry.startUpload(APP);
    registry.appendToUpload(
        APP,
        session.id(),
        OptionalLong.of(0),
        new ByteArrayInputStream(new byte[100]),
        OptionalLong.of(100));
    EndlessBody endless = new EndlessBody();
    assertThatThrownBy(
            () ->
                registry.appendToUpload(
                    APP, session.id(), OptionalLong.of(100), endless, OptionalLong.empty()))
        .isInstanceOfSatisfying(
            RegistryException.class, e -> assertQuotaRefusal(e, 100 + endless.read));
    assertThat(endless.read).as("read of an endless body").isLessThanOrEqualTo(1 << 20);
    assertThat(registry.uploadStatus(APP, session.id()).offset())
        .as("the session stays at its last offset")
        .isEqualTo(100);

    // A declared length past both: refused before a byte is read.
    EndlessBody unread = new EndlessBody();
    assertThatThrownBy(
            () ->
                registry.appendToUpload(
                    APP, session.id(), OptionalLong.of(100), unread, OptionalLong.of(LAYER * 2)))
        .isInstanceOfSatisfying(
            RegistryException.class, e -> assertQuotaRefusal(e, 100 + LAYER * 2));
    assertThat(unread.read).isZero();

    // A closing PUT streaming without a declared length: refused once its bytes cannot fit.
    EndlessBody closing = new EndlessBody();
    assertThatThrownBy(
            () ->
                registry.completeUpload(
                    APP,
                    session.id(),
                    Digest.sha256(layer("never sent whole")),
                    OptionalLong.of(100),
                    closing,
                    OptionalLong.empty()))
        .isInstanceOfSatisfying(
            RegistryException.class, e -> assertQuotaRefusal(e, 100 + closing.read));
    assertThat(closing.read).isLessThanOrEqualTo(1 << 20);

    // The session goes on from where it was, and closes with what it received.
    byte[] rest = new byte[50];
    registry.appendToUpload(
        APP,
        session.id(),
        OptionalLong.of(100),
        new ByteArrayInputStream(rest),
        OptionalLong.of(50));
    Digest small = Digest.sha256(new byte[150]);
    assertThat(
            registry
                .completeUpload(
                    APP,
                    session.id(),
                    small,
                    OptionalLong.empty(),
                    new ByteArrayInputStream(new byte[0]),
                    OptionalLong.of(0))
                .size())
        .isEqualTo(150);

    // Outside the pattern nothing is refused.
    UploadStatus outside = registry.startUpload(OTHER);
    registry.appendToUpload(
        OTHER,
        outside.id(),
        OptionalLong.of(0),
        new ByteArrayInputStream(new byte[LAYER * 3]),
        OptionalLong.empty());
  }

  @Test
  void aReloadThatOnlyChangesTheLimitKeepsTheCount() {
    byte[] first = image(APP, "a", layer("one"));
    long firstSize = LAYER + sizeOf(first, "a");
    limit(10_000);
    put(APP, "1", first);
    registry.quotas(new Quotas(List.of(quota(firstSize))));
    assertThat(used()).as("before any recount").isEqualTo(firstSize);
    assertThat(registry.quotaUsage().get(0).rule().bytes()).isEqualTo(firstSize);
  }

  @Test
  void humanSizes() {
    assertThat(QuotaLedger.human(512)).isEqualTo("512 B");
    assertThat(QuotaLedger.human(1536)).isEqualTo("1.5 KiB");
    assertThat(QuotaLedger.human(10L << 30)).isEqualTo("10.0 GiB");
  }
}
