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

  @Override
  protected long pendingMultipartWrites(ObjectStore store) throws Exception {
    try (Stream<Path> files = Files.list(((FilesystemStore) store).root().resolve("+multipart"))) {
      return files.count();
    }
  }
}
