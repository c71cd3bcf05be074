package dev.lading.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.model.Digest;
import dev.lading.core.model.DigestAlgorithm;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import dev.lading.core.model.UploadId;
import dev.lading.core.storage.StorageLayout.BlobRecordKey;
import dev.lading.core.storage.StorageLayout.CatalogKey;
import dev.lading.core.storage.StorageLayout.DataKey;
import dev.lading.core.storage.StorageLayout.LayerLinkKey;
import dev.lading.core.storage.StorageLayout.ManifestLinkKey;
import dev.lading.core.storage.StorageLayout.ReferrerKey;
import dev.lading.core.storage.StorageLayout.TagKey;
import dev.lading.core.storage.StorageLayout.UploadStateKey;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

class StorageLayoutTest {
  private static final Digest D = Digest.sha256(new byte[] {1});
  private static final Digest S = Digest.sha256(new byte[] {2});
  private static final RepositoryName REPO = RepositoryName.parse("ml/vllm");

  @Test
  void everyKindOfObjectHasItsPlace() {
    String hex = D.hex();
    assertThat(StorageLayout.keyOf(new BlobRecordKey(D)))
        .isEqualTo("blobs/sha256/" + hex.substring(0, 2) + "/" + hex);
    assertThat(StorageLayout.keyOf(new DataKey("0f8b3a1e-1111-4222-8333-444455556666")))
        .isEqualTo("data/0f/0f8b3a1e-1111-4222-8333-444455556666");
    assertThat(StorageLayout.keyOf(new LayerLinkKey(REPO, D)))
        .isEqualTo("repositories/ml/vllm/_layers/sha256/" + hex);
    assertThat(StorageLayout.keyOf(new ManifestLinkKey(REPO, D)))
        .isEqualTo("repositories/ml/vllm/_manifests/sha256/" + hex);
    assertThat(StorageLayout.keyOf(new TagKey(REPO, Tag.parse("v1.0"))))
        .isEqualTo("repositories/ml/vllm/_tags/v1.0");
    assertThat(StorageLayout.keyOf(new ReferrerKey(REPO, S, D)))
        .isEqualTo("repositories/ml/vllm/_referrers/sha256/" + S.hex() + "/sha256/" + hex);
    UploadId id = UploadId.random();
    assertThat(StorageLayout.keyOf(new UploadStateKey(REPO, id)))
        .isEqualTo("repositories/ml/vllm/_uploads/" + id.value());
    assertThat(StorageLayout.keyOf(new CatalogKey(REPO))).isEqualTo("catalog/ml0vllm");
  }

  @Test
  void keysReadBack() {
    assertThat(StorageLayout.tagOf(REPO, StorageLayout.keyOf(new TagKey(REPO, Tag.parse("x")))))
        .isEqualTo(Tag.parse("x"));
    assertThat(StorageLayout.referrerOf(REPO, S, StorageLayout.keyOf(new ReferrerKey(REPO, S, D))))
        .isEqualTo(D);
    assertThat(StorageLayout.repositoryOfCatalogKey(StorageLayout.keyOf(new CatalogKey(REPO))))
        .isEqualTo(REPO);
    assertThat(StorageLayout.blobRecordDigest(StorageLayout.keyOf(new BlobRecordKey(D)))).hasValue(D);
    assertThat(DataKey.parse(StorageLayout.keyOf(new DataKey("0f8b3a1e-1111-4222-8333-444455556666"))))
        .isEqualTo(new DataKey("0f8b3a1e-1111-4222-8333-444455556666"));
  }

  @Test
  void blobRecordsAndDataAreSpreadOverTheirShards() {
    List<String> data = StorageLayout.dataShards();
    assertThat(data).hasSize(256).doesNotHaveDuplicates().isSorted()
        .startsWith("data/00/", "data/01/").endsWith("data/fe/", "data/ff/");
    List<String> records = StorageLayout.blobRecordShards();
    assertThat(records).hasSize(256 * DigestAlgorithm.values().length).doesNotHaveDuplicates()
        .contains("blobs/sha256/00/", "blobs/sha256/ff/", "blobs/sha512/a7/");
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
    assertThat(StorageLayout.blobRecordDigest("blobs/sha256/" + hex)).isEmpty();
    assertThat(StorageLayout.blobRecordDigest("blobs/sha256/" + other + "/" + hex)).isEmpty();
    assertThat(StorageLayout.blobRecordDigest("blobs/sha256/" + hex.substring(0, 2) + "/x")).isEmpty();
    assertThat(StorageLayout.blobRecordDigest("blobs/sha256/" + hex.substring(0, 2) + "/")).isEmpty();
    assertThat(StorageLayout.blobRecordDigest("blobs/sha256")).isEmpty();
    assertThat(StorageLayout.blobRecordDigest("gc/marks/sha256/" + hex)).isEmpty();
    String id = "0f8b3a1e-1111-4222-8333-444455556666";
    for (String key : List.of("data/" + id, "data/00/" + id, "blobs/0f/" + id, "data/0f/0f8b", "data/0f/")) {
      assertThatThrownBy(() -> DataKey.parse(key)).as(key).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void catalogKeysSortLikeTheNames() {
    List<String> names =
        new ArrayList<>(List.of("a", "a-b", "a.b", "a/b", "a0", "a9", "a_b", "ab", "a/0", "a/9/z",
            "b", "library/ubuntu", "library/ubuntu22", "z9", "z8-9"));
    List<String> byKey = new ArrayList<>(names);
    byKey.sort(Comparator.comparing(n -> StorageLayout.keyOf(new CatalogKey(RepositoryName.parse(n)))));
    names.sort(String::compareTo);
    assertThat(byKey).containsExactlyElementsOf(names);
    for (String name : names) {
      String key = StorageLayout.keyOf(new CatalogKey(RepositoryName.parse(name)));
      assertThat(key.substring("catalog/".length())).doesNotContain("/");
      assertThat(StorageLayout.repositoryOfCatalogKey(key).value()).isEqualTo(name);
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
