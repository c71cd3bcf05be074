package dev.lading.gc;

/**
 * The crash-point suite on the filesystem store with its small objects in its index, as a store of
 * layout version 5 keeps them.
 */
class IndexedFilesystemCrashPointTest extends FilesystemCrashPointTest {

  @Override
  protected boolean indexSmallObjects() {
    return true;
  }
}
