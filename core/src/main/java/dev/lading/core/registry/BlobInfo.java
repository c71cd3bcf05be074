package dev.lading.core.registry;

import dev.lading.core.model.Digest;

/** A committed blob: its digest and size. */
public record BlobInfo(Digest digest, long size) {
  public BlobInfo {
    if (size < 0) {
      throw new IllegalArgumentException("negative size");
    }
  }
}
