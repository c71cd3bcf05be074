package dev.lading.storage.s3;

import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The S3-specific behaviour against S3Proxy embedded in the test JVM. */
class S3ProxyStoreBehaviourTest extends S3StoreBehaviour {
  private EmbeddedS3Proxy proxy;

  @RegisterExtension
  final BeforeEachCallback proxyStarter = context -> proxy = EmbeddedS3Proxy.get(context);

  @Override
  protected S3StoreConfig config(String name) {
    return proxy.config(EmbeddedS3Proxy.freshPrefix(name));
  }
}
