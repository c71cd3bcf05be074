package dev.lading.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import land.oras.Annotations;
import land.oras.ArtifactType;
import land.oras.Config;
import land.oras.ContainerRef;
import land.oras.LocalPath;
import land.oras.Manifest;
import land.oras.Registry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ORAS Java SDK pushes a model artifact with the robot's credentials, inside its path only.
 *
 * <p>How SDK 0.7.0 authenticates (read from its {@code land.oras.auth.HttpClient}): it caches
 * tokens by the exact scope set asked; a request whose scope set has a cached token carries it,
 * else it carries Basic credentials. On a 401 it asks the token endpoint, with the same rule for
 * its own Authorization header. So when the scope grows (HEAD for pull, then POST for pull and
 * push) it sends Basic; it presents a bearer token at the token endpoint only for the scope set
 * that token was issued for (the next blob's POST). The endpoint's "never more than the presented
 * token" rule therefore costs this SDK nothing, and this test passing shows it.
 */
class OrasAuthTest {
  @TempDir Path root;
  @TempDir Path work;

  @Test
  void robotPushesAnArtifactUnderMlAndIsRefusedElsewhere() throws Exception {
    try (AuthFixture registry = new AuthFixture(root)) {
      Path weights = Files.writeString(work.resolve("model.gguf"), "GGUF pretend weights");
      String host = "127.0.0.1:" + registry.server.port();
      Registry oras =
          Registry.builder()
              .defaults("ml-builder", AuthFixture.SECRETS.get("ml-builder"))
              .withInsecure(true)
              .build();
      Manifest pushed =
          oras.pushArtifact(
              ContainerRef.parse(host + "/ml/models/tiny:v1"),
              ArtifactType.from("application/vnd.lading.test.model"),
              Annotations.empty(),
              Config.empty(),
              LocalPath.of(weights));
      assertThat(pushed.getLayers()).hasSize(1);

      String pull = registry.token("reader", "repository:ml/models/tiny:pull");
      assertThat(
              registry
                  .send(
                      registry
                          .request("/v2/ml/models/tiny/manifests/v1", pull)
                          .header("Accept", "application/vnd.oci.image.manifest.v1+json")
                          .GET()
                          .build())
                  .statusCode())
          .isEqualTo(200);

      assertThatThrownBy(
          () ->
              oras.pushArtifact(
                  ContainerRef.parse(host + "/other/models:v1"),
                  ArtifactType.from("application/vnd.lading.test.model"),
                  Annotations.empty(),
                  Config.empty(),
                  LocalPath.of(weights)));
      String admin = registry.token("admin", "repository:other/models:pull");
      assertThat(
              registry
                  .send(
                      registry
                          .request("/v2/other/models/manifests/v1", admin)
                          .header("Accept", "application/vnd.oci.image.manifest.v1+json")
                          .GET()
                          .build())
                  .statusCode())
          .isEqualTo(404);
    }
  }
}
