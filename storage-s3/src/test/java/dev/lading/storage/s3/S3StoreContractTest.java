package dev.lading.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.ObjectStoreContract;
import org.junit.jupiter.api.AfterEach;

/** Core's storage contract against S3Proxy embedded in the test JVM. */
class S3StoreContractTest extends ObjectStoreContract {
  private final EmbeddedS3Proxy proxy = EmbeddedS3Proxy.shared();

  @Override
  protected ObjectStore newStore() {
    return S3Store.create(proxy.config(EmbeddedS3Proxy.freshPrefix("contract")));
  }

  @Override
  protected ObjectStore reopen(ObjectStore store) {
    return S3Store.create(((S3Store) store).config());
  }

  @AfterEach
  void noMultipartUploadOrTailIsLeft() {
    S3Store s3 = (S3Store) store;
    assertThat(S3Targets.pendingUploads(s3)).as("multipart uploads left behind").isEmpty();
    assertThat(S3Targets.allObjects(s3)).as("objects (tails included) left behind").isEmpty();
  }
}
