package dev.lading.core.registry;

import java.util.List;
import java.util.Optional;

/**
 * The referrers of a subject in one repository. {@code appliedFilter} holds the {@code
 * artifactType} the list was filtered by, answered as {@code OCI-Filters-Applied}.
 */
public record Referrers(List<Descriptor> manifests, Optional<String> appliedFilter) {
  public Referrers {
    manifests = List.copyOf(manifests);
  }
}
