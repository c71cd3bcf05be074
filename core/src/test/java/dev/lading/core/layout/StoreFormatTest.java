package dev.lading.core.layout;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.layout.StorageLayout.BlobRecordKey;
import dev.lading.core.layout.StorageLayout.DataKey;
import dev.lading.core.layout.StorageLayout.FormatVersionKey;
import dev.lading.core.layout.StorageLayout.TagKey;
import dev.lading.core.layout.StoredValues.BlobRecord;
import dev.lading.core.layout.StoredValues.TagTarget;
import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.fs.FilesystemStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreFormatTest {
  private static final String KEY = StorageLayout.keyOf(new FormatVersionKey());

  @TempDir Path dir;

  @Test
  void anEmptyStoreIsMarkedWithTheCurrentVersion() throws Exception {
    try (ObjectStore store = new FilesystemStore(dir)) {
      assertThat(StoreFormat.check(store, true))
          .as("marked now")
          .isEqualTo(new StoreFormat.Checked(6, true));
      assertThat(store.read(KEY))
          .hasValueSatisfying(
              bytes -> assertThat(new String(bytes, UTF_8)).isEqualTo("{\"version\":6}"));
      assertThat(StoreFormat.check(store, true))
          .as("read back, marked before")
          .isEqualTo(new StoreFormat.Checked(6, false));
      assertThat(StoreFormat.inlinesSmallBlobs(4)).isTrue();
      assertThat(StoreFormat.signsUploadIds(4)).isTrue();
      assertThat(StoreFormat.recordsClosesByLink(4)).isTrue();
      assertThat(StoreFormat.indexesSmallObjects(5)).isTrue();
      assertThat(StoreFormat.indexesSmallObjects(4))
          .as("a Lading that reads only up to 4 looks for small objects in files")
          .isFalse();
      assertThat(StoreFormat.keepsLinkEpoch(6)).isTrue();
      assertThat(StoreFormat.keepsLinkEpoch(5))
          .as("a Lading that reads only up to 5 deletes links without a new epoch")
          .isFalse();
    }
  }

  @Test
  void aStoreOfTheLayoutBeforeTheMarkerIsVersionOneAndIsMarked() throws Exception {
    try (ObjectStore store = new FilesystemStore(dir)) {
      RepositoryName repo = RepositoryName.parse("team/app");
      String tag = StorageLayout.keyOf(new TagKey(repo, Tag.parse("v1")));
      store.write(tag, new TagTarget(Digest.sha256(new byte[] {1})).write());
      Digest blob = Digest.sha256(new byte[] {2});
      String record = StorageLayout.keyOf(new BlobRecordKey(blob));
      store.write(record, new BlobRecord(1, DataKey.random()).write());
      assertThat(StoreFormat.check(store, true)).isEqualTo(new StoreFormat.Checked(1, true));
      assertThat(new String(store.read(KEY).orElseThrow(), UTF_8)).isEqualTo("{\"version\":1}");
      assertThat(StoreFormat.check(store, true).inlinesSmallBlobs())
          .as("two objects per small blob until upgraded: older instances may still serve it")
          .isFalse();
      assertThat(store.read(tag)).isPresent();
    }
  }

  @Test
  void anUpgradeRecordsTheCurrentVersionOnceAndKeepsEverything() throws Exception {
    for (int from : new int[] {1, 2, 3, 4, 5}) {
      try (ObjectStore store = new FilesystemStore(dir.resolve("v" + from))) {
        store.write(KEY, ("{\"version\":" + from + "}").getBytes(UTF_8));
        String record = StorageLayout.keyOf(new BlobRecordKey(Digest.sha256(new byte[] {2})));
        byte[] recordBytes = new BlobRecord(1, DataKey.random()).write();
        store.write(record, recordBytes);
        assertThat(StoreFormat.check(store, false)).isEqualTo(new StoreFormat.Checked(from, false));
        assertThat(StoreFormat.upgrade(store)).as("the version before").isEqualTo(from);
        assertThat(StoreFormat.check(store, false)).isEqualTo(new StoreFormat.Checked(6, false));
        assertThat(StoreFormat.upgrade(store)).as("already upgraded").isEqualTo(6);
        assertThat(store.read(record))
            .hasValueSatisfying(b -> assertThat(b).isEqualTo(recordBytes));
      }
    }
  }

  @Test
  void eachVersionSaysWhatItAdds() {
    assertThat(StoreFormat.inlinesSmallBlobs(1)).isFalse();
    assertThat(StoreFormat.signsUploadIds(1)).isFalse();
    assertThat(StoreFormat.inlinesSmallBlobs(2)).isTrue();
    assertThat(StoreFormat.signsUploadIds(2))
        .as("a Lading that reads only up to 2 cannot parse the keys of signed ids")
        .isFalse();
    assertThat(StoreFormat.signsUploadIds(3)).isTrue();
    assertThat(StoreFormat.recordsClosesByLink(3))
        .as("a Lading that reads only up to 3 cannot parse an empty upload state")
        .isFalse();
  }

  @Test
  void withoutLeaveToWriteTheStoreIsOnlyChecked() throws Exception {
    try (ObjectStore store = new FilesystemStore(dir)) {
      assertThat(StoreFormat.check(store, false)).isEqualTo(new StoreFormat.Checked(6, false));
      assertThat(store.read(KEY)).isEmpty();
    }
  }

  @Test
  void aNewerVersionStopsTheStartNamingBothVersions() throws Exception {
    try (ObjectStore store = new FilesystemStore(dir)) {
      store.write(KEY, "{\"version\":99}".getBytes(UTF_8));
      assertThatThrownBy(() -> StoreFormat.check(store, true))
          .isInstanceOf(StoreFormat.UnsupportedFormatException.class)
          .hasMessageContaining("version 99")
          .hasMessageContaining("versions 1 to 6 only");
      assertThat(new String(store.read(KEY).orElseThrow(), UTF_8))
          .as("left as it was")
          .isEqualTo("{\"version\":99}");
    }
  }

  @Test
  void aMarkerThatDoesNotReadStopsTheStartToo() throws Exception {
    try (ObjectStore store = new FilesystemStore(dir)) {
      store.write(KEY, "version one".getBytes(UTF_8));
      assertThatThrownBy(() -> StoreFormat.check(store, true))
          .isInstanceOf(StoreFormat.UnsupportedFormatException.class)
          .hasMessageContaining(KEY)
          .hasMessageContaining("versions 1 to 6");
    }
  }

  @Test
  void instancesStartingTogetherOnOneStoreAllAgree() throws Exception {
    try (ObjectStore store = new FilesystemStore(dir);
        ExecutorService threads = Executors.newFixedThreadPool(8)) {
      List<Callable<StoreFormat.Checked>> starts = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        starts.add(() -> StoreFormat.check(store, true));
      }
      int marked = 0;
      for (Future<StoreFormat.Checked> start : threads.invokeAll(starts)) {
        assertThat(start.get().version()).isEqualTo(6); // none refused
        marked += start.get().recorded() ? 1 : 0;
      }
      assertThat(marked).as("one of them wrote the marker").isEqualTo(1);
      assertThat(new String(store.read(KEY).orElseThrow(), UTF_8)).isEqualTo("{\"version\":6}");
    }
  }
}
