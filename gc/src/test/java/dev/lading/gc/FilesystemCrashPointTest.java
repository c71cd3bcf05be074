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
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
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

  /** The clock the index's entries take their times from: two hours behind until the final GC. */
  private final OffsetClock entryClock = new OffsetClock(BEHIND);

  private static final Duration BEHIND = Duration.ofHours(-2);

  /** The system clock moved by an offset that can change. */
  static final class OffsetClock extends Clock {
    private volatile Duration offset;

    OffsetClock(Duration offset) {
      this.offset = offset;
    }

    void set(Duration value) {
      offset = value;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Instant instant() {
      return Instant.now().plus(offset);
    }
  }

  /** Whether the stores keep small objects in their index (layout version 5) or as files. */
  protected boolean indexSmallObjects() {
    return false;
  }

  @Override
  protected ObjectStore newStore() throws Exception {
    return new FilesystemStore(
        dir.resolve("root-" + UUID.randomUUID()), true, indexSmallObjects(), entryClock);
  }

  @Override
  protected ObjectStore reopen(ObjectStore store) throws Exception {
    return new FilesystemStore(
        ((FilesystemStore) store).root(), true, indexSmallObjects(), entryClock);
  }

  @Override
  protected CrashingStore.TornWrite tornWrite(ObjectStore store) {
    if (indexSmallObjects()) {
      // A commit of the index is all or nothing: a write the crash interrupts leaves nothing.
      return super.tornWrite(store);
    }
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
    // Entries of the index carry the time of the store's clock, which ran two hours behind until
    // now: they have aged as the files just were.
    entryClock.set(Duration.ZERO);
    new GarbageCollector(store, Clock.offset(Clock.systemUTC(), Duration.ofHours(1)))
        .run(
            GcOptions.defaults()
                .withGrace(Duration.ZERO)
                .withFenceDelay(Duration.ZERO)
                .withUploadExpiry(Duration.ZERO));
    entryClock.set(BEHIND); // for the next crash point's writes
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
    // The link epoch stays: one object, rewritten in place by every deletion of links.
    assertThat(allKeys(store, "gc/"))
        .as("GC's own keys")
        .isSubsetOf(StorageLayout.keyOf(new StorageLayout.LinkEpochKey()));
  }
}
