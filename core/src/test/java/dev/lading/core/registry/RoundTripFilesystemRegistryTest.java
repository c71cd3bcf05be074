package dev.lading.core.registry;

import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.fs.FilesystemStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry's contract on a filesystem store that says its calls are round trips ({@link
 * RoundTripStore}): the paths taken only there (reads side by side, a batch a step at a time, a
 * small close in one round without reading its session) meet every case of the contract without an
 * S3 server.
 */
class RoundTripFilesystemRegistryTest extends RegistryContract {
  @TempDir Path dir;

  @Override
  protected ObjectStore newStore() throws Exception {
    return new RoundTripStore(new FilesystemStore(dir.resolve("root")));
  }

  @Override
  protected ObjectStore reopen(ObjectStore store) throws Exception {
    return newStore();
  }

  @Override
  protected long pendingMultipartWrites(ObjectStore store) throws Exception {
    try (Stream<Path> files = Files.list(dir.resolve("root").resolve("+multipart"))) {
      return files.count();
    }
  }
}
