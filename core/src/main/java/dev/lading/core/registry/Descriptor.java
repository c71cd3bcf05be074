package dev.lading.core.registry;

import dev.lading.core.model.Digest;
import java.util.Map;
import java.util.Optional;

/** An OCI content descriptor, as listed in a referrers index. */
public record Descriptor(
    String mediaType,
    Digest digest,
    long size,
    Optional<String> artifactType,
    Map<String, String> annotations) {
  public Descriptor {
    annotations = Map.copyOf(annotations);
  }
}
