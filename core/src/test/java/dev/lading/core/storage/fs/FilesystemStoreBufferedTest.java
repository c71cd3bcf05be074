package dev.lading.core.storage.fs;

/** The whole contract again with uploads written through the page cache (no direct I/O). */
class FilesystemStoreBufferedTest extends FilesystemStoreTest {

  @Override
  protected boolean directWrites() {
    return false;
  }
}
