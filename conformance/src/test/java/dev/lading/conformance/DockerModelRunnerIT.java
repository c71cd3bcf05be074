package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest.BodyPublishers;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Docker Model Runner artifacts ({@code docker model push} / {@code docker model pull}) in their
 * layouts, pushed and pulled with the runner's requests, served back byte for byte and file by
 * file, over real sockets on the filesystem store and on S3 (the {@code on-s3} run). Read from:
 *
 * <ul>
 *   <li>the layout: {@code docker/model-spec} {@code spec.md} and {@code config.md} (config {@code
 *       application/vnd.docker.ai.model.config.v0.1+json}, one file per layer, {@code
 *       application/vnd.docker.ai.gguf.v3}, {@code .license}, {@code .chat.template.jinja}, shards
 *       in manifest order, OCI image manifest without {@code artifactType}); {@code
 *       docker/model-runner} {@code pkg/distribution/types/config.go} (the media types as the
 *       runner spells them, {@code .mmproj}, {@code .safetensors}, config {@code v0.2} for nested
 *       paths) and {@code pkg/distribution/internal/partial/layer.go} (the runner's current
 *       packaging: every layer annotated with {@code org.cncf.model.filepath}, {@code
 *       org.cncf.model.file.metadata+json}, {@code org.cncf.model.file.mediatype.untested});
 *   <li>the names files get: {@code docker/model-runner} {@code
 *       pkg/distribution/internal/bundle/unpack.go} ({@code model.gguf}, {@code
 *       model-%05d-of-%05d.gguf}, {@code template.jinja}), which Lading's {@code ModelFileNames}
 *       follows for layers without annotations;
 *   <li>the push: {@code docker/model-runner} {@code pkg/distribution/oci/remote/remote.go} ({@code
 *       Write}: every layer, then the config as {@code
 *       application/vnd.docker.container.image.v1+json}, then the manifest by tag, through
 *       containerd's pusher), {@code containerd/containerd} {@code core/remotes/docker/pusher.go}
 *       ({@code HEAD} with {@code Accept: <type>, *}{@code /*}, {@code 404} means push; {@code POST
 *       .../blobs/uploads/}; one monolithic {@code PUT <location>?digest=} with the whole length,
 *       "TODO: Support chunked upload"; the commit needs {@code Docker-Content-Digest} equal to the
 *       digest pushed, for blobs and manifests alike);
 *   <li>the pull: the same {@code remote.go} ({@code Image}: containerd's resolver {@code HEAD}s
 *       the tag; the {@code manifestFetcher} {@code GET}s {@code /manifests/<digest>} with {@code
 *       Accept} = its media type; blobs by {@code GET}; {@code rangeTransport} resumes an
 *       interrupted blob with {@code Range: bytes=<offset>-}).
 * </ul>
 *
 * The GGUF weights are a few MiB (one over S3's 5 MiB part), not GBs: the requests are the same.
 */
class DockerModelRunnerIT {
  @RegisterExtension static final RegistryProcess registry = RegistryProcess.create();

  static final String CONFIG_V01 = "application/vnd.docker.ai.model.config.v0.1+json";
  static final String CONFIG_V02 = "application/vnd.docker.ai.model.config.v0.2+json";
  static final String GGUF = "application/vnd.docker.ai.gguf.v3";
  static final String SAFETENSORS = "application/vnd.docker.ai.safetensors";
  static final String LICENSE = "application/vnd.docker.ai.license";
  static final String TEMPLATE = "application/vnd.docker.ai.chat.template.jinja";

  /** What {@code remote.Write} calls the config when it pushes it. */
  static final String PUSHED_CONFIG_TYPE = MediaType.DOCKER_CONFIG;

  /** containerd's resolver {@code Accept}. */
  static final String RESOLVE_ACCEPT =
      String.join(
          ", ",
          MediaType.DOCKER_MANIFEST,
          MediaType.DOCKER_MANIFEST_LIST,
          MediaType.OCI_MANIFEST,
          MediaType.OCI_INDEX,
          "*/*");

  /**
   * {@code docker/model-spec}'s GGUF example plus a chat template: no annotations, so the files are
   * named as the runner unpacks them ({@code model.gguf}, {@code template.jinja}); the license has
   * no file name.
   */
  @Test
  void theModelSpecGgufLayoutIsPushedPulledAndServedByTheRunnersNames() {
    String repo = Checks.uniqueRepo("ai/smollm2");
    Blob gguf = gguf(6 * 1024 * 1024 + 77);
    Blob license = Blob.utf8("Apache License\nVersion 2.0, January 2004\n");
    Blob template = Blob.utf8("{% for message in messages %}{{ message.content }}{% endfor %}");
    ModelArtifact model =
        artifact(
            "360M-Q4_K_M",
            CONFIG_V01,
            List.of(
                new ModelArtifact.Layer("model.gguf", gguf, GGUF),
                new ModelArtifact.Layer(null, license, LICENSE),
                new ModelArtifact.Layer("template.jinja", template, TEMPLATE)),
            false);

    roundTrip(repo, model);
  }

  /** Shards without annotations: {@code model-0000i-of-00003.gguf} in manifest order. */
  @Test
  void unannotatedGgufShardsAreNumberedInManifestOrder() {
    String repo = Checks.uniqueRepo("ai/sharded");
    List<ModelArtifact.Layer> layers = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      layers.add(
          new ModelArtifact.Layer("model-0000" + i + "-of-00003.gguf", gguf(200_000 + i), GGUF));
    }
    layers.add(new ModelArtifact.Layer(null, Blob.utf8("MIT License\n"), LICENSE));
    ModelArtifact model = artifact("Q4_0", CONFIG_V01, layers, false);

    roundTrip(repo, model);
  }

  /**
   * The runner's current packaging: every layer annotated ({@code partial/layer.go}), a sharded
   * safetensors model under config {@code v0.2}; the names are the annotations.
   */
  @Test
  void theCurrentAnnotatedPackagingIsServedByItsFilepaths() {
    String repo = Checks.uniqueRepo("ai/qwen3");
    ModelArtifact model =
        artifact(
            "0.6B-F16",
            CONFIG_V02,
            List.of(
                new ModelArtifact.Layer(
                    "model-00001-of-00002.safetensors", Blob.random(700_001), SAFETENSORS),
                new ModelArtifact.Layer(
                    "model-00002-of-00002.safetensors", Blob.random(300_003), SAFETENSORS),
                new ModelArtifact.Layer("LICENSE", Blob.utf8("Apache-2.0\n"), LICENSE)),
            true);

    roundTrip(repo, model);
  }

  /**
   * Pushed as the runner pushes, pulled as it pulls, then pulled back byte for byte and served file
   * by file.
   */
  private static void roundTrip(String repo, ModelArtifact model) {
    RegistryClient client = registry.client();
    pushAsModelRunner(client, repo, model);
    pullAsModelRunner(client, repo, model);
    model.assertPulledBack(client, repo);
    model.assertServedAsFiles(client, repo);
  }

  /** A GGUF-like file: the magic and version 3, then random tensor bytes. */
  static Blob gguf(int size) {
    byte[] bytes = Blob.random(size).bytes();
    System.arraycopy(new byte[] {'G', 'G', 'U', 'F', 3, 0, 0, 0}, 0, bytes, 0, 8);
    return Blob.of(bytes);
  }

  /**
   * The OCI manifest the runner writes: the config ({@code config.md}: format, size, one {@code
   * files} entry per layer) and the layers in order; with {@code annotated}, each layer carries the
   * runner's three annotations. A layer whose {@link ModelArtifact.Layer#fileName} is null has no
   * file.
   */
  static ModelArtifact artifact(
      String tag, String configType, List<ModelArtifact.Layer> layers, boolean annotated) {
    StringBuilder files = new StringBuilder();
    long size = 0;
    for (ModelArtifact.Layer layer : layers) {
      files.append(files.isEmpty() ? "" : ",");
      files.append("{\"diffID\":\"").append(layer.blob().digest()).append("\",\"type\":\"");
      files.append(layer.mediaType()).append("\"}");
      size += layer.blob().size();
    }
    String format = layers.get(0).mediaType().equals(GGUF) ? "gguf" : "safetensors";
    Blob config =
        Blob.utf8(
            "{\"descriptor\":{\"createdAt\":\"2025-06-01T12:00:00Z\"},\"config\":{\"format\":\""
                + format
                + "\",\"size\":\""
                + size
                + "\"},\"files\":["
                + files
                + "]}");
    Manifest.Builder manifest = Manifest.oci().config(config.descriptor(configType));
    for (ModelArtifact.Layer layer : layers) {
      Descriptor d = layer.blob().descriptor(layer.mediaType());
      if (annotated) {
        d =
            d.withAnnotation("org.cncf.model.file.mediatype.untested", "false")
                .withAnnotation(
                    "org.cncf.model.file.metadata+json",
                    "{\"name\":\""
                        + layer.fileName()
                        + "\",\"mode\":420,\"uid\":0,\"gid\":0,\"size\":"
                        + layer.blob().size()
                        + ",\"mtime\":\"2025-06-01T12:00:00Z\",\"typeflag\":0}")
                .withAnnotation("org.cncf.model.filepath", layer.fileName());
      }
      manifest.add(d);
    }
    return new ModelArtifact(tag, manifest.build(), config, layers);
  }

  /** {@code remote.Write}: every layer, the config, then the manifest under its tag. */
  static void pushAsModelRunner(RegistryClient client, String repo, ModelArtifact model) {
    for (ModelArtifact.Layer layer : model.layers()) {
      pushBlobAsContainerd(client, repo, layer.blob(), layer.mediaType());
    }
    pushBlobAsContainerd(client, repo, model.config(), PUSHED_CONFIG_TYPE);

    Manifest m = model.manifest();
    Reply exists =
        client.head("/v2/" + repo + "/manifests/" + model.tag(), "Accept", m.mediaType() + ", */*");
    assertThat(exists.status()).as("%s", exists).isEqualTo(404);
    Reply put = client.putManifest(repo, model.tag(), m.mediaType(), m.bytes());
    assertThat(put.status()).as("%s", put).isIn(200, 201, 202, 204);
    assertThat(put.headerOrNull("Docker-Content-Digest")).isEqualTo(m.digest());
  }

  /** containerd's {@code dockerPusher.push} and its {@code pushWriter.Commit}, for a blob. */
  static void pushBlobAsContainerd(
      RegistryClient client, String repo, Blob blob, String mediaType) {
    Reply exists =
        client.head("/v2/" + repo + "/blobs/" + blob.digest(), "Accept", mediaType + ", */*");
    assertThat(exists.status()).as("%s", exists).isEqualTo(404);
    Reply post =
        client.send(
            "POST", client.resolve("/v2/" + repo + "/blobs/uploads/"), BodyPublishers.noBody());
    assertThat(post.status()).as("%s", post).isIn(200, 202, 204);
    Reply put =
        client.send(
            "PUT",
            RegistryClient.withQuery(post.location(), "digest", blob.digest()),
            BodyPublishers.ofByteArray(blob.bytes()),
            "Content-Type",
            RegistryClient.OCTET_STREAM);
    assertThat(put.status()).as("%s", put).isIn(200, 201, 202, 204);
    assertThat(put.headerOrNull("Docker-Content-Digest")).isEqualTo(blob.digest());
  }

  /**
   * {@code remote.Image} and the fetches after it: resolve the tag by {@code HEAD}, the manifest by
   * digest, the config, every layer; the first layer once more resumed from its middle as the
   * {@code rangeTransport} asks after an interrupted download.
   */
  static void pullAsModelRunner(RegistryClient client, String repo, ModelArtifact model) {
    Manifest m = model.manifest();
    Reply resolved =
        client.head("/v2/" + repo + "/manifests/" + model.tag(), "Accept", RESOLVE_ACCEPT);
    assertThat(resolved.status()).as("%s", resolved).isEqualTo(200);
    assertThat(resolved.headerOrNull("Docker-Content-Digest")).isEqualTo(m.digest());
    assertThat(resolved.headerOrNull("Content-Type")).isEqualTo(m.mediaType());
    assertThat(resolved.headerOrNull("Content-Length"))
        .isEqualTo(Integer.toString(m.bytes().length));
    Reply manifest = client.getManifest(repo, m.digest(), "Accept", m.mediaType());
    assertThat(manifest.status()).as("%s", manifest).isEqualTo(200);
    assertThat(manifest.body()).isEqualTo(m.bytes());
    for (Blob blob : model.blobs()) {
      Reply b = client.getBlob(repo, blob.digest());
      assertThat(b.status()).as("%s", b).isEqualTo(200);
      assertThat(b.body()).isEqualTo(blob.bytes());
    }
    Blob first = model.layers().get(0).blob();
    int offset = first.bytes().length / 2 + 1;
    Reply resumed = client.getBlob(repo, first.digest(), "Range", "bytes=" + offset + "-");
    assertThat(resumed.status()).as("%s", resumed).isEqualTo(206);
    assertThat(resumed.body())
        .isEqualTo(Arrays.copyOfRange(first.bytes(), offset, first.bytes().length));
  }
}
