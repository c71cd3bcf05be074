package dev.lading.storage.s3;

/** Core's registry contract (uploads, manifests, tags, referrers...) over S3Proxy. */
class S3RegistryContractTest extends RegistryContractOnS3 {
  private final EmbeddedS3Proxy proxy = EmbeddedS3Proxy.shared();

  @Override
  protected S3StoreConfig config(String name) {
    return proxy.config(EmbeddedS3Proxy.freshPrefix(name));
  }
}
