package dev.lading.gc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.storage.ObjectStore;
import dev.lading.storage.s3.EmbeddedS3Proxy;
import dev.lading.storage.s3.S3Store;
import dev.lading.storage.s3.S3StoreConfig;
import dev.lading.storage.s3.S3Targets;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The crash-point suite on S3 (embedded S3Proxy); {@code CephCrashPointTest} runs it on Ceph RGW.
 * The chunked upload spans a whole multipart part and a tail, so crashes land between part uploads,
 * tail writes and the multipart Complete.
 */
class S3CrashPointTest extends CrashPointContract {
  private EmbeddedS3Proxy proxy;

  @RegisterExtension
  final BeforeEachCallback proxyStarter = context -> proxy = EmbeddedS3Proxy.get(context);

  protected S3StoreConfig config() {
    return proxy.config(EmbeddedS3Proxy.freshPrefix("crash"));
  }

  @Override
  protected ObjectStore newStore() {
    return S3Store.create(config());
  }

  @Override
  protected ObjectStore reopen(ObjectStore store) {
    return S3Store.create(((S3Store) store).config());
  }

  @Override
  protected int chunkedBlobBytes() {
    return (int) S3StoreConfig.MIN_PART_SIZE + 300_000;
  }

  @Override
  protected int randomSequences() {
    return 4;
  }

  /**
   * After the final GC no multipart upload, tail or GC object is left (but the link epoch, one
   * object rewritten in place). Data no record names may remain: GC leaves strays younger than its
   * intents' lifetime (they may still be committed), and the filesystem suite, which can age
   * objects, shows that GC then removes them.
   */
  @Override
  protected void assertOnlyCollectableResidue(ObjectStore store) {
    S3Store s3 = (S3Store) store;
    assertThat(S3Targets.pendingUploads(s3)).as("multipart uploads left").isEmpty();
    assertThat(S3Targets.allObjects(s3))
        .as("tails and GC objects left")
        .noneMatch(
            k ->
                k.contains("+tails/")
                    || k.contains("gc/")
                        && !k.endsWith(StorageLayout.keyOf(new StorageLayout.LinkEpochKey())));
  }
}
