package dev.lading.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.ObjectStoreContract;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/** Core's storage contract against Ceph RGW; see {@link CephTarget} for where it is. */
@EnabledIfSystemProperty(named = CephTarget.ENABLED, matches = "true",
    disabledReason = "Ceph RGW tests run with -Dlading.s3.ceph=true (start one with shared/tools/ceph-up.sh)")
class CephStoreContractTest extends ObjectStoreContract {
  @Override
  protected ObjectStore newStore() {
    return S3Store.create(CephTarget.config(EmbeddedS3Proxy.freshPrefix("ceph-contract-" + System.nanoTime())));
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
