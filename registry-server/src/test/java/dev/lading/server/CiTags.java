package dev.lading.server;

import dev.lading.core.model.Digest;
import dev.lading.core.model.Reference;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.registry.StoreRegistry;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;

/** The per-commit CI push retention tests start from: tags ci-01..ci-03 of one repository. */
public final class CiTags {
  private CiTags() {}

  /**
   * Pushes three manifests (an empty config, no layers, a {@code commit} annotation each) tagged
   * {@code ci-01}, {@code ci-02}, {@code ci-03} into {@code repository}, 20 ms apart so their push
   * times differ.
   */
  public static void pushThree(StoreRegistry registry, RepositoryName repository)
      throws InterruptedException {
    byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
    Digest configDigest = Digest.sha256(config);
    registry.putBlob(
        repository, configDigest, new ByteArrayInputStream(config), OptionalLong.of(2));
    for (int i = 1; i <= 3; i++) {
      String manifest =
          "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
              + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
              + "\"digest\":\""
              + configDigest
              + "\",\"size\":2},\"layers\":[],\"annotations\":{\"commit\":\""
              + i
              + "\"}}";
      registry.putManifest(
          repository,
          Reference.parse("ci-0" + i),
          "application/vnd.oci.image.manifest.v1+json",
          manifest.getBytes(StandardCharsets.UTF_8));
      Thread.sleep(20);
    }
  }
}
