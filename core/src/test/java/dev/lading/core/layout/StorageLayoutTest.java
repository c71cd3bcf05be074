package dev.lading.core.layout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.layout.StorageLayout.BlobRecordKey;
import dev.lading.core.layout.StorageLayout.CatalogKey;
import dev.lading.core.layout.StorageLayout.DataKey;
import dev.lading.core.layout.StorageLayout.EventBatchKey;
import dev.lading.core.layout.StorageLayout.EventDelivererKey;
import dev.lading.core.layout.StorageLayout.EventFailedKey;
import dev.lading.core.layout.StorageLayout.FormatVersionKey;
import dev.lading.core.layout.StorageLayout.GcIntentKey;
import dev.lading.core.layout.StorageLayout.GcMarkKey;
import dev.lading.core.layout.StorageLayout.GcRunKey;
import dev.lading.core.layout.StorageLayout.GcTagMarkKey;
import dev.lading.core.layout.StorageLayout.Key;
import dev.lading.core.layout.StorageLayout.LayerLinkKey;
import dev.lading.core.layout.StorageLayout.LinkEpochKey;
import dev.lading.core.layout.StorageLayout.ManifestLinkKey;
import dev.lading.core.layout.StorageLayout.PullRecordKey;
import dev.lading.core.layout.StorageLayout.ReferrerKey;
import dev.lading.core.layout.StorageLayout.SigningKeySetKey;
import dev.lading.core.layout.StorageLayout.TagKey;
import dev.lading.core.layout.StorageLayout.UploadStateKey;
import dev.lading.core.layout.StorageLayout.UrlSigningKeyKey;
import dev.lading.core.model.Digest;
import dev.lading.core.model.DigestAlgorithm;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import dev.lading.core.model.UploadId;
import dev.lading.core.storage.StorageKeys;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StorageLayoutTest {
  private static final Digest D = Digest.sha256(new byte[] {1});
  private static final Digest S = Digest.sha256(new byte[] {2});
  private static final RepositoryName REPO = RepositoryName.parse("ml/vllm");

  @Test
  void everyKindOfObjectHasItsPlace() {
    String hex = D.hex();
    UploadId id = UploadId.random();
    Map<Key, String> expected = new LinkedHashMap<>();
    expected.put(new FormatVersionKey(), "lading-format");
    expected.put(new BlobRecordKey(D), "blobs/sha256/" + hex.substring(0, 2) + "/" + hex);
    expected.put(
        new DataKey("0f8b3a1e-1111-4222-8333-444455556666"),
        "data/0f/0f8b3a1e-1111-4222-8333-444455556666");
    expected.put(new LayerLinkKey(REPO, D), "repositories/ml/vllm/_layers/sha256/" + hex);
    expected.put(new ManifestLinkKey(REPO, D), "repositories/ml/vllm/_manifests/sha256/" + hex);
    expected.put(new TagKey(REPO, Tag.parse("v1.0")), "repositories/ml/vllm/_tags/v1.0");
    expected.put(
        new ReferrerKey(REPO, S, D),
        "repositories/ml/vllm/_referrers/sha256/" + S.hex() + "/sha256/" + hex);
    expected.put(new UploadStateKey(REPO, id), "repositories/ml/vllm/_uploads/" + id.value());
    expected.put(
        new PullRecordKey(REPO, "0f8b3a1e-1111-4222-8333-444455556666"),
        "repositories/ml/vllm/_pulls/0f8b3a1e-1111-4222-8333-444455556666");
    expected.put(new CatalogKey(REPO), "catalog/ml0vllm");
    expected.put(
        new GcRunKey("0f8b3a1e-1111-4222-8333-444455556666"),
        "gc/runs/0f8b3a1e-1111-4222-8333-444455556666");
    expected.put(new GcIntentKey(D), "gc/intents/sha256/" + hex);
    expected.put(new GcMarkKey(D), "gc/marks/sha256/" + hex);
    expected.put(new GcTagMarkKey(REPO, Tag.parse("v1.0")), "gc/tag-marks/ml/vllm/_tags/v1.0");
    expected.put(new LinkEpochKey(), "gc/link-epoch");
    expected.put(new SigningKeySetKey(), "auth/signing-keys.jwks");
    expected.put(new UrlSigningKeyKey(), "auth/url-signing-key");
    expected.put(
        EventBatchKey.of(
            "deploys", 1_764_000_000_000L, "0f8b3a1e-1111-4222-8333-444455556666", 7, 12),
        "events/queue/deploys/1764000000000-0f8b3a1e-1111-4222-8333-444455556666-00000007-0012");
    expected.put(
        EventFailedKey.of(
            EventBatchKey.of(
                "deploys", 1_764_000_000_000L, "0f8b3a1e-1111-4222-8333-444455556666", 7, 12),
            3),
        "events/failed/deploys/1764000000000-0f8b3a1e-1111-4222-8333-444455556666-00000007-0003");
    expected.put(
        new EventDelivererKey("0f8b3a1e-1111-4222-8333-444455556666"),
        "events/deliverers/0f8b3a1e-1111-4222-8333-444455556666");
    assertThat(expected.keySet().stream().map(Object::getClass).distinct())
        .as("every kind of key")
        .hasSize(Key.class.getPermittedSubclasses().length);
    expected.forEach(
        (key, string) -> {
          assertThat(StorageLayout.keyOf(key)).isEqualTo(string);
          assertThat(StorageKeys.isKey(string)).as(string).isTrue();
          // The one parser reads every key back, whatever its kind.
          assertThat(StorageLayout.parse(string)).as(string).hasValue(key);
          assertThat(StorageLayout.parse(string, key.getClass()).map(Key.class::cast))
              .as(string)
              .hasValue(key);
        });
    assertThat(
            StorageLayout.parse(
                StorageLayout.keyOf(new TagKey(REPO, Tag.parse("x"))), CatalogKey.class))
        .isEmpty();
  }

  @Test
  void whatIsNoKeyDoesNotParse() {
    for (String key :
        List.of(
            "",
            "repositories/",
            "repositories/a",
            "repositories/a/_layers/sha256/x",
            "repositories/a/_other/sha256/" + D.hex(),
            "repositories/A/_tags/x",
            "repositories/a/_tags/",
            "repositories/a/_referrers/sha256/" + D.hex(),
            "gc/runs/x",
            "events/queue/Deploys/1764000000000-0f8b3a1e-1111-4222-8333-444455556666-00000007-0012",
            "events/queue/deploys/1764000000000-0f8b3a1e-1111-4222-8333-444455556666-00000007",
            "events/queue/deploys/x",
            "events/queue/deploys",
            "events/failed/deploys/x",
            "events/failed/Deploys/1764000000000-0f8b3a1e-1111-4222-8333-444455556666-00000007-0012",
            "events/failed/deploys",
            "events/deliverers/x",
            "gc/marks/md5/" + D.hex(),
            "catalog/",
            "auth/other",
            "lading-format/x",
            "+tails/x",
            "elsewhere/x")) {
      assertThat(StorageLayout.parse(key)).as(key).isEmpty();
    }
  }

  @Test
  void givenUpEventsKeepTheirQueueBatchsNameAndAReplayWritesItBack() {
    EventBatchKey source =
        EventBatchKey.of(
            "deploys", 1_764_000_000_000L, "0f8b3a1e-1111-4222-8333-444455556666", 7, 12);
    EventFailedKey failed = EventFailedKey.of(source, 2);
    assertThat(failed.count()).isEqualTo(2);
    assertThat(failed.epochMillis()).isEqualTo(source.epochMillis());
    EventBatchKey replayed = EventBatchKey.replaying(failed);
    assertThat(replayed.count()).isEqualTo(2);
    assertThat(StorageLayout.keyOf(replayed))
        .isEqualTo(
            "events/queue/deploys/1764000000000-0f8b3a1e-1111-4222-8333-444455556666-00000007-0002");
    assertThatThrownBy(() -> EventFailedKey.of(source, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> EventFailedKey.of(source, 13))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theStoresPrivateAreasAreNoKeys() {
    for (String area :
        List.of(
            StorageLayout.FILESYSTEM_STAGING,
            StorageLayout.FILESYSTEM_MULTIPART,
            StorageLayout.S3_TAILS)) {
      assertThat(area).startsWith("+");
      assertThat(StorageKeys.isKey(area + "x")).as(area).isFalse();
    }
  }

  @Test
  void blobRecordsAndDataAreSpreadOverTheirShards() {
    List<String> data = StorageLayout.dataShards();
    assertThat(data)
        .hasSize(256)
        .doesNotHaveDuplicates()
        .isSorted()
        .startsWith("data/00/", "data/01/")
        .endsWith("data/fe/", "data/ff/");
    List<String> records = StorageLayout.blobRecordShards();
    assertThat(records)
        .hasSize(256 * DigestAlgorithm.values().length)
        .doesNotHaveDuplicates()
        .contains("blobs/sha256/00/", "blobs/sha256/ff/", "blobs/sha512/a7/", "blobs/blake3/3c/");
    for (int i = 0; i < 200; i++) {
      DataKey dataKey = DataKey.random();
      String key = StorageLayout.keyOf(dataKey);
      assertThat(data).filteredOn(key::startsWith).hasSize(1);
      Digest digest = Digest.sha256(new byte[] {(byte) i});
      String record = StorageLayout.keyOf(new BlobRecordKey(digest));
      assertThat(records).filteredOn(record::startsWith).hasSize(1);
      // A whole segment: the shard directory is never also an object.
      assertThat(record.substring(record.lastIndexOf('/') + 1)).isEqualTo(digest.hex());
    }
  }

  @Test
  void keysOutsideTheirShardDoNotParse() {
    String hex = D.hex();
    String other = hex.startsWith("00") ? "01" : "00";
    for (String key :
        List.of(
            "blobs/sha256/" + hex,
            "blobs/sha256/" + other + "/" + hex,
            "blobs/sha256/" + hex.substring(0, 2) + "/x",
            "blobs/sha256/" + hex.substring(0, 2) + "/",
            "blobs/sha256",
            "gc/marks/sha256/" + hex)) {
      assertThat(StorageLayout.parse(key, BlobRecordKey.class)).as(key).isEmpty();
    }
    String id = "0f8b3a1e-1111-4222-8333-444455556666";
    for (String key :
        List.of("data/" + id, "data/00/" + id, "blobs/0f/" + id, "data/0f/0f8b", "data/0f/")) {
      assertThat(StorageLayout.parse(key, DataKey.class)).as(key).isEmpty();
    }
  }

  @Test
  void catalogKeysSortLikeTheNames() {
    List<String> names =
        new ArrayList<>(
            List.of(
                "a",
                "a-b",
                "a.b",
                "a/b",
                "a0",
                "a9",
                "a_b",
                "ab",
                "a/0",
                "a/9/z",
                "b",
                "library/ubuntu",
                "library/ubuntu22",
                "z9",
                "z8-9"));
    List<String> byKey = new ArrayList<>(names);
    byKey.sort(
        Comparator.comparing(n -> StorageLayout.keyOf(new CatalogKey(RepositoryName.parse(n)))));
    names.sort(String::compareTo);
    assertThat(byKey).containsExactlyElementsOf(names);
    for (String name : names) {
      String key = StorageLayout.keyOf(new CatalogKey(RepositoryName.parse(name)));
      assertThat(key.substring("catalog/".length())).doesNotContain("/");
      assertThat(StorageLayout.parse(key, CatalogKey.class).orElseThrow().repository().value())
          .isEqualTo(name);
    }
  }

  @Test
  void nestedRepositoriesNeverCollideWithLayoutEntries() {
    RepositoryName parent = RepositoryName.parse("a");
    RepositoryName child = RepositoryName.parse("a/tags");
    String parentTags = StorageLayout.tagsPrefix(parent);
    assertThat(StorageLayout.keyOf(new TagKey(child, Tag.parse("x")))).doesNotStartWith(parentTags);
  }
}
