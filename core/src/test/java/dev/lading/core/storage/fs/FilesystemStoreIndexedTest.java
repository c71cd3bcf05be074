package dev.lading.core.storage.fs;

/** The whole contract again with small objects kept in the store's index instead of files. */
class FilesystemStoreIndexedTest extends FilesystemStoreTest {

  @Override
  protected boolean indexSmallObjects() {
    return true;
  }
}
