package dev.lading.core.registry;

import dev.lading.core.model.Digest;
import dev.lading.core.model.Reference;
import dev.lading.core.model.RepositoryName;

/**
 * Told about every manifest {@code GET} that succeeded: the reference asked for (a tag or a digest)
 * and the digest served. Called on the request's thread, so it must not block or do I/O ({@link
 * PullLog} keeps pulls in memory and writes them in batches).
 */
@FunctionalInterface
public interface PullRecorder {
  PullRecorder NONE = (repository, reference, digest) -> {};

  void pulled(RepositoryName repository, Reference reference, Digest digest);
}
