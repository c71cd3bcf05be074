package dev.lading.server.http;

import dev.lading.core.manifest.ManifestDescriptor;
import java.util.Map;
import java.util.Optional;

/**
 * The file name of a layer, as the files endpoint and Kubernetes image volumes see it:
 *
 * <ol>
 *   <li>{@code org.opencontainers.image.title} (ORAS, image-spec annotations);
 *   <li>else {@code org.cncf.model.filepath} (CNCF ModelPack);
 *   <li>else the name an Ollama layer's media type implies (Ollama names its layers by type only,
 *       one of each, see {@link #OLLAMA}).
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

  private ModelFileNames() {}

  /** The layer's file name, when it has a usable one. */
  static Optional<String> of(ManifestDescriptor layer) {
    String name = layer.annotations().get(TITLE);
    if (name == null) {
      name = layer.annotations().get(MODELPACK_FILEPATH);
    }
    if (name == null) {
      name = OLLAMA.get(layer.mediaType());
    }
    return Optional.ofNullable(name).filter(FileRoutes::validName);
  }
}
