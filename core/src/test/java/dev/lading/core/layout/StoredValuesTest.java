package dev.lading.core.layout;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.error.RegistryException;
import dev.lading.core.layout.StorageLayout.DataKey;
import dev.lading.core.layout.StoredValues.BlobRecord;
import dev.lading.core.layout.StoredValues.EventBatch;
import dev.lading.core.layout.StoredValues.EventDeliverer;
import dev.lading.core.layout.StoredValues.FormatVersion;
import dev.lading.core.layout.StoredValues.GcIntent;
import dev.lading.core.layout.StoredValues.GcRun;
import dev.lading.core.layout.StoredValues.ManifestLink;
import dev.lading.core.layout.StoredValues.ManifestReferences;
import dev.lading.core.layout.StoredValues.ReferrerDescriptor;
import dev.lading.core.layout.StoredValues.TagTarget;
import dev.lading.core.layout.StoredValues.UploadState;
import dev.lading.core.model.Digest;
import dev.lading.core.model.MediaTypes;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.UploadId;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Every stored value read from bytes as stores hold them today and written back unchanged: an
 * existing store reads the same after this code as before it.
 */
class StoredValuesTest {
  private static final String UUID = "0f8b3a1e-1111-4222-8333-444455556666";
  private static final String DATA = "data/0f/" + UUID;
  private static final Digest D = Digest.sha256(new byte[] {1});
  private static final Digest S = Digest.sha256(new byte[] {2});

  @Test
  void blobRecord() {
    BlobRecord record =
        roundTrip(
            "{\"size\":1234,\"dataKey\":\"" + DATA + "\"}", BlobRecord::read, BlobRecord::write);
    assertThat(record).isEqualTo(new BlobRecord(1234, new DataKey(UUID)));
  }

  @Test
  void aSmallBlobsRecordHoldsItsBytes() {
    BlobRecord record =
        roundTrip("{\"size\":3,\"content\":\"AQID\"}", BlobRecord::read, BlobRecord::write);
    assertThat(record).isEqualTo(BlobRecord.inline(new byte[] {1, 2, 3}));
    assertThat(record.dataKey()).isEmpty();
    assertThat(record.inline().orElseThrow().bytes()).containsExactly(1, 2, 3);
    assertThat(record.isAt(new DataKey(UUID))).isFalse();
    assertThat(BlobRecord.inline(new byte[0]).write())
        .asString(UTF_8)
        .isEqualTo("{\"size\":0,\"content\":\"\"}");
  }

