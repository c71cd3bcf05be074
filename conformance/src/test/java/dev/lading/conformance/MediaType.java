package dev.lading.conformance;

import java.util.List;

/** The media types the tests send, spelled once. */
public final class MediaType {
  public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
  public static final String OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
  public static final String OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";
  public static final String OCI_EMPTY = "application/vnd.oci.empty.v1+json";
  public static final String DOCKER_MANIFEST =
      "application/vnd.docker.distribution.manifest.v2+json";
  public static final String DOCKER_MANIFEST_LIST =
      "application/vnd.docker.distribution.manifest.list.v2+json";
  public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
  public static final String DOCKER_LAYER_GZIP =
      "application/vnd.docker.image.rootfs.diff.tar.gzip";

  /** CNCF ModelPack's artifactType ({@code modelpack/model-spec} {@code docs/spec.md}). */
  public static final String MODELPACK_ARTIFACT = "application/vnd.cncf.model.manifest.v1+json";

  public static final String MODELPACK_CONFIG = "application/vnd.cncf.model.config.v1+json";
  public static final String MODELPACK_WEIGHT_RAW = "application/vnd.cncf.model.weight.v1.raw";

  public static final List<String> ALL_MANIFESTS =
      List.of(OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST);

  private MediaType() {}
}
