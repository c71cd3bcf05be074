package dev.lading.core.storage;

import java.time.Instant;

/** What a store knows about one object without reading it. */
public record ObjectInfo(long size, Instant lastModified) {
  public ObjectInfo {
    if (size < 0) {
      throw new IllegalArgumentException("negative size " + size);
    }
  }
}
