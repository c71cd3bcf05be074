package dev.lading.storage.s3;

import dev.lading.core.registry.RegistryContract;
import dev.lading.core.storage.ObjectStore;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Core's registry contract (uploads, manifests, tags, referrers...) over S3Proxy. */
class S3RegistryContractTest extends RegistryContract {
  private EmbeddedS3Proxy proxy;

  @RegisterExtension
  final BeforeEachCallback proxyStarter = context -> proxy = EmbeddedS3Proxy.get(context);

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
