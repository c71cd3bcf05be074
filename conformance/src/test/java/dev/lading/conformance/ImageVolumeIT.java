package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An OCI artifact as a Kubernetes {@code image} volume consumes it, over real sockets on the
 * filesystem store and on S3 (the {@code on-s3} run). The runtime pulls the volume, and CRI-O names
 * each file after its layer's annotations, so the manifest must reach it byte for byte: a registry
 * that re-serialized it would change its digest, and one that dropped or rewrote an annotation
 * would rename or lose a file. Read from:
 *
 * <ul>
 *   <li>CRI-O, {@code cri-o/cri-o} {@code internal/ociartifact/store.go}: {@code PullManifest}
 *       fetches the manifest through containers/image ({@code getManifestFromRef}), takes an OCI
 *       manifest with an {@code artifactType} (or a config type other than an image config) as an
 *       artifact, copies it with containers/image into an {@code oci:} layout, then {@code
 *       extractArtifactLayers} reads every layer blob: a layer whose media type contains {@code
 *       .tar} is unpacked and named by the file inside, any other layer becomes one file named by
 *       {@code artifactName}: {@code org.opencontainers.image.title}, else {@code
 *       org.cncf.model.filepath} ({@code sanitizePath} refuses {@code ..} and absolute names, and
 *       an empty name fails the pull, which is why the layer without a title here is a tar); {@code
 *       BlobMountPaths} then bind-mounts those files into the container.
 *   <li>containers/image, {@code containers/image} {@code docker/docker_image_src.go} ({@code
 *       fetchManifest}: {@code GET /v2/<name>/manifests/<tag or digest>} with one {@code Accept}
 *       line per type of {@code manifest.DefaultRequestedManifestMIMETypes}, {@code
 *       manifest/manifest.go}: OCI manifest, Docker schema 2, schema 1 signed, schema 1, Docker
 *       list, OCI index; {@code GetBlob}: {@code GET /v2/<name>/blobs/<digest>}), the library
 *       skopeo is built on, which is why skopeo stands in for CRI-O's copy below.
 *   <li>containerd, {@code containerd/containerd} {@code
 *       internal/cri/server/container_image_mount.go} ({@code mutateImageMount}: the volume is the
 *       image unpacked through the snapshotter and mounted read-only, so its layers are file system
 *       layers and titles play no part) and {@code core/remotes/docker/resolver.go} (resolve:
 *       {@code HEAD /v2/<name>/manifests/<tag>} with {@code Accept: <docker manifest>, <docker
 *       list>, <oci manifest>, <oci index>, *}{@code /*}, the digest taken from {@code
 *       Docker-Content-Digest} and the size from {@code Content-Length}; fetch: {@code GET} of the
 *       manifest and of each blob by digest with {@code Accept: <media type>, *}{@code /*}).
 * </ul>
 */
class ImageVolumeIT {
  @RegisterExtension static final RegistryProcess registry = RegistryProcess.create();

  static final String TITLE = "org.opencontainers.image.title";
  static final String ARTIFACT_TYPE = "application/vnd.example.volume.v1";

  /** containers/image {@code manifest.DefaultRequestedManifestMIMETypes}, in its order. */
  static final List<String> CONTAINERS_IMAGE_ACCEPT =
      List.of(
          MediaType.OCI_MANIFEST,
          MediaType.DOCKER_MANIFEST,
          "application/vnd.docker.distribution.manifest.v1+prettyjws",
          "application/vnd.docker.distribution.manifest.v1+json",
          MediaType.DOCKER_MANIFEST_LIST,
          MediaType.OCI_INDEX);

  /** containerd's resolve header ({@code core/remotes/docker/resolver.go}). */
  static final String CONTAINERD_RESOLVE_ACCEPT =
      String.join(
          ", ",
          MediaType.DOCKER_MANIFEST,
          MediaType.DOCKER_MANIFEST_LIST,
          MediaType.OCI_MANIFEST,
          MediaType.OCI_INDEX,
          "*/*");

  /** A layer of the volume and the file a runtime makes of it ({@code null}: none by title). */
  record Layer(String mediaType, Blob blob, String fileName) {}

  static RegistryClient client;
  static String repo;
  static List<Layer> layers;
  static byte[] manifest;
  static String manifestDigest;

  @BeforeAll
  static void push() {
    client = registry.client();
    repo = Checks.uniqueRepo("image-volume");
    layers =
        List.of(
            new Layer("application/vnd.example.weights.v1", Blob.random(200_003), "model.bin"),
            new Layer("application/octet-stream", Blob.random(70_001), "weights/part-1.bin"),
            new Layer("text/plain", Blob.utf8("guten Tag\n"), "Modèle résumé 日本.txt"),
            new Layer("text/markdown", Blob.utf8("# ☃\n"), "café ☃.md"),
            // No title: CRI-O names a tar layer by the file inside it.
            new Layer(
                MediaType.OCI_LAYER_TAR,
                TarLayer.plain(
                    Map.of("from-the-tar.conf", "key=value\n".getBytes(StandardCharsets.UTF_8))),
                null));
    client.pushBlob(repo, Blob.EMPTY_JSON);
    for (Layer layer : layers) {
      client.pushBlob(repo, layer.blob());
    }
    manifest = manifestJson(layers).getBytes(StandardCharsets.UTF_8);
    manifestDigest = Blob.sha256(manifest);
    Reply pushed = client.putManifest(repo, "v1", MediaType.OCI_MANIFEST, manifest);
    assertThat(pushed.status()).as("%s", pushed).isEqualTo(201);
    assertThat(pushed.headerOrNull("Docker-Content-Digest")).isEqualTo(manifestDigest);
  }

  /**
   * The manifest as text, written so that any re-serialization changes its bytes: keys out of the
   * usual order, tabs, CRLF and spaces before colons, escapes a serializer would write otherwise
   * ({@code \/}, {@code \u00e9}, a surrogate pair), one title given only as escapes, a long value.
   */
  static String manifestJson(List<Layer> layers) {
    StringBuilder json = new StringBuilder();
    json.append("{\r\n\t\"layers\" :\t[\r\n");
    for (int i = 0; i < layers.size(); i++) {
      Layer layer = layers.get(i);
      json.append("\t\t{ \"size\" : ")
          .append(layer.blob().size())
          .append(",\"digest\":\"")
          .append(layer.blob().digest())
          .append("\",\r\n\t\t  \"annotations\" : {\r\n");
      if (layer.fileName() != null) {
        String title =
            layer.fileName().equals("café ☃.md") ? "caf\\u00e9 \\u2603.md" : layer.fileName();
        json.append("\t\t\t\"").append(TITLE).append("\" : \"").append(title).append("\",\r\n");
      }
      json.append("\t\t\t\"z.example.last\":\"written first\",\r\n")
          .append("\t\t\t\"org.example.escaped\" : \"quote \\\" backslash \\\\ slash \\/ tab")
          .append(" \\t newline \\n cr \\r\",\r\n")
          .append("\t\t\t\"org.example.unicode\":\"\\u00fc\\u00DF \\ud83d\\ude80 ü\",\r\n")
          .append("\t\t\t\"a.example.first\":\"written last\",\r\n")
          .append("\t\t\t\"org.example.long\":\"")
          .append("0123456789abcdef".repeat(300))
          .append("\"\r\n\t\t  },\r\n\t\t  \"mediaType\":\"")
          .append(layer.mediaType())
          .append("\" }")
          .append(i + 1 < layers.size() ? ",\r\n" : "\r\n");
    }
    json.append("\t],\r\n\r\n")
        .append("  \"config\":{\"mediaType\":\"")
        .append(MediaType.OCI_EMPTY)
        .append("\",\"size\":2,\"digest\":\"")
        .append(Blob.EMPTY_JSON.digest())
        .append("\",\"data\":\"e30=\"},\r\n")
        .append("  \"artifactType\"   :   \"")
        .append(ARTIFACT_TYPE)
        .append("\",\r\n")
        .append("  \"annotations\":{\"org.opencontainers.image.created\":")
        .append("\"2026-01-01T00:00:00Z\",\"org.example.empty\":\"\",")
        .append("\"org.example.json\":\"{\\\"nested\\\":[1,2]}\"},\r\n")
        .append("  \"mediaType\":\"")
        .append(MediaType.OCI_MANIFEST)
        .append("\",\r\n  \"schemaVersion\":2\r\n}\r\n");
    return json.toString();
  }

  @Test
  void theManifestIsOneNoSerializerWouldWrite() throws Exception {
    // What makes the byte comparisons below meaningful: parsing and writing it again changes it,
    // and the parsed annotations are the ones a runtime must see.
    JsonNode parsed = Reply.JSON.readTree(manifest);
    assertThat(Blob.sha256(Reply.JSON.writeValueAsBytes(parsed))).isNotEqualTo(manifestDigest);
    assertThat(parsed.path("layers").get(3).path("annotations").path(TITLE).asText())
        .isEqualTo("café ☃.md");
    assertThat(
            parsed.path("layers").get(0).path("annotations").path("org.example.escaped").asText())
        .isEqualTo("quote \" backslash \\ slash / tab \t newline \n cr \r");
  }

  @Test
  void criOsRequestsGetTheManifestAsPushedAndEveryBlob() {
    // containers/image sends every type it accepts as an Accept line of its own.
    String[] accept = new String[CONTAINERS_IMAGE_ACCEPT.size() * 2];
    for (int i = 0; i < CONTAINERS_IMAGE_ACCEPT.size(); i++) {
      accept[2 * i] = "Accept";
      accept[2 * i + 1] = CONTAINERS_IMAGE_ACCEPT.get(i);
    }
    for (String reference : List.of("v1", manifestDigest)) {
      Reply got = client.getManifest(repo, reference, accept);
      assertServedAsPushed(got);
      Reply head = client.headManifest(repo, reference, accept);
      assertThat(head.status()).as("%s", head).isEqualTo(200);
      assertThat(head.headerOrNull("Content-Type")).isEqualTo(MediaType.OCI_MANIFEST);
      assertThat(head.headerOrNull("Docker-Content-Digest")).isEqualTo(manifestDigest);
      assertThat(head.headerOrNull("Content-Length")).isEqualTo(Integer.toString(manifest.length));
    }
    // The copy reads the config and then each layer (GetBlob, no Accept of its own).
    Reply config = client.getBlob(repo, Blob.EMPTY_JSON.digest());
    assertThat(config.status()).as("%s", config).isEqualTo(200);
    assertThat(config.body()).isEqualTo(Blob.EMPTY_JSON.bytes());
    for (Layer layer : layers) {
      Reply blob = client.getBlob(repo, layer.blob().digest());
      assertThat(blob.status()).as("%s", blob).isEqualTo(200);
      assertThat(blob.body()).isEqualTo(layer.blob().bytes());
      assertThat(blob.headerOrNull("Docker-Content-Digest")).isEqualTo(layer.blob().digest());
    }
  }

  @Test
  void containerdsResolveAndFetchGetTheManifestAsPushed() {
    Reply resolved = client.headManifest(repo, "v1", "Accept", CONTAINERD_RESOLVE_ACCEPT);
    assertThat(resolved.status()).as("%s", resolved).isEqualTo(200);
    assertThat(resolved.headerOrNull("Docker-Content-Digest")).isEqualTo(manifestDigest);
    assertThat(resolved.headerOrNull("Content-Length"))
        .isEqualTo(Integer.toString(manifest.length));
    assertThat(resolved.headerOrNull("Content-Type")).isEqualTo(MediaType.OCI_MANIFEST);

    assertServedAsPushed(
        client.getManifest(repo, manifestDigest, "Accept", MediaType.OCI_MANIFEST + ", */*"));
    for (Layer layer : layers) {
      Reply blob =
          client.getBlob(repo, layer.blob().digest(), "Accept", layer.mediaType() + ", */*");
      assertThat(blob.status()).as("%s", blob).isEqualTo(200);
      assertThat(blob.body()).isEqualTo(layer.blob().bytes());
    }
  }

  @Test
  void skopeoCopiesTheArtifactWithEveryAnnotationAsPushed(@TempDir Path work) throws Exception {
    Command.assumeInstalled("skopeo");
    Path logs = Path.of("target", "client-logs", "skopeo", "image-volume");
    String source = "docker://" + registry.hostAndPort() + "/" + repo + ":v1";

    OciLayout layout = new OciLayout(work.resolve("oci"));
    skopeo(logs.resolve("oci.log"), source, layout.reference("v1"));
    assertThat(layout.manifestBytes("v1")).isEqualTo(manifest);
    for (Layer layer : layers) {
      assertThat(layout.blob(layer.blob().digest())).isEqualTo(layer.blob().bytes());
    }

    Path dir = work.resolve("dir");
    skopeo(logs.resolve("dir.log"), source, "dir:" + dir);
    assertThat(Files.readAllBytes(dir.resolve("manifest.json"))).isEqualTo(manifest);
  }

  @Test
  void theFilesEndpointNamesTheFilesAsARuntimeWould() {
    Reply listing = client.get("/files/" + repo + "/-/v1/", "Accept", "application/json");
    assertThat(listing.status()).as("%s", listing).isEqualTo(200);
    JsonNode body = listing.json();
    assertThat(body.path("digest").asText()).isEqualTo(manifestDigest);
    assertThat(body.path("artifactType").asText()).isEqualTo(ARTIFACT_TYPE);
    List<String> names = new ArrayList<>();
    body.path("files").forEach(f -> names.add(f.path("name").asText()));
    List<Layer> titled = layers.stream().filter(l -> l.fileName() != null).toList();
    assertThat(names).containsExactlyElementsOf(titled.stream().map(Layer::fileName).toList());
    for (Layer layer : titled) {
      Reply file = client.get("/files/" + repo + "/-/" + manifestDigest + "/" + path(layer));
      assertThat(file.status()).as("%s", file).isEqualTo(200);
      assertThat(file.body()).isEqualTo(layer.blob().bytes());
    }
  }

  private static String path(Layer layer) {
    List<String> segments = new ArrayList<>();
    for (String segment : layer.fileName().split("/")) {
      segments.add(URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20"));
    }
    return String.join("/", segments);
  }

  private static void assertServedAsPushed(Reply reply) {
    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
    assertThat(reply.headerOrNull("Content-Type")).isEqualTo(MediaType.OCI_MANIFEST);
    assertThat(reply.headerOrNull("Docker-Content-Digest")).isEqualTo(manifestDigest);
    assertThat(Blob.sha256(reply.body())).isEqualTo(manifestDigest);
    assertThat(reply.body()).isEqualTo(manifest);
  }

  /** {@code skopeo copy} keeping the digest: it fails rather than write another manifest. */
  private static void skopeo(Path log, String source, String destination) throws Exception {
    Command.succeed(
        List.of(
            "skopeo",
            "--insecure-policy",
            "copy",
            "--src-tls-verify=false",
            "--preserve-digests",
            source,
            destination),
        Map.of(),
        log);
  }
}
