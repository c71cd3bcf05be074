package dev.lading.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.ObjectStoreContract;
import org.junit.jupiter.api.AfterEach;

/**
 * Core's storage contract on an S3 server; subclasses say which. Every test ends checking that no
 * multipart upload and no object (tails included) is left under its prefix.
 */
abstract class ObjectStoreContractOnS3 extends ObjectStoreContract {
  /** A configuration for a fresh, empty prefix; 5 MiB parts. */
  protected abstract S3StoreConfig config(String name);

  @Override
  protected ObjectStore newStore() {
    return S3Store.create(config("contract"));
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
