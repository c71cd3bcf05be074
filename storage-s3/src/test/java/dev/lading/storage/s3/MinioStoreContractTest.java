package dev.lading.storage.s3;

import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.ObjectStoreContract;
import java.net.URI;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.testcontainers.containers.MinIOContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Core's storage contract against MinIO in a container. Skipped, with Testcontainers' reason, where
 * no Docker daemon answers (as on the project's CI machine, which has none).
 */
@Testcontainers(disabledWithoutDocker = true)
class MinioStoreContractTest extends ObjectStoreContract {
  private static final String BUCKET = "lading-test";
  private static final AtomicBoolean BUCKET_READY = new AtomicBoolean();

  @Container
  static final MinIOContainer MINIO =
      new MinIOContainer("minio/minio:RELEASE.2025-04-22T22-12-26Z");

  private static S3StoreConfig config() {
    S3StoreConfig config =
        S3StoreConfig.of(
                Optional.of(URI.create(MINIO.getS3URL())),
                "us-east-1",
                BUCKET,
                MINIO.getUserName(),
                MINIO.getPassword())
            .withPrefix(EmbeddedS3Proxy.freshPrefix("minio"))
            .withPartSize(S3StoreConfig.MIN_PART_SIZE)
            .withMemoryBudget(64 * S3StoreConfig.MIB);
    if (BUCKET_READY.compareAndSet(false, true)) {
      try (S3Client s3 = S3Store.client(config)) {
        s3.createBucket(b -> b.bucket(BUCKET));
      }
    }
    return config;
  }

  @Override
  protected ObjectStore newStore() {
    return S3Store.create(config());
  }

  @Override
  protected ObjectStore reopen(ObjectStore store) {
    return S3Store.create(((S3Store) store).config());
  }
}
