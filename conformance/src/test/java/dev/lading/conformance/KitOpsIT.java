package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest.BodyPublishers;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A KitOps ModelKit pushed as {@code kit push} pushes it, pulled back byte for byte and fetched
 * file by file, over real sockets on the filesystem store and on S3 (the {@code on-s3} run). Read
 * from {@code kitops-ml/kitops}:
 *
 * <ul>
 *   <li>the layout: {@code pkg/lib/constants/mediatype/kitops.go} and {@code
 *       pkg/lib/constants/mediatype/mediatype.go} ({@code
 *       application/vnd.kitops.modelkit.<model|modelpart|dataset|code|docs>.v1.tar[+gzip]}, config
 *       {@code application/vnd.kitops.modelkit.config.v1+json}), {@code
 *       pkg/lib/constants/mediatype/artifacttype.go} ({@code
 *       application/vnd.kitops.modelkit.manifest.v1+json}), {@code pkg/lib/constants/consts.go}
 *       ({@code ml.kitops.modelkit.cli-version} on the manifest, {@code
 *       ml.kitops.modelkit.layer-subtype: prompt} on a prompt's code layer), {@code
 *       pkg/artifact/kitfile.go} (the config is the Kitfile as JSON, each entry with its layer's
 *       {@code digest} and {@code diffId}), {@code pkg/lib/filesystem/local-storage.go} (layers in
 *       Kitfile order: model, code, datasets, docs) and {@code pkg/lib/filesystem/tar.go} (each
 *       layer a tar of its Kitfile path, annotated {@code org.cncf.model.filepath} = that path, so
 *       {@code /files/} serves the archive under the Kitfile's name);
 *   <li>the push: {@code pkg/cmd/push/push.go} and {@code pkg/lib/repo/local/push.go} ({@code
 *       oras.Copy} with its default concurrency of 3: each blob {@code Exists}-checked then pushed,
 *       the manifest last, by digest then tagged, see {@link OrasGoWire}), {@code
 *       pkg/lib/repo/remote/repository.go} (kit's own blob {@code Push}: {@code POST}, then below
 *       the 100 MiB chunk size of {@code upload-format.go} one monolithic {@code PUT ?digest=} with
 *       {@code Content-Length}; at or above it {@code PATCH} chunks with {@code Content-Range:
 *       <first>-<last>}, each answer a {@code 202} whose {@code Range} must read exactly {@code
 *       0-<last>}, then a {@code PUT ?digest=} without a body; the {@code 201} must carry a {@code
 *       Location}, which kit dereferences).
 * </ul>
 *
 * The layers are a few MiB, not GBs; the chunked path runs with 1 MiB chunks instead of 100 MiB,
 * the same requests.
 */
class KitOpsIT {
  @RegisterExtension static final RegistryProcess registry = RegistryProcess.create();

  static final String ARTIFACT_TYPE = "application/vnd.kitops.modelkit.manifest.v1+json";
  static final String CONFIG = "application/vnd.kitops.modelkit.config.v1+json";
  static final String MODEL = "application/vnd.kitops.modelkit.model.v1.tar";
  static final String CODE = "application/vnd.kitops.modelkit.code.v1.tar";
  static final String DATASET = "application/vnd.kitops.modelkit.dataset.v1.tar+gzip";
  static final String DOCS = "application/vnd.kitops.modelkit.docs.v1.tar";
  static final String FILEPATH = "org.cncf.model.filepath";
  static final String SUBTYPE = "ml.kitops.modelkit.layer-subtype";

  /**
   * A ModelKit as {@code kit pack} writes it for a Kitfile with a model, code, a prompt, data,
   * docs.
   */
  static ModelArtifact modelKit(String tag) {
    Map<String, byte[]> model =
        Map.of("models/tiny.gguf", DockerModelRunnerIT.gguf(6 * 1024 * 1024 + 5).bytes());
    Map<String, byte[]> src = new LinkedHashMap<>();
    src.put("src/serve.py", Blob.utf8("import llama_cpp\n").bytes());
    src.put("src/requirements.txt", Blob.utf8("llama-cpp-python==0.3.9\n").bytes());
    List<ModelArtifact.Layer> layers =
        List.of(
            new ModelArtifact.Layer("models/tiny.gguf", TarLayer.plain(model), MODEL),
            new ModelArtifact.Layer("src", TarLayer.plain(src), CODE),
            new ModelArtifact.Layer(
                "prompts/system.txt",
                TarLayer.plain(Map.of("prompts/system.txt", Blob.utf8("You are terse.\n").bytes())),
                CODE),
            new ModelArtifact.Layer(
                "data", TarLayer.random("data", 2, 40_000).compressed(), DATASET),
            new ModelArtifact.Layer(
                "README.md",
                TarLayer.plain(Map.of("README.md", Blob.utf8("# tiny\n").bytes())),
                DOCS));
    Blob kitfile =
        Blob.utf8(
            "{\"manifestVersion\":\"1.0.0\",\"package\":{\"name\":\"tiny\",\"version\":\"1.0.0\","
                + "\"authors\":[\"Lading tests\"]},"
                + "\"model\":{\"name\":\"tiny\",\"path\":\"models/tiny.gguf\",\"framework\":\"llama.cpp\""
                + layerInfo(layers.get(0))
                + "},\"code\":[{\"path\":\"src\",\"description\":\"serving code\""
                + layerInfo(layers.get(1))
                + "}],\"datasets\":[{\"name\":\"train\",\"path\":\"data\""
                + layerInfo(layers.get(3))
                + "}],\"docs\":[{\"path\":\"README.md\""
                + layerInfo(layers.get(4))
                + "}],\"prompts\":[{\"path\":\"prompts/system.txt\""
                + layerInfo(layers.get(2))
                + "}]}");
    Manifest.Builder manifest =
        Manifest.oci()
            .artifactType(ARTIFACT_TYPE)
            .config(kitfile.descriptor(CONFIG))
            .annotation("ml.kitops.modelkit.cli-version", "1.7.0");
    for (ModelArtifact.Layer layer : layers) {
      Descriptor d =
          layer.blob().descriptor(layer.mediaType()).withAnnotation(FILEPATH, layer.fileName());
      manifest.add(
          layer.fileName().startsWith("prompts/") ? d.withAnnotation(SUBTYPE, "prompt") : d);
    }
    return new ModelArtifact(tag, manifest.build(), kitfile, layers);
  }

  /** The Kitfile's {@code LayerInfo}, inlined: the layer's digest and its uncompressed digest. */
  private static String layerInfo(ModelArtifact.Layer layer) {
    String diffId =
        layer.mediaType().endsWith("+gzip")
            ? Blob.sha256(gunzip(layer.blob().bytes()))
            : layer.blob().digest();
    return ",\"digest\":\"" + layer.blob().digest() + "\",\"diffId\":\"" + diffId + "\"";
  }

  private static byte[] gunzip(byte[] gz) {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * {@code oras.Copy} into kit's repository: the config and layers three at a time, each {@code
   * Exists} then kit's monolithic {@code Push}; then the manifest.
   */
  static void pushAsKit(RegistryClient client, String repo, ModelArtifact kit) throws Exception {
    OrasGoWire.pushBlobs(client, repo, kit.blobs());
    OrasGoWire.pushManifestThenTag(client, repo, kit.manifest(), kit.tag());
  }

  @Test
  void aModelKitPushedAsKitPushesItIsPulledBackAndServedByItsKitfilePaths() throws Exception {
    RegistryClient client = registry.client();
    String repo = Checks.uniqueRepo("jozu/tiny");
    ModelArtifact kit = modelKit("1.0.0");
    pushAsKit(client, repo, kit);

    // kit pull: resolve the tag, then oras.Copy fetches the manifest and every blob.
    OrasGoWire.assertResolves(client, repo, kit.tag(), kit.manifest());
    kit.assertPulledBack(client, repo);
    kit.assertServedAsFiles(client, repo);
  }

  /**
   * {@code uploadBlobChunked}: what kit sends for a layer of at least its chunk size, checked as
   * kit checks each answer.
   */
  @Test
  void aLayerAboveTheChunkSizeGoesUpInPatchesWhoseRangeKitChecks() {
    RegistryClient client = registry.client();
    String repo = Checks.uniqueRepo("jozu/chunked");
    Blob layer = Blob.random(2 * 1024 * 1024 + 12_345);
    int chunk = 1024 * 1024;

    Reply post =
        client.send(
            "POST", client.resolve("/v2/" + repo + "/blobs/uploads/"), BodyPublishers.noBody());
    assertThat(post.status()).as("%s", post).isEqualTo(202);
    URI next = post.location();
    for (int start = 0; start < layer.bytes().length; start += chunk) {
      int end = Math.min(layer.bytes().length, start + chunk) - 1;
      Reply patch =
          client.send(
              "PATCH",
              next,
              BodyPublishers.ofByteArray(Arrays.copyOfRange(layer.bytes(), start, end + 1)),
              "Content-Range",
              start + "-" + end,
              "Content-Type",
              RegistryClient.OCTET_STREAM);
      assertThat(patch.status()).as("%s", patch).isEqualTo(202);
      assertThat(patch.headerOrNull("Range"))
          .as("kit splits on '-' and wants 0-<last>")
          .isEqualTo("0-" + end);
      next = patch.location();
    }
    Reply put =
        client.send(
            "PUT",
            RegistryClient.withQuery(next, "digest", layer.digest()),
            BodyPublishers.noBody());
    assertThat(put.status()).as("%s", put).isEqualTo(201);
    assertThat(put.location().getPath()).isEqualTo("/v2/" + repo + "/blobs/" + layer.digest());
    assertThat(client.getBlob(repo, layer.digest()).body()).isEqualTo(layer.bytes());
  }
}
