package dev.lading.gc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StoredValues.BlobRecord;
import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.fs.FilesystemStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesystemGcTest extends GcContract {
  @TempDir Path dir;

  @Override
  protected ObjectStore newStore() throws Exception {
    return new FilesystemStore(dir.resolve("root"));
  }

  /** Another instance on the same directory (a shared volume). */
  @Override
  protected ObjectStore openSameStore(ObjectStore store) throws Exception {
    return new FilesystemStore(((FilesystemStore) store).root());
  }

  /** Ages every object of the store by {@code age} (the filesystem lets a test set mtimes). */
  private void age(Duration age) throws Exception {
    Path root = ((FilesystemStore) store).root();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        Files.setLastModifiedTime(
            file, FileTime.from(Files.getLastModifiedTime(file).toInstant().minus(age)));
      }
    }
  }

  @Test
  void oldDataNoRecordNamesIsSweptAndLiveDataStays() throws Exception {
    pushImage(APP, "v1", List.of(bytes("config"), bytes("layer a"), bytes("layer b")));
    String stray = StorageLayout.keyOf(StorageLayout.DataKey.random());
    store.write(stray, bytes("a dead upload's bytes"));
    age(Duration.ofHours(2));
    String youngStray = StorageLayout.keyOf(StorageLayout.DataKey.random());
    store.write(youngStray, bytes("an upload that may still commit"));

    GcStats stats = gc.run(now());

    assertThat(stats.items())
        .filteredOn(i -> i.kind() == GcStats.Kind.STRAY_DATA)
        .extracting(GcStats.SweptItem::what)
        .containsExactly(stray);
    assertThat(store.stat(stray)).isEmpty();
    assertThat(store.stat(youngStray)).isPresent();
    assertPullsCompletely(APP, "v1");
  }

  /**
   * Records holding their blob inline name no data: they must not count as records that do, or the
   * stray-data pass would take the strays for their data and never sweep them.
   */
  @Test
  void strayDataGoesWhenInlineRecordsOutnumberTheDataObjects() throws Exception {
    byte[] big = new byte[BlobRecord.INLINE_MAX_BYTES + 1];
    Arrays.fill(big, (byte) 'b');
    pushImage(
        APP,
        "v1",
        List.of(bytes("config"), bytes("layer a"), bytes("layer b"), bytes("layer c"), big));
    String stray = StorageLayout.keyOf(StorageLayout.DataKey.random());
    store.write(stray, bytes("a dead upload's bytes"));
    age(Duration.ofHours(2));
    assertThat(store.list(StorageLayout.dataPrefix(), Optional.empty(), 10).keys())
        .as("the big layer's data and the stray; five records hold their blobs inline")
        .hasSize(2);

    GcStats stats = gc.run(now());

    assertThat(stats.items())
        .filteredOn(i -> i.kind() == GcStats.Kind.STRAY_DATA)
        .extracting(GcStats.SweptItem::what)
        .containsExactly(stray);
    assertPullsCompletely(APP, "v1");
  }

  @Test
  void aYoungStrayIsLeftForALaterRun() throws Exception {
    pushImage(APP, "v1", List.of(bytes("config"), bytes("layer a")));
    age(Duration.ofHours(2));
    store.write(StorageLayout.keyOf(StorageLayout.DataKey.random()), bytes("young stray"));

    GcStats stats = gc.run(now());

    assertThat(stats.items()).noneMatch(i -> i.kind() == GcStats.Kind.STRAY_DATA);
    assertPullsCompletely(APP, "v1");
  }

  @Override
  protected int pushesPerPusher() {
    return 150;
  }

  @Override
  protected long pendingMultipartWrites(ObjectStore store) throws Exception {
    try (Stream<Path> files = Files.list(((FilesystemStore) store).root().resolve("+multipart"))) {
      return files.count();
    }
  }
}
