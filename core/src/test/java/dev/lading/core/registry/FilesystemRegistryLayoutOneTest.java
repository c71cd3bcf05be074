package dev.lading.core.registry;

/**
 * The whole registry contract on a store of layout version 1, which a Lading keeps writing until
 * the store is upgraded: every small blob is a data object and a record naming it.
 */
class FilesystemRegistryLayoutOneTest extends FilesystemRegistryTest {
  @Override
  protected RegistryOptions options() {
    return RegistryOptions.defaults().withStoreLayout(1);
  }
}
