package dev.lading.storage.s3;

import java.util.List;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.MultipartUpload;

/** Questions tests ask S3 directly, past the store: what the store must not leave behind. */
public final class S3Targets {
  private S3Targets() {}

  /** Multipart uploads neither completed nor aborted under the store's prefix. */
  public static List<MultipartUpload> pendingUploads(S3Store store) {
    try (S3Client s3 = S3Store.client(store.config())) {
      return s3
          .listMultipartUploadsPaginator(
              b -> b.bucket(store.config().bucket()).prefix(store.config().prefix()))
          .uploads()
          .stream()
          .toList();
    }
  }

  /** Every object under the store's prefix, tails included. */
  public static List<String> allObjects(S3Store store) {
    try (S3Client s3 = S3Store.client(store.config())) {
      return s3
          .listObjectsV2Paginator(
              b -> b.bucket(store.config().bucket()).prefix(store.config().prefix()))
          .contents()
          .stream()
          .map(o -> o.key().substring(store.config().prefix().length()))
          .toList();
    }
  }
}
