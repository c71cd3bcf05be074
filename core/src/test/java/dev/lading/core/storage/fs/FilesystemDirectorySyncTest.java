package dev.lading.core.storage.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.storage.MultipartWrite;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which directories a write makes durable before it returns. An object is durable only when the
 * entry of every directory on its way is: a write into directories it had to create syncs each of
 * them into its parent too, so a filesystem without a journal cannot lose the new directory, and
 * the acknowledged object in it, in a crash.
 */
class FilesystemDirectorySyncTest {
  private static final byte[] CONTENT = "content".getBytes(StandardCharsets.US_ASCII);

  @TempDir Path dir;
  private final List<Path> synced = Collections.synchronizedList(new ArrayList<>());
  private Path root;
  private FilesystemStore store;

  @BeforeEach
  void openStore() throws Exception {
    root = dir.resolve("data").toAbsolutePath().normalize();
    store = new FilesystemStore(root, false, synced::add);
  }

  @Test
  void aNewStoresRootIsSyncedIntoItsParent() throws Exception {
    Path nested = dir.resolve("a/b/store").toAbsolutePath().normalize();
    synced.clear();

    new FilesystemStore(nested, false, synced::add).close();

    assertThat(synced)
        .contains(nested.resolve("+multipart"), nested, nested.getParent(), dir.resolve("a"), dir);
  }

  @Test
  void anOlderStoreGetsItsDirectoryOfUploadsDurably() throws Exception {
    Path older = dir.resolve("older").toAbsolutePath().normalize();
    java.nio.file.Files.createDirectories(older.resolve("blobs"));
    synced.clear();

    new FilesystemStore(older, false, synced::add).close();

    assertThat(synced).containsExactly(older.resolve("+multipart"), older);
  }

  @Test
  void aWriteIntoNewDirectoriesSyncsEachIntoItsParent() throws Exception {
    synced.clear();

    store.write("repositories/r/_tags/latest", CONTENT);

    assertThat(synced)
        .containsExactly(
            root.resolve("repositories/r/_tags"),
            root.resolve("repositories/r"),
            root.resolve("repositories"),
            root);
  }

  @Test
  void aWriteIntoADirectoryThatExistsSyncsOnlyThatDirectory() throws Exception {
    store.write("repositories/r/_tags/latest", CONTENT);
    synced.clear();

    store.write("repositories/r/_tags/other", CONTENT);
    store.write("repositories/r/_layers/sha256/aa", new byte[0]);

    assertThat(synced)
        .containsExactly(
            root.resolve("repositories/r/_tags"),
            root.resolve("repositories/r/_layers/sha256"),
            root.resolve("repositories/r/_layers"),
            root.resolve("repositories/r"));
  }

  @Test
  void createIfAbsentSyncsTheDirectoriesItCreated() throws Exception {
    store.write("blobs/sha256/aa/first", CONTENT);
    synced.clear();

    assertThat(store.writeIfAbsent("blobs/sha256/bb/record", CONTENT)).isTrue();
    assertThat(store.writeIfAbsent("repositories/x/_layers/sha256/cc", new byte[0])).isTrue();

    assertThat(synced)
        .containsExactly(
            root.resolve("blobs/sha256/bb"),
            root.resolve("blobs/sha256"),
            root.resolve("repositories/x/_layers/sha256"),
            root.resolve("repositories/x/_layers"),
            root.resolve("repositories/x"),
            root.resolve("repositories"),
            root);
  }

  @Test
  void aRevertibleWriteIntoAMissingDirectoryIsWrittenDurably() throws Exception {
    synced.clear();

    store.writeRevertible("repositories/r/_uploads/id", CONTENT);
    store.writeRevertible("repositories/s/_uploads/closed", new byte[0]);

    assertThat(synced)
        .containsExactly(
            root.resolve("repositories/r/_uploads"),
            root.resolve("repositories/r"),
            root.resolve("repositories"),
            root,
            root.resolve("repositories/s/_uploads"),
            root.resolve("repositories/s"),
            root.resolve("repositories"));
  }

  @Test
  void theFirstSuspendOfANewMultipartWriteSyncsItsEntry() throws Exception {
    Path inProgress = root.resolve("+multipart");
    MultipartWrite write = store.startMultipart("blobs/sha256/ee/data");
    write.write(ByteBuffer.wrap(CONTENT));
    synced.clear();

    String token = write.suspend();

    assertThat(synced).containsExactly(inProgress);

    synced.clear();
    MultipartWrite resumed = store.resumeMultipart("blobs/sha256/ee/data", token);
    resumed.write(ByteBuffer.wrap(CONTENT));
    resumed.suspend();

    assertThat(synced).isEmpty();
  }

  @Test
  void aCompletedMultipartWriteSyncsTheDirectoriesOnItsWay() throws Exception {
    MultipartWrite write = store.startMultipart("blobs/sha256/dd/data");
    write.write(ByteBuffer.wrap(CONTENT));
    synced.clear();

    write.complete();

    assertThat(synced)
        .contains(
            root.resolve("blobs/sha256/dd"),
            root.resolve("blobs/sha256"),
            root.resolve("blobs"),
            root);
  }
}
