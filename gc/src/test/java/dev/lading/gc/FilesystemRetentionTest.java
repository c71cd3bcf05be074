package dev.lading.gc;

import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.fs.FilesystemStore;
import java.nio.file.Path;
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
}
