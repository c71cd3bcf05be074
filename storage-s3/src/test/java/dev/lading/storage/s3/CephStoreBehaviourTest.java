package dev.lading.storage.s3;

import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/** The S3-specific behaviour against Ceph RGW; see {@link CephTarget} for where it is. */
@EnabledIfSystemProperty(
    named = CephTarget.ENABLED,
    matches = "true",
    disabledReason =
        "Ceph RGW tests run with -Dlading.s3.ceph=true (start one with shared/tools/ceph-up.sh)")
class CephStoreBehaviourTest extends S3StoreBehaviour {
  @Override
  protected S3StoreConfig config(String name) {
    return CephTarget.config(EmbeddedS3Proxy.freshPrefix("ceph-" + name + "-" + System.nanoTime()));
  }

  @Override
  protected boolean discardsUnlistedParts() {
    return false;
  }
}
