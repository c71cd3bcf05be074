package dev.lading.core.registry;

import dev.lading.core.model.Digest;
import java.util.List;
import java.util.Optional;

/**
 * The stored manifest's digest, its {@code subject} (answered as {@code OCI-Subject}), what the
 * push is warned about ({@link dev.lading.core.manifest.ManifestWarnings}, answered as {@code
 * Warning} headers) and, for a push by tag that found the tag set, the digest it pointed at before
 * ({@code replaced}: the audit log's moved tag).
 */
public record PutManifestResult(
    Digest digest, Optional<Digest> subject, List<String> warnings, Optional<Digest> replaced) {
  public PutManifestResult {
    warnings = List.copyOf(warnings);
  }

  public PutManifestResult(Digest digest, Optional<Digest> subject, List<String> warnings) {
    this(digest, subject, warnings, Optional.empty());
  }

  public PutManifestResult(Digest digest, Optional<Digest> subject) {
    this(digest, subject, List.of());
  }

  /** This result of a push by tag that found the tag pointing at {@code before} (or unset). */
  PutManifestResult replacing(Optional<Digest> before) {
    return new PutManifestResult(digest, subject, warnings, before);
  }
}
