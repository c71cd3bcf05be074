package dev.lading.storage.s3;

/** Core's storage contract against S3Proxy embedded in the test JVM. */
class S3StoreContractTest extends ObjectStoreContractOnS3 {
  private final EmbeddedS3Proxy proxy = EmbeddedS3Proxy.shared();

  @Override
  protected S3StoreConfig config(String name) {
    return proxy.config(EmbeddedS3Proxy.freshPrefix(name));
  }
}
