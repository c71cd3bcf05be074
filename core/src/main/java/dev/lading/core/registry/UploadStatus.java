package dev.lading.core.registry;

import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.UploadId;

/** An upload session's progress: {@code offset} bytes received so far. */
public record UploadStatus(RepositoryName repository, UploadId id, long offset) {}
