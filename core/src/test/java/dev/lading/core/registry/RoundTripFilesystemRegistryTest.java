package dev.lading.core.registry;

import dev.lading.core.storage.ForwardingObjectStore;
import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.ObjectWrite;
import dev.lading.core.storage.fs.FilesystemStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry's contract on a filesystem store that says its calls are round trips, as S3 does:
 * the paths taken only there (reads side by side, a batch a step at a time, a small close in one
 * round without reading its session) meet every case of the contract without an S3 server.
 */
class RoundTripFilesystemRegistryTest extends RegistryContract {
  @TempDir Path dir;

  /** A filesystem store made to look remote, whose batches go as a remote store's do. */
  static final class RoundTrips extends ForwardingObjectStore {
    final FilesystemStore local;

    RoundTrips(FilesystemStore local) {
      super(local);
      this.local = local;
    }

    @Override
    public boolean callsAreRoundTrips() {
      return true;
    }

    @Override
    public List<Boolean> writeAll(List<ObjectWrite> writes) throws IOException {
      return ObjectStore.writeByStep(this, writes);
    }
  }

  @Override
  protected ObjectStore newStore() throws Exception {
    return new RoundTrips(new FilesystemStore(dir.resolve("root")));
  }

  @Override
  protected ObjectStore reopen(ObjectStore store) throws Exception {
    return new RoundTrips(new FilesystemStore(((RoundTrips) store).local.root()));
  }

  @Override
  protected long pendingMultipartWrites(ObjectStore store) throws Exception {
    try (Stream<Path> files = Files.list(((RoundTrips) store).local.root().resolve("+multipart"))) {
      return files.count();
    }
  }
}
