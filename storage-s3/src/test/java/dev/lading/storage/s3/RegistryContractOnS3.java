package dev.lading.storage.s3;

import dev.lading.core.registry.RegistryContract;
import dev.lading.core.storage.ObjectStore;

/**
 * Core's registry contract (uploads, manifests, tags, referrers...) on an S3 server; subclasses say
 * which.
 */
abstract class RegistryContractOnS3 extends RegistryContract {
  /** A configuration for a fresh, empty prefix; 5 MiB parts. */
  protected abstract S3StoreConfig config(String name);

  @Override
  protected ObjectStore newStore() {
    return S3Store.create(config("registry"));
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
