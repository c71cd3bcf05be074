package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A CNCF ModelPack artifact pushed as {@code modctl push} pushes it, pulled back byte for byte and
 * fetched file by file, over real sockets on the filesystem store and on S3 (the {@code on-s3}
 * run). Read from:
 *
 * <ul>
 *   <li>the layout: {@code modelpack/model-spec} {@code docs/spec.md} (artifactType, config and
 *       layer media types, one file per layer), {@code docs/annotations.md} ({@code
 *       org.cncf.model.filepath}) and {@code specs-go/v1/mediatype.go}, {@code
 *       specs-go/v1/annotations.go} as vendored by {@code cri-o/cri-o} ({@code
 *       vendor/github.com/modelpack/model-spec/specs-go/v1/}: the {@code cncf} names, the {@code
 *       .raw} types, {@code org.cncf.model.file.metadata+json}, {@code
 *       org.cncf.model.file.mediatype.untested});
 *   <li>the push: {@code modelpack/modctl} {@code pkg/backend/push.go} ({@code pushIfNotExist}:
 *       every layer, then the config, then the manifest, each only when {@code Exists} says the
 *       registry lacks it; the manifest is pushed by digest and then tagged), over oras-go's
 *       requests ({@link OrasGoWire}).
 * </ul>
 *
 * The weights are a few MiB (one over S3's 5 MiB part) instead of the GBs of a real model: the
 * requests are the same.
 */
class ModelPackIT {
  @RegisterExtension static final RegistryProcess registry = RegistryProcess.create();

  static final String WEIGHT_TAR = "application/vnd.cncf.model.weight.v1.tar";
  static final String WEIGHT_CONFIG_RAW = "application/vnd.cncf.model.weight.config.v1.raw";
  static final String DOC_RAW = "application/vnd.cncf.model.doc.v1.raw";
  static final String CODE_RAW = "application/vnd.cncf.model.code.v1.raw";
  static final String FILEPATH = "org.cncf.model.filepath";

  /**
   * A small model in modctl's layout: two safetensors shards (one {@code .raw}, one {@code .tar} of
   * the file), weight configs (one nested), docs and code, each layer named by {@code
   * org.cncf.model.filepath} with its file metadata.
   */
  static ModelArtifact build(String tag) {
    Blob shard1 = Blob.random(6 * 1024 * 1024 + 13);
    byte[] shard2File = Blob.random(300_001).bytes();
    Blob shard2 = TarLayer.plain(Map.of("model-00002-of-00002.safetensors", shard2File));
    Blob configJson = Blob.utf8("{\"architectures\":[\"Qwen3ForCausalLM\"],\"hidden_size\":64}");
    Blob tokenizer = Blob.utf8("{\"version\":\"1.0\",\"model\":{\"type\":\"BPE\",\"vocab\":{}}}");
    Blob readme = Blob.utf8("# tiny-qwen\n\nA test model.\n");
    Blob license = Blob.utf8("Apache License, Version 2.0\n");
    Blob inference = Blob.utf8("from transformers import AutoModel\n");

    List<ModelArtifact.Layer> layers =
        List.of(
            new ModelArtifact.Layer(
                "model-00001-of-00002.safetensors", shard1, MediaType.MODELPACK_WEIGHT_RAW),
            new ModelArtifact.Layer("model-00002-of-00002.safetensors", shard2, WEIGHT_TAR),
            new ModelArtifact.Layer("config.json", configJson, WEIGHT_CONFIG_RAW),
            new ModelArtifact.Layer("tokenizer/tokenizer.json", tokenizer, WEIGHT_CONFIG_RAW),
            new ModelArtifact.Layer("README.md", readme, DOC_RAW),
            new ModelArtifact.Layer("LICENSE", license, DOC_RAW),
            new ModelArtifact.Layer("scripts/inference.py", inference, CODE_RAW));
    List<String> diffIds = new ArrayList<>();
    for (ModelArtifact.Layer f : layers) {
      diffIds.add("\"" + f.blob().digest() + "\"");
    }
    Blob config =
        Blob.utf8(
            "{\"descriptor\":{\"createdAt\":\"2025-06-01T12:00:00Z\",\"authors\":[\"Lading tests\"],"
                + "\"family\":\"qwen3\",\"name\":\"tiny-qwen\",\"version\":\"0.1\","
                + "\"licenses\":[\"Apache-2.0\"]},"
                + "\"config\":{\"architecture\":\"transformer\",\"format\":\"safetensors\","
                + "\"paramSize\":\"0.6B\",\"precision\":\"bf16\"},"
                + "\"modelfs\":{\"type\":\"layers\",\"diffIds\":["
                + String.join(",", diffIds)
                + "]}}");
    Manifest.Builder manifest =
        Manifest.oci()
            .artifactType(MediaType.MODELPACK_ARTIFACT)
            .config(config.descriptor(MediaType.MODELPACK_CONFIG))
            .annotation("org.opencontainers.image.created", "2025-06-01T12:00:00Z");
    for (ModelArtifact.Layer f : layers) {
      String base = f.fileName().substring(f.fileName().lastIndexOf('/') + 1);
      manifest.add(
          f.blob()
              .descriptor(f.mediaType())
              .withAnnotation(FILEPATH, f.fileName())
              .withAnnotation(
                  "org.cncf.model.file.metadata+json",
                  "{\"name\":\""
                      + base
                      + "\",\"mode\":420,\"uid\":0,\"gid\":0,\"size\":"
                      + f.blob().size()
                      + ",\"mtime\":\"2025-06-01T12:00:00Z\",\"typeflag\":48}")
              .withAnnotation("org.cncf.model.file.mediatype.untested", "false"));
    }
    return new ModelArtifact(tag, manifest.build(), config, layers);
  }

  /** modctl's push order: every layer, the config, then the manifest (by digest, then tagged). */
  static void pushAsModctl(RegistryClient client, String repo, ModelArtifact model) {
    for (ModelArtifact.Layer layer : model.layers()) {
      OrasGoWire.pushBlob(client, repo, layer.blob());
    }
    OrasGoWire.pushBlob(client, repo, model.config());
    OrasGoWire.pushManifestThenTag(client, repo, model.manifest(), model.tag());
  }

  /** {@link #build} then {@link #pushAsModctl}: the model in {@code repo} under {@code v1}. */
  static ModelArtifact pushedAsModctl(RegistryClient client, String repo) {
    ModelArtifact model = build("v1");
    pushAsModctl(client, repo, model);
    return model;
  }

  @Test
  void pushedAsModctlPushesAndServedBackWholeAndFileByFile() {
    RegistryClient client = registry.client();
    String repo = Checks.uniqueRepo("models/modelpack");
    ModelArtifact model = pushedAsModctl(client, repo);

    OrasGoWire.assertResolves(client, repo, model.tag(), model.manifest());
    model.assertPulledBack(client, repo);
    model.assertServedAsFiles(client, repo);
    // The listing tells the artifact type, so a browser knows what it looks at.
    Reply listing = client.get("/files/" + repo + "/-/" + model.tag() + "/");
    assertThat(listing.json().path("artifactType").asText())
        .isEqualTo(MediaType.MODELPACK_ARTIFACT);

    // A second modctl push of the same model: Exists answers 200 for every blob and for the
    // manifest, so modctl sends nothing else ("skipped: already exists").
    for (Blob blob : model.blobs()) {
      Reply exists = client.head("/v2/" + repo + "/blobs/" + blob.digest());
      assertThat(exists.status()).as("%s", exists).isEqualTo(200);
      assertThat(exists.headerOrNull("Content-Length")).isEqualTo(Long.toString(blob.size()));
      assertThat(exists.headerOrNull("Docker-Content-Digest")).isEqualTo(blob.digest());
    }
    Reply manifest =
        client.head(
            "/v2/" + repo + "/manifests/" + model.manifest().digest(),
            "Accept",
            OrasGoWire.MANIFEST_ACCEPT);
    assertThat(manifest.status()).as("%s", manifest).isEqualTo(200);
  }
}
