package dev.lading.core.registry;

import dev.lading.core.model.Digest;
import java.util.List;
import java.util.Optional;

/**
 * The stored manifest's digest, its {@code subject} (answered as {@code OCI-Subject}) and what the
 * push is warned about ({@link dev.lading.core.manifest.ManifestWarnings}, answered as {@code
 * Warning} headers).
 */
public record PutManifestResult(Digest digest, Optional<Digest> subject, List<String> warnings) {
  public PutManifestResult {
    warnings = List.copyOf(warnings);
  }

  public PutManifestResult(Digest digest, Optional<Digest> subject) {
    this(digest, subject, List.of());
  }
}
