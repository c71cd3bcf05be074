package dev.lading.core.layout;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.layout.StorageLayout.FormatVersionKey;
import dev.lading.core.layout.StorageLayout.TagKey;
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
      assertThat(StoreFormat.check(store, true)).as("marked now").isTrue();
      assertThat(store.read(KEY))
          .hasValueSatisfying(
              bytes -> assertThat(new String(bytes, UTF_8)).isEqualTo("{\"version\":1}"));
      assertThat(StoreFormat.check(store, true)).as("read back, marked before").isFalse();
    }
  }

  @Test
  void aStoreOfTheLayoutBeforeTheMarkerIsVersionOneAndIsMarked() throws Exception {
    try (ObjectStore store = new FilesystemStore(dir)) {
      RepositoryName repo = RepositoryName.parse("team/app");
      String tag = StorageLayout.keyOf(new TagKey(repo, Tag.parse("v1")));
      store.write(tag, new TagTarget(Digest.sha256(new byte[] {1})).write());
      assertThat(StoreFormat.check(store, true)).isTrue();
      assertThat(store.read(KEY)).isPresent();
      assertThat(store.read(tag)).isPresent();
    }
  }

  @Test
  void withoutLeaveToWriteTheStoreIsOnlyChecked() throws Exception {
    try (ObjectStore store = new FilesystemStore(dir)) {
      assertThat(StoreFormat.check(store, false)).isFalse();
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
          .hasMessageContaining("version 1 only");
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
          .hasMessageContaining("version 1");
    }
  }

  @Test
  void instancesStartingTogetherOnOneStoreAllAgree() throws Exception {
    try (ObjectStore store = new FilesystemStore(dir);
        ExecutorService threads = Executors.newFixedThreadPool(8)) {
      List<Callable<Boolean>> starts = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        starts.add(() -> StoreFormat.check(store, true));
      }
      int marked = 0;
      for (Future<Boolean> start : threads.invokeAll(starts)) {
        marked += start.get() ? 1 : 0; // none refused
      }
      assertThat(marked).as("one of them wrote the marker").isEqualTo(1);
      assertThat(new String(store.read(KEY).orElseThrow(), UTF_8)).isEqualTo("{\"version\":1}");
    }
  }
}
