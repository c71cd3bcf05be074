package dev.lading.gc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.PullRecordKey;
import dev.lading.core.layout.StoredValues.PullRecord;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.fs.FilesystemStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesystemRetentionTest extends RetentionContract {
  @TempDir Path dir;

  @Override
  protected ObjectStore newStore() throws Exception {
    return new FilesystemStore(dir.resolve("root"));
  }

  @Override
  protected ObjectStore openSameStore(ObjectStore store) throws Exception {
    return new FilesystemStore(((FilesystemStore) store).root());
  }

  @Test
  void pullRecordsTooOldToKeepAnythingAreRemoved() throws Exception {
    ObjectStore store = newStore();
    try (store) {
      RepositoryName repo = RepositoryName.parse("team/app");
      String old =
          StorageLayout.keyOf(new PullRecordKey(repo, "0f8b3a1e-1111-4222-8333-444455556666"));
      String fresh =
          StorageLayout.keyOf(new PullRecordKey(repo, "1f8b3a1e-1111-4222-8333-444455556666"));
      byte[] record = new PullRecord(Map.of("v1", Instant.now()), Map.of()).write();
      store.write(old, record);
      store.write(fresh, record);
      Path file = ((FilesystemStore) store).root().resolve(old);
      Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(Duration.ofDays(3))));
      RetentionPolicy pulled =
          new RetentionPolicy(
              "pulled",
              r -> true,
              List.of(),
              OptionalInt.empty(),
              Optional.empty(),
              Optional.of(Duration.ofHours(12)),
              Optional.empty());

      new GarbageCollector(store, Clock.systemUTC())
          .run(GcContract.now().withRetention(List.of(pulled)));

      assertThat(store.stat(old)).isEmpty();
      assertThat(store.stat(fresh)).isPresent();
    }
  }
}
