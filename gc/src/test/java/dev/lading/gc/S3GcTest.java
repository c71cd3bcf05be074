package dev.lading.gc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.storage.ObjectStore;
import dev.lading.storage.s3.EmbeddedS3Proxy;
import dev.lading.storage.s3.S3Store;
import dev.lading.storage.s3.S3Targets;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The GC suites on S3Proxy; the second instance of the concurrency test is a second client. */
class S3GcTest extends GcContract {
  private EmbeddedS3Proxy proxy;

  @RegisterExtension
  final BeforeEachCallback proxyStarter = context -> proxy = EmbeddedS3Proxy.get(context);

  @Override
  protected ObjectStore newStore() {
    return S3Store.create(proxy.config(EmbeddedS3Proxy.freshPrefix("gc")));
  }

  @Override
  protected ObjectStore openSameStore(ObjectStore store) {
    return S3Store.create(((S3Store) store).config());
  }

  /** 240 pushes: S3Proxy on a shared 2-core machine takes a few ms per call. */
  @Override
  protected int pushesPerPusher() {
    return 60;
  }

  /** S3Proxy's round trips make a cycle slower than on a local disk. */
  @Override
  protected int minimumCycles() {
    return 16;
  }

  /** More than a part, so the expired session owns a real S3 multipart upload to abort. */
  @Override
  protected int halfALayerBytes() {
    return (int) ((S3Store) store).config().partSize() + 1000;
  }

  @Override
  protected long pendingMultipartWrites(ObjectStore store) {
    return S3Targets.pendingUploads((S3Store) store).size();
  }

  @Test
  void multipartUploadsAndTailsNoSessionNamesAreAbortedAndDeleted() throws Exception {
    S3Store s3 = (S3Store) store;
    // A request that died: a multipart upload with a full part and a suspended tail, whose
    // session state was never saved (nothing but the store's own residue names it).
    String dead = StorageLayout.keyOf(StorageLayout.DataKey.random());
    var write = s3.startMultipart(dead);
    write.write(ByteBuffer.allocate((int) s3.config().partSize() + 100));
    write.suspend();
    // A live session keeps its write.
    var live = registry.startUpload(APP);
    registry.appendToUpload(
        APP,
        live.id(),
        OptionalLong.empty(),
        new ByteArrayInputStream(new byte[(int) s3.config().partSize() + 10]),
        OptionalLong.empty());
    assertThat(S3Targets.pendingUploads(s3)).hasSize(2);
    storeClockMovesOn();

    GcStats dry = gc.run(now().withDryRun(true));
    assertThat(dry.abandonedWrites()).isEqualTo(2); // the upload and its tail
    assertThat(S3Targets.pendingUploads(s3)).hasSize(2);

    GcStats real = gc.run(now());
    assertThat(real.abandonedWrites()).isEqualTo(2);
    assertThat(S3Targets.pendingUploads(s3)).hasSize(1);
    assertThat(S3Targets.allObjects(s3)).noneMatch(k -> k.startsWith("+tails/" + dead));
    assertThat(registry.uploadStatus(APP, live.id()).offset())
        .isEqualTo(s3.config().partSize() + 10);
    assertThat(store.sweepAbandonedWrites(Set.of(), Instant.EPOCH, true)).isEmpty();
  }
}
