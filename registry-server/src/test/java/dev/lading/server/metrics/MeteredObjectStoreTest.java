package dev.lading.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.storage.MultipartWrite;
import dev.lading.core.storage.fs.FilesystemStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every call of a multipart write the metered store hands out is timed, and still reaches the
 * store.
 */
class MeteredObjectStoreTest {
  @TempDir Path root;

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private long count(String operation, String outcome) {
    var timer =
        registry
            .find("lading.store.calls")
            .tag("operation", operation)
            .tag("outcome", outcome)
            .timer();
    return timer == null ? 0 : timer.count();
  }

  @Test
  void aMultipartWritesCallsAreTimedAndForwarded() throws Exception {
    try (MeteredObjectStore store =
        new MeteredObjectStore(new FilesystemStore(root, false), registry)) {
      MultipartWrite write = store.startMultipart("data/a");
      write.write(ByteBuffer.wrap("hello ".getBytes(StandardCharsets.US_ASCII)));
      String token = write.suspend();
      MultipartWrite resumed = store.resumeMultipart("data/a", token);
      assertThat(resumed.key()).isEqualTo("data/a");
      assertThat(resumed.size()).isEqualTo(6);
      resumed.write(ByteBuffer.wrap("world".getBytes(StandardCharsets.US_ASCII)));
      resumed.complete();

      assertThat(store.read("data/a"))
          .map(b -> new String(b, StandardCharsets.US_ASCII))
          .contains("hello world");
      assertThat(count("start_multipart", "ok")).isEqualTo(1);
      assertThat(count("resume_multipart", "ok")).isEqualTo(1);
      assertThat(count("multipart_write", "ok")).isEqualTo(2);
      assertThat(count("multipart_suspend", "ok")).isEqualTo(1);
      assertThat(count("multipart_complete", "ok")).isEqualTo(1);

      MultipartWrite dropped = store.startMultipart("data/b");
      dropped.write(ByteBuffer.wrap(new byte[16]));
      dropped.abort();
      assertThat(count("multipart_abort", "ok")).isEqualTo(1);
      assertThat(store.stat("data/b")).isEqualTo(Optional.empty());
    }
  }

  @Test
  void aMissingObjectIsTimedAsNotFoundAndAnyOtherFailureAsAnError() throws Exception {
    try (MeteredObjectStore store =
        new MeteredObjectStore(new FilesystemStore(root, false), registry)) {
      assertThatThrownBy(() -> store.resumeMultipart("data/none", "0"))
          .isInstanceOf(NoSuchFileException.class);
      assertThatThrownBy(() -> store.resumeMultipart("data/none", "not a token"))
          .isInstanceOf(IllegalArgumentException.class);
      assertThat(count("resume_multipart", "not_found")).isEqualTo(1);
      assertThat(count("resume_multipart", "error")).isEqualTo(1);
      assertThat(count("resume_multipart", "ok")).isZero();
    }
  }
}
