package dev.lading.core.registry;

/**
 * The whole registry contract on a store of layout version 3, which a Lading keeps writing until
 * the store is upgraded: a signed id's close stores its whole completed state.
 */
class FilesystemRegistryLayoutThreeTest extends FilesystemRegistryTest {
  @Override
  protected RegistryOptions options() {
    return RegistryOptions.defaults().withStoreLayout(3);
  }
}
