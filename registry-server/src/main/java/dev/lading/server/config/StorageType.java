package dev.lading.server.config;

/** Where blobs and metadata live. */
public enum StorageType {
  /** The embedded default: a directory tree on a local filesystem. */
  FILESYSTEM,
  /** An S3-compatible bucket (arrives with the storage-s3 module; refused until then). */
  S3
}
