package dev.lading.storage.s3;

import dev.lading.core.registry.RegistryContract;
import dev.lading.core.storage.ObjectStore;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/** Core's registry contract over Ceph RGW; see {@link CephTarget} for where it is. */
@EnabledIfSystemProperty(named = CephTarget.ENABLED, matches = "true",
    disabledReason = "Ceph RGW tests run with -Dlading.s3.ceph=true (start one with shared/tools/ceph-up.sh)")
class CephRegistryContractTest extends RegistryContract {
  @Override
  protected ObjectStore newStore() {
    return S3Store.create(CephTarget.config(EmbeddedS3Proxy.freshPrefix("ceph-registry-" + System.nanoTime())));
  }

  @Override
  protected ObjectStore reopen(ObjectStore store) {
    return S3Store.create(((S3Store) store).config());
  }

  @Override
  protected long pendingMultipartWrites(ObjectStore store) {
    return S3Targets.pendingUploads((S3Store) store).size();
  }
}
