package dev.lading.core.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.storage.MultipartWrite;
import dev.lading.core.storage.fs.FilesystemStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BodyCopierTest {

  @TempDir Path root;

  @Test
  void storesAndHashesEveryByteInOrder() throws Exception {
    byte[] body = new byte[BodyCopier.BUFFER_BYTES * 5 + 12345];
    new Random(7).nextBytes(body);
    MessageDigest seen = MessageDigest.getInstance("SHA-256");
    try (FilesystemStore store = new FilesystemStore(root)) {
      MultipartWrite write = store.startMultipart("data/x");
      long copied =
          BodyCopier.copy(
              new ByteArrayInputStream(body), write, seen::update, new BodyCopier.Progress());
      write.complete();
      assertThat(copied).isEqualTo(body.length);
      assertThat(seen.digest()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(body));
      assertThat(store.read("data/x")).hasValueSatisfying(b -> assertThat(b).isEqualTo(body));
    }
  }

  @Test
  void storeFailureIsStorageUnavailableAndNoWriteFollowsTheReturn() {
    StoppableWrite write = new StoppableWrite(3);
    InputStream endless =
        new InputStream() {
          @Override
          public int read() {
            return 1;
          }

          @Override
          public int read(byte[] b, int off, int len) {
            return len;
          }
        };
    assertThatThrownBy(() -> BodyCopier.copy(endless, write, b -> {}, new BodyCopier.Progress()))
        .isInstanceOfSatisfying(
            RegistryException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.STORAGE_UNAVAILABLE));
    write.returned.set(true);
    assertThat(write.writesAfterReturn.get()).isZero();
  }

  @Test
  void bodyBreakingOffIsBlobUploadInvalidAndNoWriteFollowsTheReturn() {
    StoppableWrite write = new StoppableWrite(Integer.MAX_VALUE);
    InputStream breaking =
        new SequenceInputStream(
            new ByteArrayInputStream(new byte[BodyCopier.BUFFER_BYTES * 3]),
            new InputStream() {
              @Override
              public int read() throws IOException {
                throw new IOException("connection reset");
              }
            });
    BodyCopier.Progress progress = new BodyCopier.Progress();
    assertThatThrownBy(() -> BodyCopier.copy(breaking, write, b -> {}, progress))
        .isInstanceOfSatisfying(
            RegistryException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.BLOB_UPLOAD_INVALID));
    write.returned.set(true);
    assertThat(write.writesAfterReturn.get()).isZero();
    assertThat(write.size()).isEqualTo(BodyCopier.BUFFER_BYTES * 3L);
    assertThat(progress.bodyBroke()).isTrue();
    assertThat(progress.bytes()).isEqualTo(write.size());
  }

  /** A write that fails on its n-th call and counts calls made after the copier returned. */
  private static final class StoppableWrite implements MultipartWrite {
    final AtomicBoolean returned = new AtomicBoolean();
    final AtomicInteger writesAfterReturn = new AtomicInteger();
    private final int failOnCall;
    private int calls;
    private long size;

    StoppableWrite(int failOnCall) {
      this.failOnCall = failOnCall;
    }

    @Override
    public String key() {
      return "data/x";
    }

    @Override
    public long size() {
      return size;
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
      if (returned.get()) {
        writesAfterReturn.incrementAndGet();
      }
      if (++calls == failOnCall) {
        throw new IOException("disk full");
      }
      size += src.remaining();
      src.position(src.limit());
    }

    @Override
    public String suspend() {
      return "";
    }

    @Override
    public void complete() {}

    @Override
    public void abort() {}
  }
}
