package dev.lading.storage.s3;

import dev.lading.core.registry.RegistryContract;
import dev.lading.core.storage.ObjectStore;

/** Core's registry contract (uploads, manifests, tags, referrers...) over S3Proxy. */
class S3RegistryContractTest extends RegistryContract {
  private final EmbeddedS3Proxy proxy = EmbeddedS3Proxy.shared();

  @Override
  protected ObjectStore newStore() {
    return S3Store.create(proxy.config(EmbeddedS3Proxy.freshPrefix("registry")));
  }

  @Override
  protected ObjectStore reopen(ObjectStore store) {
    return S3Store.create(((S3Store) store).config());
  }

  @Override
  protected long pendingMultipartWrites(ObjectStore store) {
    return S3Targets.pendingUploads((S3Store) store).size();
  }
}
