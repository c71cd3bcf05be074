package dev.lading.core.manifest;

import dev.lading.core.model.Digest;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A content descriptor inside a manifest or index (image-spec descriptor.md), validated: a media
 * type, a digest, a size of at least zero, and the optional {@code urls}, {@code annotations},
 * {@code artifactType} and embedded {@code data}.
 */
public record ManifestDescriptor(
    String mediaType,
    Digest digest,
    long size,
    List<String> urls,
    Map<String, String> annotations,
    Optional<String> artifactType) {

  public ManifestDescriptor {
    Objects.requireNonNull(mediaType);
    Objects.requireNonNull(digest);
    if (size < 0) {
      throw new IllegalArgumentException("negative size");
    }
    urls = List.copyOf(urls);
    annotations = Map.copyOf(annotations);
    Objects.requireNonNull(artifactType);
  }

  /**
   * A layer the registry need not hold: Docker foreign layers and OCI non-distributable layers that
   * name where to fetch them ({@code urls}).
   */
  public boolean isForeign() {
    return !urls.isEmpty()
        && (mediaType.startsWith("application/vnd.docker.image.rootfs.foreign.")
            || mediaType.startsWith("application/vnd.oci.image.layer.nondistributable."));
  }
}
