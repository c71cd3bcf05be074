package dev.lading.core.manifest;

import dev.lading.core.model.Digest;
import dev.lading.core.model.MediaTypes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the registry needs from a validated manifest or index: its media type, the blobs ({@code
 * config}, {@code layers}) or child manifests ({@code manifests}) it references, its {@code
 * subject}, and what a referrers listing shows ({@code artifactType}, annotations). The bytes
 * themselves are stored verbatim, never re-serialised from this.
 *
 * @param typeInBody whether the bytes name {@code mediaType} themselves (then the type can be read
 *     back from them, {@link ManifestParser#ownMediaType}), rather than only the request's
 *     Content-Type
 */
public record ParsedManifest(
    String mediaType,
    boolean typeInBody,
    Optional<ManifestDescriptor> config,
    List<ManifestDescriptor> layers,
    List<ManifestDescriptor> manifests,
    Optional<ManifestDescriptor> subject,
    Optional<String> artifactType,
    Map<String, String> annotations) {

  public ParsedManifest {
    Objects.requireNonNull(mediaType);
    Objects.requireNonNull(config);
    layers = List.copyOf(layers);
    manifests = List.copyOf(manifests);
    Objects.requireNonNull(subject);
    Objects.requireNonNull(artifactType);
    annotations = Map.copyOf(annotations);
  }

  public boolean isIndex() {
    return MediaTypes.INDEXES.contains(mediaType);
  }

  /**
   * The blobs the repository must hold for this manifest to be accepted: the config and every layer
   * except foreign ones (non-distributable layers with URLs, fetched from elsewhere).
   */
  public List<Digest> requiredBlobs() {
    List<Digest> out = new ArrayList<>();
    config.ifPresent(c -> out.add(c.digest()));
    layers.stream().filter(l -> !l.isForeign()).forEach(l -> out.add(l.digest()));
    return out;
  }

  /** The manifests an index needs in the repository: its children. */
  public List<Digest> requiredManifests() {
    return manifests.stream().map(ManifestDescriptor::digest).toList();
  }

  /**
   * The artifact type a referrers listing shows: {@code artifactType} when set, else the config's
   * media type for image manifests (image-spec manifest.md, "artifactType"), else none.
   */
  public Optional<String> effectiveArtifactType() {
    if (artifactType.isPresent()) {
      return artifactType;
    }
    return config.map(ManifestDescriptor::mediaType);
  }
}
