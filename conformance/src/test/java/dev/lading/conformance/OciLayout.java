package dev.lading.conformance;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An OCI image layout directory written by hand ({@code oci-layout}, {@code index.json}, {@code
 * blobs/<alg>/<hex>}), so container tools can copy images from it with no network.
 */
public final class OciLayout {
  private final Path root;
  private final ArrayNode refs = JsonNodeFactory.instance.arrayNode();

  public OciLayout(Path root) throws IOException {
    this.root = root;
    Files.createDirectories(root.resolve("blobs").resolve("sha256"));
    Files.writeString(root.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
  }

  public Path root() {
    return root;
  }

  /** The transport reference of a tag in this layout, as skopeo and podman spell it. */
  public String reference(String tag) {
    return "oci:" + root + ":" + tag;
  }

  public void writeBlob(byte[] bytes) throws IOException {
    String digest = Blob.sha256(bytes);
    Files.write(root.resolve("blobs").resolve("sha256").resolve(digest.substring(7)), bytes);
  }

  /** A runnable image: a config whose diff_ids match the layers, and the manifest. */
  public record Image(Blob config, List<TarLayer> layers, Manifest manifest) {}

  public Image writeImage(String architecture, int layerCount) throws IOException {
    List<TarLayer> layers = new ArrayList<>();
    for (int i = 0; i < layerCount; i++) {
      layers.add(TarLayer.random("layer" + i, 3, 20_000 + i));
    }
    return writeImage(architecture, layers);
  }

  /** A runnable image of the layers given, in order. */
  public Image writeImage(String architecture, List<TarLayer> layers) throws IOException {
    ObjectNode config = JsonNodeFactory.instance.objectNode();
    config.put("architecture", architecture);
    config.put("os", "linux");
    config.put("created", "2024-01-01T00:00:00Z");
    config.putObject("config").putArray("Cmd").add("/bin/true");
    ObjectNode rootfs = config.putObject("rootfs");
    rootfs.put("type", "layers");
    ArrayNode diffIds = rootfs.putArray("diff_ids");
    layers.forEach(l -> diffIds.add(l.diffId()));
    Blob configBlob = Blob.of(Reply.JSON.writeValueAsBytes(config));
    writeBlob(configBlob.bytes());
    Manifest.Builder manifest = Manifest.oci().config(configBlob.descriptor(MediaType.OCI_CONFIG));
    for (TarLayer layer : layers) {
      writeBlob(layer.compressed().bytes());
      manifest.add(layer.compressed().descriptor(MediaType.OCI_LAYER_GZIP));
    }
    Manifest m = manifest.build();
    writeBlob(m.bytes());
    return new Image(configBlob, layers, m);
  }

  public Manifest writeIndex(List<Image> images, List<String> architectures) throws IOException {
    Manifest.Builder index = Manifest.ociIndex();
    for (int i = 0; i < images.size(); i++) {
      index.add(images.get(i).manifest().descriptor().withPlatform("linux", architectures.get(i)));
    }
    Manifest m = index.build();
    writeBlob(m.bytes());
    return m;
  }

  /** Names {@code manifest} {@code tag} in {@code index.json}. */
  public void tag(String tag, Manifest manifest) throws IOException {
    refs.add(
        manifest.descriptor().withAnnotation("org.opencontainers.image.ref.name", tag).toJson());
    ObjectNode index = JsonNodeFactory.instance.objectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", MediaType.OCI_INDEX);
    index.set("manifests", refs);
    Files.write(root.resolve("index.json"), Reply.JSON.writeValueAsBytes(index));
  }

  /** The manifest bytes a tag of this layout points at. */
  public byte[] manifestBytes(String tag) throws IOException {
    var index = Reply.JSON.readTree(Files.readAllBytes(root.resolve("index.json")));
    for (var d : index.path("manifests")) {
      if (tag.equals(d.path("annotations").path("org.opencontainers.image.ref.name").asText())) {
        return blob(d.path("digest").asText());
      }
    }
    throw new IllegalArgumentException("no tag " + tag + " in " + root);
  }

  public byte[] blob(String digest) throws IOException {
    return Files.readAllBytes(root.resolve("blobs").resolve("sha256").resolve(digest.substring(7)));
  }

  static String utf8(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
