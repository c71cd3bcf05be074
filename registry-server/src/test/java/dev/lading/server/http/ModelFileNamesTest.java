package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.manifest.ManifestDescriptor;
import dev.lading.core.model.Digest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ModelFileNamesTest {
  private static int next;

  private static ManifestDescriptor layer(String mediaType, Map<String, String> annotations) {
    Digest digest = Digest.sha256(("layer " + next++).getBytes(StandardCharsets.UTF_8));
    return new ManifestDescriptor(mediaType, digest, 10, List.of(), annotations, Optional.empty());
  }

  private static ManifestDescriptor layer(String mediaType) {
    return layer(mediaType, Map.of());
  }

  private static List<String> names(ManifestDescriptor... layers) {
    return ModelFileNames.of(List.of(layers)).stream().map(n -> n.orElse("-")).toList();
  }

  @Test
  void theTitleComesBeforeTheModelPackFilepath() {
    assertThat(
            names(
                layer(
                    "application/vnd.cncf.model.weight.v1.raw",
                    Map.of(
                        "org.opencontainers.image.title", "a.gguf",
                        "org.cncf.model.filepath", "b.gguf")),
                layer(
                    "application/vnd.cncf.model.weight.v1.raw",
                    Map.of("org.cncf.model.filepath", "weights/c.safetensors"))))
        .containsExactly("a.gguf", "weights/c.safetensors");
  }

  @Test
  void ollamaLayersAreNamedByTheirKind() {
    assertThat(
            names(
                layer("application/vnd.ollama.image.model"),
                layer("application/vnd.ollama.image.template")))
        .containsExactly("model", "template");
  }

  /** docker/model-spec's GGUF example: one weight, one license (which the runner never unpacks). */
  @Test
  void aDockerModelWithoutAnnotationsHasTheRunnersNames() {
    assertThat(
            names(
                layer("application/vnd.docker.ai.gguf.v3"),
                layer("application/vnd.docker.ai.license"),
                layer("application/vnd.docker.ai.mmproj"),
                layer("application/vnd.docker.ai.chat.template.jinja"),
                layer("application/vnd.docker.ai.safetensors")))
        .containsExactly("model.gguf", "-", "model.mmproj", "template.jinja", "model.safetensors");
  }

  @Test
  void dockerShardsAreNumberedInManifestOrderAmongTheirType() {
    assertThat(
            names(
                layer("application/vnd.docker.ai.gguf.v3"),
                layer("application/vnd.docker.ai.license"),
                layer("application/vnd.docker.ai.gguf.v3"),
                layer("application/vnd.docker.ai.safetensors"),
                layer("application/vnd.docker.ai.gguf.v3")))
        .containsExactly(
            "model-00001-of-00003.gguf",
            "-",
            "model-00002-of-00003.gguf",
            "model.safetensors",
            "model-00003-of-00003.gguf");
  }

  /** The runner's newer packaging annotates every layer with its file's name: that name wins. */
  @Test
  void anAnnotatedDockerLayerKeepsItsOwnName() {
    assertThat(
            names(
                layer(
                    "application/vnd.docker.ai.gguf.v3",
                    Map.of("org.cncf.model.filepath", "Qwen3-0.6B-Q4_K_M.gguf")),
                layer("application/vnd.docker.ai.license")))
        .containsExactly("Qwen3-0.6B-Q4_K_M.gguf", "-");
  }

  @Test
  void unusableNamesAndUnknownTypesHaveNoFile() {
    assertThat(
            names(
                layer("application/vnd.example.x", Map.of("org.cncf.model.filepath", "../x")),
                layer("application/vnd.example.x", Map.of("org.opencontainers.image.title", "")),
                layer("application/vnd.oci.image.layer.v1.tar+gzip")))
        .containsExactly("-", "-", "-");
  }
}
