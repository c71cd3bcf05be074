package dev.lading.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.UploadId;
import dev.lading.core.registry.BlobContent;
import dev.lading.core.registry.RegistryOptions;
import dev.lading.core.registry.StoreRegistry;
import dev.lading.core.storage.BlobSource;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.MultipartUpload;

/**
 * A PATCH whose body breaks off after whole parts went to S3: core keeps those bytes (saves the
 * session at the new offset with the hash state that matches it), so every part in S3 is named by
 * the saved session and Complete lists them all, which Ceph RGW requires (it refuses a Complete
 * that leaves an uploaded part out with InvalidPart).
 */
class S3UploadSessionRecoveryTest {
  private static final RepositoryName REPO = RepositoryName.parse("team/recovery");
  private static final int PART = (int) S3StoreConfig.MIN_PART_SIZE;

  private final EmbeddedS3Proxy proxy = EmbeddedS3Proxy.shared();
  private S3Store store;

  @AfterEach
  void close() {
    if (store != null) {
      store.close();
    }
  }

  @Test
  void brokenChunkKeepsItsWholePartsSoCompleteListsEveryUploadedPart() throws Exception {
    store = S3Store.create(proxy.config(EmbeddedS3Proxy.freshPrefix("recovery")));
    StoreRegistry registry = new StoreRegistry(store, RegistryOptions.defaults());
    byte[] blob = new byte[3 * PART + 12_345];
    new Random(7).nextBytes(blob);
    UploadId id = registry.startUpload(REPO).id();

    int breakAt = 2 * PART + 777_000; // two whole parts reach S3, then the client dies
    InputStream dying = new BreaksAfter(Arrays.copyOf(blob, breakAt + 1000), breakAt);
    assertThatThrownBy(
            () ->
                registry.appendToUpload(
                    REPO, id, OptionalLong.empty(), dying, OptionalLong.empty()))
        .isInstanceOf(RegistryException.class)
        .extracting(e -> ((RegistryException) e).code())
        .isEqualTo(ErrorCode.BLOB_UPLOAD_INVALID);

    long offset = registry.uploadStatus(REPO, id).offset();
    assertThat(offset)
        .as("bytes kept")
        .isGreaterThanOrEqualTo(2L * PART)
        .isLessThanOrEqualTo(breakAt);
    int partsInS3 = partsOfTheOneUpload();
    assertThat((long) partsInS3 * PART)
        .as("every part in S3 lies within the saved offset")
        .isLessThanOrEqualTo(offset);

    // The client resumes where the registry says and closes the upload.
    Digest digest = Digest.sha256(blob);
    registry.completeUpload(
        REPO,
        id,
        digest,
        OptionalLong.of(offset),
        new ByteArrayInputStream(blob, (int) offset, blob.length - (int) offset),
        OptionalLong.empty());
    try (BlobContent content = registry.openBlob(REPO, digest, Optional.empty())) {
      assertThat(content.source()).isInstanceOf(BlobSource.StreamSource.class);
      byte[] back = ((BlobSource.StreamSource) content.source()).stream().readAllBytes();
      assertThat(Digest.sha256(back)).isEqualTo(digest);
    }
    assertThat(S3Targets.pendingUploads(store)).isEmpty();
  }

  private int partsOfTheOneUpload() {
    try (S3Client s3 = S3Store.client(store.config())) {
      var uploads = S3Targets.pendingUploads(store);
      assertThat(uploads).hasSize(1);
      MultipartUpload upload = uploads.getFirst();
      return (int)
          s3
              .listPartsPaginator(
                  b ->
                      b.bucket(store.config().bucket())
                          .key(upload.key())
                          .uploadId(upload.uploadId()))
              .parts()
              .stream()
              .count();
    }
  }

  /** The first {@code limit} bytes of {@code bytes}, then a reset connection. */
  private static final class BreaksAfter extends InputStream {
    private final byte[] bytes;
    private final int limit;
    private int position;

    BreaksAfter(byte[] bytes, int limit) {
      this.bytes = bytes;
      this.limit = limit;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (position >= limit) {
        throw new IOException("connection reset");
      }
      int n = Math.min(len, limit - position);
      System.arraycopy(bytes, position, b, off, n);
      position += n;
      return n;
    }
  }
}
