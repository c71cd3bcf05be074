/**
 * The filesystem store, the embedded default: keys are files under one root, published by fsync and
 * atomic rename, multipart writes appended in a hidden directory. Knows keys only as opaque
 * validated strings (never builds them: that is {@code dev.lading.core.layout}'s job, which also
 * names its private directories); imports no registry, HTTP, S3 or JWT types.
 */
package dev.lading.core.storage.fs;
