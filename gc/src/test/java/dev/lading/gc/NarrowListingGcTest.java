package dev.lading.gc;

import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.fs.FilesystemStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole GC contract on a store that answers two keys per listing call: every listing GC makes
 * is split into narrower prefixes (and the recheck chooses re-listing over stats), so a key a split
 * misses would show up as a swept blob a test still needs.
 */
class NarrowListingGcTest extends GcContract {
  @TempDir Path dir;

  @Override
  protected ObjectStore newStore() throws Exception {
    return new NarrowListingStore(new FilesystemStore(dir.resolve("root")), 2);
  }

  @Override
  protected ObjectStore openSameStore(ObjectStore store) throws Exception {
    return new NarrowListingStore(
        new FilesystemStore(((FilesystemStore) ((NarrowListingStore) store).inner()).root()), 2);
  }

  @Override
  protected int pushesPerPusher() {
    return 120;
  }

  /** Every listing split into pages of two keys makes each run slow; fewer cycles suffice. */
  @Override
  protected int minimumCycles() {
    return 12;
  }

  /**
   * Pushers past their quota wait for the collectors: a run here lists in pages of two keys, so
   * pushers running free (up to twenty times their quota) let in more garbage during each run than
   * it clears, every run slower than the last (one CI run completed 8 of the 12 cycles in 9
   * minutes). Five pushes each per cycle keep every run small.
   */
  @Override
  protected int extraPushesPerCycle() {
    return 5;
  }

  @Override
  protected long pendingMultipartWrites(ObjectStore store) throws Exception {
    Path root = ((FilesystemStore) ((NarrowListingStore) store).inner()).root();
    try (Stream<Path> files = Files.list(root.resolve("+multipart"))) {
      return files.count();
    }
  }
}
