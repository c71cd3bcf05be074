package dev.lading.gc;

import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.fs.FilesystemStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
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
