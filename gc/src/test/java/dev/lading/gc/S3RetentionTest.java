package dev.lading.gc;

import dev.lading.core.storage.ObjectStore;
import dev.lading.storage.s3.EmbeddedS3Proxy;
import dev.lading.storage.s3.S3Store;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The retention suite on S3Proxy; the second instance is a second client of the bucket. */
class S3RetentionTest extends RetentionContract {
  private EmbeddedS3Proxy proxy;

  @RegisterExtension
  final BeforeEachCallback proxyStarter = context -> proxy = EmbeddedS3Proxy.get(context);

  @Override
  protected ObjectStore newStore() {
    return S3Store.create(proxy.config(EmbeddedS3Proxy.freshPrefix("retention")));
  }

  @Override
  protected ObjectStore openSameStore(ObjectStore store) {
    return S3Store.create(((S3Store) store).config());
  }
}
