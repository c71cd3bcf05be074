package dev.lading.server.http;

import dev.lading.core.manifest.ManifestDescriptor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The file names of a manifest's layers, as the files endpoint and Kubernetes image volumes see
 * them:
 *
 * <ol>
 *   <li>{@code org.opencontainers.image.title} (ORAS, image-spec annotations);
 *   <li>else {@code org.cncf.model.filepath} (CNCF ModelPack, and what Docker Model Runner and
 *       KitOps now write on every layer);
 *   <li>else the name an Ollama layer's media type implies (Ollama names its layers by type only,
 *       one of each, see {@link #OLLAMA});
 *   <li>else the name Docker Model Runner gives the layer when it unpacks a model whose layers
 *       carry no annotation (the layout of {@code docker/model-spec} and of every {@code ai/*}
 *       model packaged before the annotations, see {@link #DOCKER}).
 * </ol>
 *
 * A name is used only when it is a relative path without empty, {@code .} or {@code ..} segments
 * ({@link FileRoutes#validName}); a layer with no usable name has no file.
 */
final class ModelFileNames {
  static final String TITLE = "org.opencontainers.image.title";
  static final String MODELPACK_FILEPATH = "org.cncf.model.filepath";

  /**
   * Ollama's layer media types ({@code application/vnd.ollama.image.<kind>}, ollama {@code
   * server/images.go}, {@code server/create.go}) and the file each is served as: the kind itself,
   * which is how Ollama's own Modelfile names them ({@code FROM}/model, {@code ADAPTER}, {@code
   * TEMPLATE}, {@code SYSTEM}, {@code PARAMETER}/params, {@code LICENSE}, {@code
   * MESSAGE}/messages). A model with two license layers (some have) has two files named {@code
   * license}: such a name answers {@code 404} (see the handler).
   */
  static final Map<String, String> OLLAMA =
      Map.of(
          "application/vnd.ollama.image.model", "model",
          "application/vnd.ollama.image.adapter", "adapter",
          "application/vnd.ollama.image.projector", "projector",
          "application/vnd.ollama.image.template", "template",
          "application/vnd.ollama.image.system", "system",
          "application/vnd.ollama.image.params", "params",
          "application/vnd.ollama.image.license", "license",
          "application/vnd.ollama.image.messages", "messages");

  /**
   * Docker Model Runner's unpacked bundle ({@code docker/model-runner} {@code
   * pkg/distribution/internal/bundle/unpack.go}, before it {@code docker/model-distribution} {@code
   * internal/bundle/unpack.go}): a single GGUF layer is {@code model.gguf}, several are the shards
   * {@code model-00001-of-0000N.gguf} in manifest order (so are safetensors), the projector {@code
   * model.mmproj}, the chat template {@code template.jinja}. Layers the runner does not unpack as
   * one file (licenses, config archives) have no implied name.
   */
  static final Map<String, String> DOCKER =
      Map.of(
          "application/vnd.docker.ai.gguf.v3", "model.gguf",
          "application/vnd.docker.ai.safetensors", "model.safetensors",
          "application/vnd.docker.ai.mmproj", "model.mmproj",
          "application/vnd.docker.ai.chat.template.jinja", "template.jinja");

  /** The Docker types whose several layers are the shards of one model. */
  private static final List<String> DOCKER_SHARDED =
      List.of("application/vnd.docker.ai.gguf.v3", "application/vnd.docker.ai.safetensors");

  private ModelFileNames() {}

  /** The name of each layer, in manifest order: empty where the layer has no usable one. */
  static List<Optional<String>> of(List<ManifestDescriptor> layers) {
    Map<String, Integer> shards = new HashMap<>();
    for (ManifestDescriptor layer : layers) {
      shards.merge(layer.mediaType(), 1, Integer::sum);
    }
    Map<String, Integer> seen = new HashMap<>();
    List<Optional<String>> names = new ArrayList<>(layers.size());
    for (ManifestDescriptor layer : layers) {
      int position = seen.merge(layer.mediaType(), 1, Integer::sum);
      String name = annotated(layer);
      if (name == null) {
        name = OLLAMA.get(layer.mediaType());
      }
      if (name == null) {
        name = docker(layer.mediaType(), position, shards.get(layer.mediaType()));
      }
      names.add(Optional.ofNullable(name).filter(FileRoutes::validName));
    }
    return names;
  }

  private static String annotated(ManifestDescriptor layer) {
    String name = layer.annotations().get(TITLE);
    return name != null ? name : layer.annotations().get(MODELPACK_FILEPATH);
  }

  /**
   * The runner's name for the {@code position}-th (from 1) of {@code count} layers of a type: the
   * shards are counted over every layer of the type, as the runner counts its {@code GGUFPaths()}.
   */
  private static String docker(String mediaType, int position, int count) {
    String single = DOCKER.get(mediaType);
    if (single == null || count == 1 || !DOCKER_SHARDED.contains(mediaType)) {
      return single;
    }
    int dot = single.lastIndexOf('.');
    return String.format(
        Locale.ROOT,
        "%s-%05d-of-%05d%s",
        single.substring(0, dot),
        position,
        count,
        single.substring(dot));
  }
}
