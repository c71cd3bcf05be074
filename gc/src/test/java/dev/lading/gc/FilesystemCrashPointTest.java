package dev.lading.gc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StoredValues.BlobRecord;
import dev.lading.core.storage.CrashingStore;
import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.fs.FilesystemStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crash-point suite on the filesystem store. A small write that crashes is torn the way a crash
 * between its staging write and its rename leaves it: a staged file nobody will publish. After the
 * final GC, with every file aged past GC's waits, nothing may be left but what the registry's keys
 * need.
 */
class FilesystemCrashPointTest extends CrashPointContract {
  @TempDir Path dir;

  @Override
  protected ObjectStore newStore() throws Exception {
    return new FilesystemStore(dir.resolve("root-" + UUID.randomUUID()));
  }

  @Override
  protected ObjectStore reopen(ObjectStore store) throws Exception {
    return new FilesystemStore(((FilesystemStore) store).root());
  }

  @Override
  protected CrashingStore.TornWrite tornWrite(ObjectStore store) {
    Path staging = ((FilesystemStore) store).root().resolve("+staging").resolve("00");
    return (key, content) -> Files.write(staging.resolve(UUID.randomUUID().toString()), content);
  }

  @Override
  protected void assertOnlyCollectableResidue(ObjectStore store) throws Exception {
    Path root = ((FilesystemStore) store).root();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        Files.setLastModifiedTime(
            file,
            FileTime.from(Files.getLastModifiedTime(file).toInstant().minus(Duration.ofHours(2))));
      }
    }
    new GarbageCollector(store, Clock.offset(Clock.systemUTC(), Duration.ofHours(1)))
        .run(
            GcOptions.defaults()
                .withGrace(Duration.ZERO)
                .withFenceDelay(Duration.ZERO)
                .withUploadExpiry(Duration.ZERO));
    try (Stream<Path> staged = Files.walk(root.resolve("+staging"))) {
      assertThat(staged.filter(Files::isRegularFile)).as("staging files").isEmpty();
    }
    assertThat(root.resolve("+multipart")).isEmptyDirectory();
    Set<String> named = new HashSet<>();
    for (String key : allKeys(store, "blobs/")) {
      store
          .read(key)
          .flatMap(b -> BlobRecord.read(b).dataKey())
          .ifPresent(k -> named.add(StorageLayout.keyOf(k)));
    }
    List<String> data = allKeys(store, StorageLayout.dataPrefix());
    assertThat(data).as("data no record names").allMatch(named::contains);
    assertThat(allKeys(store, "gc/")).as("GC's own keys").isEmpty();
  }
}