  @Test
  void aRecordHoldsAtMostSixteenKibInlineAndOnlyItsOwnSize() {
    assertThat(BlobRecord.inline(new byte[BlobRecord.INLINE_MAX_BYTES]).size()).isEqualTo(16384);
    assertThatThrownBy(() -> BlobRecord.inline(new byte[BlobRecord.INLINE_MAX_BYTES + 1]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> BlobRecord.read("{\"size\":4,\"content\":\"AQID\"}".getBytes(UTF_8)))
        .isInstanceOf(UncheckedIOException.class);
    assertThatThrownBy(() -> BlobRecord.read("{\"size\":3,\"content\":\"!!\"}".getBytes(UTF_8)))
        .isInstanceOf(UncheckedIOException.class);
    assertThatThrownBy(
            () ->
                new BlobRecord(
                    1,
                    Optional.of(new DataKey(UUID)),
                    Optional.of(new BlobRecord.Inline(new byte[1]))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /**
   * GC counts the records that name data from a listing's lengths alone (its stray-data pass): no
   * inline record may have the length of one naming data. Checked for every inline size and every
   * number of digits a size naming data can have.
   */
  @Test
  void aRecordNamingDataIsToldFromAnInlineOneByItsLengthAlone() {
    for (long size = 0; size < Long.MAX_VALUE / 10 && size >= 0; size = size * 10 + 9) {
      for (long s : new long[] {size, size + 1}) {
        assertThat(BlobRecord.mayNameData(new BlobRecord(s, DataKey.random()).write().length))
            .as("a record naming %d bytes of data", s)
            .isTrue();
      }
    }
    assertThat(
            BlobRecord.mayNameData(new BlobRecord(Long.MAX_VALUE, DataKey.random()).write().length))
        .isTrue();
    for (int n = 0; n <= BlobRecord.INLINE_MAX_BYTES; n++) {
      byte[] written = BlobRecord.inline(new byte[n]).write();
      assertThat(BlobRecord.mayNameData(written.length)).as("inline, %d bytes", n).isFalse();
      assertThat(BlobRecord.read(written).inlineLength()).isEqualTo(n);
    }
  }

  @Test
  void manifestLink() {
    ManifestLink link =
        roundTrip(
            "{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\"}",
            ManifestLink::read,
            ManifestLink::write);
    assertThat(link.mediaType()).hasValue(MediaTypes.OCI_MANIFEST);
    assertThat(ManifestLink.OWN_TYPE.write()).as("the bytes name the type: empty").isEmpty();
    assertThat(ManifestLink.read(new byte[0])).isEqualTo(ManifestLink.OWN_TYPE);
    assertThatThrownBy(() -> ManifestLink.read("{}".getBytes(UTF_8)))
        .as("a link that records no type is no link of any version")
        .isInstanceOf(UncheckedIOException.class);
  }

  @Test
  void tagTarget() {
    TagTarget target = roundTrip(D.toString(), TagTarget::read, TagTarget::write);
    assertThat(target.manifest()).isEqualTo(D);
    // Whitespace around the digest (a hand-edited file) is no part of it.
    assertThat(TagTarget.read((D + "\n").getBytes(US_ASCII))).isEqualTo(target);
    assertThatThrownBy(() -> TagTarget.read("latest".getBytes(US_ASCII)))
        .isInstanceOf(RegistryException.class);
  }

  @Test
  void referrerDescriptor() {
    ReferrerDescriptor full =
        roundTrip(
            "{\"mediaType\":\""
                + MediaTypes.OCI_MANIFEST
                + "\",\"digest\":\""
                + D
                + "\",\"size\":512,\"artifactType\":\"application/spdx+json\",\"annotations\":"
                + "{\"org.opencontainers.image.created\":\"2026-01-01T00:00:00Z\",\"a\":\"b\"}}",
            ReferrerDescriptor::read,
            ReferrerDescriptor::write);
    assertThat(full.digest()).isEqualTo(D);
    assertThat(full.artifactType()).hasValue("application/spdx+json");
    assertThat(full.annotations())
        .containsExactly(
            Map.entry("org.opencontainers.image.created", "2026-01-01T00:00:00Z"),
            Map.entry("a", "b"));
    ReferrerDescriptor bare =
        roundTrip(
            "{\"mediaType\":\""
                + MediaTypes.OCI_MANIFEST
                + "\",\"digest\":\""
                + D
                + "\",\"size\":512}",
            ReferrerDescriptor::read,
            ReferrerDescriptor::write);
    assertThat(bare.artifactType()).isEmpty();
    assertThat(bare.annotations()).isEmpty();
  }

  @Test
  void uploadState() {
    String open =
        "{\"repository\":\"ml/vllm\",\"id\":\""
            + UUID
            + "\",\"startedAt\":\"2026-01-02T03:04:05.123456Z\","
            + "\"offset\":1048576,\"dataKey\":\""
            + DATA
            + "\",\"resumeToken\":\"t0k3n\",\"hashState\":\"AAAB\"}";
    UploadState state = roundTrip(open, UploadState::read, UploadState::write);
    assertThat(state.repository()).isEqualTo(RepositoryName.parse("ml/vllm"));
    assertThat(state.id()).isEqualTo(UploadId.parse(UUID));
    assertThat(state.startedAt()).isEqualTo(Instant.parse("2026-01-02T03:04:05.123456Z"));
    assertThat(state.offset()).isEqualTo(1048576);
    assertThat(state.dataKey()).isEqualTo(new DataKey(UUID));
    assertThat(state.resumeToken()).hasValue("t0k3n");
    assertThat(state.hashState()).hasValue("AAAB");
    assertThat(state.isCompleted()).isFalse();

    String withoutHash =
        "{\"repository\":\"ml/vllm\",\"id\":\""
            + UUID
            + "\",\"startedAt\":\"2026-01-02T03:04:05Z\","
            + "\"offset\":0,\"dataKey\":\""
            + DATA
            + "\",\"resumeToken\":\"t0k3n\"}";
    assertThat(roundTrip(withoutHash, UploadState::read, UploadState::write).hashState()).isEmpty();

    String completed =
        "{\"repository\":\"ml/vllm\",\"id\":\""
            + UUID
            + "\",\"startedAt\":\"2026-01-02T03:04:05Z\","
            + "\"offset\":10,\"dataKey\":\""
            + DATA
            + "\",\"completedDigest\":\""
            + D
            + "\",\"completedSize\":10}";
    UploadState done = roundTrip(completed, UploadState::read, UploadState::write);
    assertThat(done.completed()).hasValue(new UploadState.Completed(D, 10));
    UploadState closed = state.completed(D, 10);
    assertThat(closed.completed()).hasValue(new UploadState.Completed(D, 10));
    assertThat(closed.offset()).isEqualTo(10);
    assertThat(closed.resumeToken()).isEmpty();
    assertThat(closed.hashState()).isEmpty();
    assertThat(closed.isOpen()).isFalse();
    assertThat(state.isOpen()).isTrue();
    assertThat(state.cancelled()).as("absent in every state written before version 3").isFalse();
  }

  @Test
  void cancelledUploadStateOfASignedId() {
    String signedId = UUID + ".19ae2c8a0f3.19ae7ff6cf3." + "0123456789abcdef".repeat(2);
    String cancelled =
        "{\"repository\":\"ml/vllm\",\"id\":\""
            + signedId
            + "\",\"startedAt\":\"2026-01-02T03:04:05Z\","
            + "\"offset\":0,\"dataKey\":\""
            + DATA
            + "\",\"cancelled\":true}";
    UploadState state = roundTrip(cancelled, UploadState::read, UploadState::write);
    assertThat(state.id().isSigned()).isTrue();
    assertThat(state.cancelled()).isTrue();
    assertThat(state.isOpen()).isFalse();
    assertThat(state.isCompleted()).isFalse();
    UploadState open =
        UploadState.started(state.repository(), state.id(), state.startedAt(), state.dataKey());
    assertThat(open.asCancelled()).isEqualTo(state);
  }

  @Test
  void gcRun() {
    GcRun run =
        roundTrip(
            "{\"id\":\""
                + UUID
                + "\",\"startedAt\":\"2026-01-02T03:04:05.500Z\","
                + "\"expiresAt\":\"2026-01-02T03:06:05.500Z\"}",
            GcRun::read,
            GcRun::write);
    assertThat(run.expiresAt()).isEqualTo(Instant.parse("2026-01-02T03:06:05.500Z"));
  }

  @Test
  void eventBatchKeepsEachEventAsTheJsonObjectItIs() {
    EventBatch batch =
        roundTrip(
            "{\"events\":[{\"specversion\":\"1.0\",\"id\":\"a\"},{\"id\":\"b\",\"data\":{\"n\":1}}]}",
            EventBatch::read,
            EventBatch::write);
    assertThat(batch.events())
        .containsExactly(
            "{\"specversion\":\"1.0\",\"id\":\"a\"}", "{\"id\":\"b\",\"data\":{\"n\":1}}");
    for (String corrupt : List.of("{}", "{\"events\":{}}", "{\"events\":[1]}", "not json")) {
      assertThatThrownBy(() -> EventBatch.read(corrupt.getBytes(UTF_8)))
          .as(corrupt)
          .isInstanceOf(UncheckedIOException.class);
    }
    assertThatThrownBy(() -> new EventBatch(List.of("[1]")).write())
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aReplayedEventBatchSaysWhenItWasReplayed() {
    EventBatch batch =
        roundTrip(
            "{\"events\":[{\"id\":\"a\"}],\"replayedAt\":\"2026-01-02T03:04:05Z\"}",
            EventBatch::read,
            EventBatch::write);
    assertThat(batch.replayedAt()).hasValue(Instant.parse("2026-01-02T03:04:05Z"));
    assertThat(new EventBatch(List.of("{\"id\":\"a\"}")).replayedAt()).isEmpty();
    assertThatThrownBy(
            () -> EventBatch.read("{\"events\":[],\"replayedAt\":\"soon\"}".getBytes(UTF_8)))
        .isInstanceOf(UncheckedIOException.class);
  }

  @Test
  void eventDeliverer() {
    EventDeliverer lease =
        roundTrip(
            "{\"id\":\"" + UUID + "\",\"expiresAt\":\"2026-01-02T03:06:05.500Z\"}",
            EventDeliverer::read,
            EventDeliverer::write);
    assertThat(lease.expiresAt()).isEqualTo(Instant.parse("2026-01-02T03:06:05.500Z"));
  }

  @Test
  void gcIntent() {
    GcIntent scoped =
        roundTrip(
            "{\"runId\":\""
                + UUID
                + "\",\"deadline\":\"2026-01-02T03:04:05Z\","
                + "\"record\":false,\"repositories\":[\"team/a\",\"team/b\"]}",
            GcIntent::read,
            GcIntent::write);
    assertThat(scoped.concerns(RepositoryName.parse("team/a"))).isTrue();
    assertThat(scoped.concerns(RepositoryName.parse("team/c"))).isFalse();
    // Written by an older instance: no reach, so it concerns everyone.
    GcIntent old =
        roundTrip(
            "{\"runId\":\"" + UUID + "\",\"deadline\":\"2026-01-02T03:04:05Z\"}",
            GcIntent::read,
            GcIntent::write);
    assertThat(old.reach()).isEmpty();
    assertThat(old.concerns(RepositoryName.parse("team/c"))).isTrue();
  }

  @Test
  void formatVersion() {
    assertThat(roundTrip("{\"version\":1}", FormatVersion::read, FormatVersion::write).version())
        .isEqualTo(1);
  }

  @Test
  void unknownFieldsAreIgnoredSoANewerInstanceMayAddSome() {
    assertThat(
            BlobRecord.read(
                ("{\"size\":1,\"dataKey\":\"" + DATA + "\",\"later\":true}").getBytes(UTF_8)))
        .isEqualTo(new BlobRecord(1, new DataKey(UUID)));
  }

  @Test
  void valuesThatDoNotReadSaySo() {
    for (String bad :
        List.of(
            "",
            "{",
            "{\"size\":1,\"dataKey\":\"blobs/x\"}",
            "{\"size\":1}",
            "{\"size\":1,\"dataKey\":\"data/00/" + UUID + "\"}")) {
      assertThatThrownBy(() -> BlobRecord.read(bad.getBytes(UTF_8)))
          .as(bad)
          .isInstanceOf(UncheckedIOException.class)
          .hasMessageContaining("BlobRecord");
    }
    assertThatThrownBy(
            () ->
                GcRun.read(
                    "{\"id\":\"x\",\"startedAt\":\"now\",\"expiresAt\":\"later\"}".getBytes(UTF_8)))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("GcRun");
    assertThatThrownBy(() -> UploadState.read("{\"repository\":\"Bad Name\"}".getBytes(UTF_8)))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("UploadState");
  }

  @Test
  void aStoredManifestIsReadByItsOwnMediaTypeElseByItsLinks() throws Exception {
    String config =
        "{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
            + D
            + "\",\"size\":2}";
    String foreign =
        "{\"mediaType\":\"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip\","
            + "\"digest\":\""
            + S
            + "\",\"size\":3,\"urls\":[\"https://example.com/l\"]}";
    String body = "{\"schemaVersion\":2,\"config\":" + config + ",\"layers\":[" + foreign + "]}";
    AtomicInteger linkReads = new AtomicInteger();
    StoredValues.LinkReader link =
        () -> {
          linkReads.incrementAndGet();
          return Optional.of(new ManifestLink(MediaTypes.OCI_MANIFEST));
        };
    ManifestReferences refs =
        ManifestReferences.of(StoredValues.readManifest(body.getBytes(UTF_8), link));
    assertThat(linkReads).as("no mediaType in the bytes: the link tells").hasValue(1);
    assertThat(refs.blobs())
        .as("a foreign layer that was pushed is kept too")
        .containsExactly(D, S);
    assertThat(refs.manifests()).isEmpty();

    String typed =
        "{\"schemaVersion\":2,\"mediaType\":\""
            + MediaTypes.OCI_MANIFEST
            + "\",\"config\":"
            + config
            + ",\"layers\":[]}";
    StoredValues.readManifest(typed.getBytes(UTF_8), link);
    assertThat(linkReads).as("the bytes name their type: no link read").hasValue(1);
  }

  private static <T> T roundTrip(
      String stored, Function<byte[], T> read, Function<T, byte[]> write) {
    byte[] bytes = stored.getBytes(UTF_8);
    T value = read.apply(bytes);
    assertThat(new String(write.apply(value), UTF_8)).as("written back").isEqualTo(stored);
    return value;
  }
}
