package dev.lading.core.registry;

import dev.lading.core.model.Digest;
import java.util.Optional;

/** The stored manifest's digest, and its {@code subject} (answered as {@code OCI-Subject}). */
public record PutManifestResult(Digest digest, Optional<Digest> subject) {}
