package dev.lading.gc;

import dev.lading.storage.s3.CephTarget;
import dev.lading.storage.s3.EmbeddedS3Proxy;
import dev.lading.storage.s3.S3StoreConfig;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/** The crash-point suite on Ceph RGW, the production target; see {@code CephTarget}. */
@EnabledIfSystemProperty(
    named = CephTarget.ENABLED,
    matches = "true",
    disabledReason =
        "Ceph RGW tests run with -Dlading.s3.ceph=true (start one with shared/tools/ceph-up.sh)")
class CephCrashPointTest extends S3CrashPointTest {
  @Override
  protected S3StoreConfig config() {
    return CephTarget.config(EmbeddedS3Proxy.freshPrefix("ceph-crash-" + System.nanoTime()));
  }

  /**
   * Ceph's round trips are slower than S3Proxy's, and every crash point ends with a GC run that
   * lists all 512 shards: every third point, and one random sequence, keep the suite to a few
   * minutes in CI. S3Proxy runs every point of the same code paths.
   */
  @Override
  protected int crashPointStride() {
    return 3;
  }

  @Override
  protected int randomSequences() {
    return 1;
  }
}
