package dev.lading.core.registry;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.storage.fs.FilesystemStore;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a small blob push through a session costs the store: starting a session writes its state and
 * nothing else, and a session that receives all its bytes in its closing {@code PUT} starts, fills
 * and completes one multipart write in that request, never resuming one.
 */
class BlobPushStoreCallsTest {
  private static final RepositoryName REPO = RepositoryName.parse("team/app");

  @TempDir Path dir;

  @Test
  void aSessionStartWritesOnlyItsState() throws Exception {
    StoreCallCounter store = new StoreCallCounter(new FilesystemStore(dir.resolve("root")));
    StoreRegistry registry = registry(store);

    registry.startUpload(REPO);

    assertThat(counts(store)).isEqualTo(Map.of("write", 1));
  }

  @Test
  void aClosingPutWithAllTheBytesStartsOneWriteAndResumesNone() throws Exception {
    StoreCallCounter store = new StoreCallCounter(new FilesystemStore(dir.resolve("root")));
    StoreRegistry registry = registry(store);
    byte[] blob = "a small layer".getBytes(UTF_8);
    Digest digest = Digest.sha256(blob);
    UploadStatus session = registry.startUpload(REPO);
    store.calls.clear();

    BlobInfo pushed =
        registry.completeUpload(
            REPO, session.id(), digest, OptionalLong.empty(), body(blob), OptionalLong.empty());

    assertThat(pushed.digest()).isEqualTo(digest);
    assertThat(pushed.size()).isEqualTo(blob.length);
    Map<String, Integer> calls = counts(store);
    System.out.printf("closing PUT of a %d-byte blob: %s%n", blob.length, new TreeMap<>(calls));
    assertThat(calls).containsEntry("startMultipart", 1).doesNotContainKey("resumeMultipart");
    assertThat(registry.statBlob(REPO, digest).size()).isEqualTo(blob.length);
  }

  @Test
  void aSessionCancelledBeforeAnyBytesIsGone() throws Exception {
    StoreCallCounter store = new StoreCallCounter(new FilesystemStore(dir.resolve("root")));
    StoreRegistry registry = registry(store);
    UploadStatus session = registry.startUpload(REPO);

    registry.cancelUpload(REPO, session.id());

    assertThat(store.calls).doesNotContainKeys("startMultipart", "resumeMultipart");
    assertThat(store.list("", Optional.empty(), 10).keys())
        .noneMatch(k -> k.contains(session.id().value()));
  }

  private static StoreRegistry registry(StoreCallCounter store) {
    return new StoreRegistry(
        store, RegistryOptions.defaults(), GcFence.of(store, Clock.systemUTC()));
  }

  private static InputStream body(byte[] bytes) {
    return new ByteArrayInputStream(bytes);
  }

  private static Map<String, Integer> counts(StoreCallCounter store) {
    return store.calls.entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().get()));
  }
}
