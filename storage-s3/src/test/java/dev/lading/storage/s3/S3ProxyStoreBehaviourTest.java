package dev.lading.storage.s3;

/** The S3-specific behaviour against S3Proxy embedded in the test JVM. */
class S3ProxyStoreBehaviourTest extends S3StoreBehaviour {
  private final EmbeddedS3Proxy proxy = EmbeddedS3Proxy.shared();

  @Override
  protected S3StoreConfig config(String name) {
    return proxy.config(EmbeddedS3Proxy.freshPrefix(name));
  }
}
