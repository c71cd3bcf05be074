package dev.lading.storage.s3;

import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/** Core's registry contract over Ceph RGW; see {@link CephTarget} for where it is. */
@EnabledIfSystemProperty(
    named = CephTarget.ENABLED,
    matches = "true",
    disabledReason =
        "Ceph RGW tests run with -Dlading.s3.ceph=true (start one with shared/tools/ceph-up.sh)")
class CephRegistryContractTest extends RegistryContractOnS3 {
  @Override
  protected S3StoreConfig config(String name) {
    return CephTarget.config(EmbeddedS3Proxy.freshPrefix("ceph-" + name + "-" + System.nanoTime()));
  }
}
