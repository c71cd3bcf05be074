package dev.lading.conformance;

import static dev.lading.conformance.Checks.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lading.core.testing.StrictMultipart;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code GET|HEAD /files/<repository>/-/<reference>/<path>}: files of model artifacts by name, over
 * real sockets, on the filesystem store and on S3 (the {@code on-s3} run). Two layouts: a CNCF
 * ModelPack artifact ({@code artifactType application/vnd.cncf.model.manifest.v1+json}, weight
 * layers {@code application/vnd.cncf.model.weight.v1.raw} named by {@code org.cncf.model.filepath},
 * modelpack {@code docs/spec.md} and {@code docs/annotations.md}) and an ORAS push (files named by
 * {@code org.opencontainers.image.title}, as {@code oras push reg/repo:tag file} writes them), plus
 * an Ollama-style Docker v2 manifest (layer names implied by the media type).
 */
class FilesEndpointIT {
  @RegisterExtension static final RegistryProcess registry = RegistryProcess.create();

  static RegistryClient client;
  static String repo;
  static Blob weights1;
  static Blob weights2;
  static Blob tokenizer;
  static Blob gguf;
  static Blob readme;
  static Blob ollamaModel;
  static Blob ollamaLicense1;
  static Blob ollamaLicense2;
  static Manifest modelpack;
  static Manifest oras;
  static Manifest ollama;
  static Manifest index;

  @BeforeAll
  static void push() {
    client = registry.client();
    repo = Checks.uniqueRepo("models/files");
    // Over one S3 read window (8 MiB) at an odd length, so ranges cross it.
    weights1 = Blob.random(9 * 1024 * 1024 + 17);
    weights2 = Blob.random(70_001);
    tokenizer = Blob.of("{\"model\":{\"type\":\"BPE\"}}".getBytes(StandardCharsets.UTF_8));
    gguf = Blob.random(123_457);
    readme = Blob.of("# tiny model\n".getBytes(StandardCharsets.UTF_8));
    ollamaModel = Blob.random(50_000);
    ollamaLicense1 = Blob.of("MIT".getBytes(StandardCharsets.UTF_8));
    ollamaLicense2 = Blob.of("Apache-2.0".getBytes(StandardCharsets.UTF_8));
    Blob config =
        Blob.of(
            "{\"descriptor\":{\"name\":\"tiny\"},\"modelfs\":{\"type\":\"layers\",\"diffIds\":[]}}"
                .getBytes(StandardCharsets.UTF_8));
    for (Blob b :
        List.of(
            weights1,
            weights2,
            tokenizer,
            gguf,
            readme,
            ollamaModel,
            ollamaLicense1,
            ollamaLicense2,
            config,
            Blob.EMPTY_JSON)) {
      client.pushBlob(repo, b);
    }
    modelpack =
        Manifest.oci()
            .artifactType(MediaType.MODELPACK_ARTIFACT)
            .config(config.descriptor(MediaType.MODELPACK_CONFIG))
            .add(
                weights1
                    .descriptor(MediaType.MODELPACK_WEIGHT_RAW)
                    .withAnnotation("org.cncf.model.filepath", "model-00001-of-00002.safetensors"))
            .add(
                weights2
                    .descriptor(MediaType.MODELPACK_WEIGHT_RAW)
                    .withAnnotation("org.cncf.model.filepath", "model-00002-of-00002.safetensors"))
            .add(
                tokenizer
                    .descriptor("application/vnd.cncf.model.weight.config.v1.raw")
                    .withAnnotation("org.cncf.model.filepath", "tokenizer/tokenizer.json"))
            .build();
    oras =
        Manifest.oci()
            .artifactType("application/vnd.example.gguf")
            .config(Blob.EMPTY_JSON.descriptor("application/vnd.oci.empty.v1+json"))
            .add(
                gguf.descriptor("application/vnd.example.gguf.layer")
                    .withAnnotation("org.opencontainers.image.title", "tiny-q4_0.gguf"))
            .add(
                readme
                    .descriptor("text/markdown")
                    .withAnnotation("org.opencontainers.image.title", "RÉADME ü.md"))
            .build();
    ollama =
        Manifest.docker()
            .config(config.descriptor("application/vnd.docker.container.image.v1+json"))
            .add(ollamaModel.descriptor("application/vnd.ollama.image.model"))
            .add(ollamaLicense1.descriptor("application/vnd.ollama.image.license"))
            .add(ollamaLicense2.descriptor("application/vnd.ollama.image.license"))
            .build();
    assertThat(client.pushManifest(repo, "modelpack", modelpack).status()).isEqualTo(201);
    assertThat(client.pushManifest(repo, "oras", oras).status()).isEqualTo(201);
    assertThat(client.pushManifest(repo, "ollama", ollama).status()).isEqualTo(201);
    index =
        Manifest.ociIndex()
            .add(modelpack.descriptor().withPlatform("linux", "amd64"))
            .add(oras.descriptor().withPlatform("linux", "arm64"))
            .build();
    assertThat(client.pushManifest(repo, "multi", index).status()).isEqualTo(201);
  }

  private static String file(String reference, String path) {
    return "/files/" + repo + "/-/" + reference + "/" + path;
  }

  @Test
  void modelPackWeightsWholeRangedMultiRangedAndHead() throws Exception {
    Reply whole = client.get(file("modelpack", "model-00001-of-00002.safetensors"));
    assertThat(whole.status()).as("%s", whole).isEqualTo(200);
    assertThat(whole.body()).isEqualTo(weights1.bytes());
    assertThat(whole.headerOrNull("Content-Type")).isEqualTo(MediaType.MODELPACK_WEIGHT_RAW);
    assertThat(whole.headerOrNull("ETag")).isEqualTo("\"" + weights1.digest() + "\"");
    assertThat(whole.headerOrNull("Docker-Content-Digest")).isEqualTo(weights1.digest());
    assertThat(whole.headerOrNull("Content-Disposition"))
        .isEqualTo("attachment; filename=\"model-00001-of-00002.safetensors\"");
    assertThat(whole.headerOrNull("Cache-Control")).isEqualTo("no-cache");
    assertThat(whole.headerOrNull("Accept-Ranges")).isEqualTo("bytes");

    Reply ranged =
        client.get(
            file("modelpack", "model-00001-of-00002.safetensors"),
            "Range",
            "bytes=8388600-8388707");
    assertThat(ranged.status()).isEqualTo(206);
    assertThat(ranged.headerOrNull("Content-Range"))
        .isEqualTo("bytes 8388600-8388707/" + weights1.size());
    assertThat(ranged.body()).isEqualTo(Arrays.copyOfRange(weights1.bytes(), 8388600, 8388708));

    Reply multi =
        client.get(
            file("modelpack", "model-00001-of-00002.safetensors"),
            "Range",
            "bytes=0-9,9000000-9000099");
    assertThat(multi.status()).isEqualTo(206);
    List<StrictMultipart.Part> parts =
        ByteRanges.parse(multi.headerOrNull("Content-Type"), multi.body());
    assertThat(parts).hasSize(2);
    assertThat(parts.get(0).bytes()).isEqualTo(Arrays.copyOfRange(weights1.bytes(), 0, 10));
    assertThat(parts.get(1).bytes())
        .isEqualTo(Arrays.copyOfRange(weights1.bytes(), 9000000, 9000100));

    Reply head = client.head(file("modelpack", "model-00002-of-00002.safetensors"));
    assertThat(head.status()).isEqualTo(200);
    assertThat(head.headerOrNull("Content-Length")).isEqualTo(Long.toString(weights2.size()));
    assertThat(head.body()).isEmpty();

    Reply nested = client.get(file("modelpack", "tokenizer/tokenizer.json"));
    assertThat(nested.status()).isEqualTo(200);
    assertThat(nested.body()).isEqualTo(tokenizer.bytes());
    assertThat(nested.headerOrNull("Content-Disposition"))
        .isEqualTo("attachment; filename=\"tokenizer.json\"");
  }

  @Test
  void byDigestIsImmutable() {
    Reply r = client.get(file(modelpack.digest(), "model-00002-of-00002.safetensors"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(weights2.bytes());
    assertThat(r.headerOrNull("Cache-Control")).isEqualTo("public, max-age=31536000, immutable");
  }

  @Test
  void orasTitlesIncludingNonAsciiNames() {
    Reply r = client.get(file("oras", "tiny-q4_0.gguf"), "Range", "bytes=-100");
    assertThat(r.status()).isEqualTo(206);
    assertThat(r.body())
        .isEqualTo(
            Arrays.copyOfRange(gguf.bytes(), gguf.bytes().length - 100, gguf.bytes().length));
    assertThat(r.headerOrNull("Content-Type")).isEqualTo("application/vnd.example.gguf.layer");
    // The non-ASCII name, percent-encoded as UTF-8 in the path.
    Reply md = client.get("/files/" + repo + "/-/oras/R%C3%89ADME%20%C3%BC.md");
    assertThat(md.status()).as("%s", md).isEqualTo(200);
    assertThat(md.body()).isEqualTo(readme.bytes());
    assertThat(md.headerOrNull("Content-Disposition"))
        .isEqualTo(
            "attachment; filename=\"R_ADME _.md\"; filename*=UTF-8''R%C3%89ADME%20%C3%BC.md");
  }

  @Test
  void ollamaLayersAreNamedByMediaTypeAndSharedNamesAreRefused() {
    Reply model = client.get(file("ollama", "model"), "Range", "bytes=0-99");
    assertThat(model.status()).isEqualTo(206);
    assertThat(model.body()).isEqualTo(Arrays.copyOf(ollamaModel.bytes(), 100));
    assertThat(model.headerOrNull("Content-Type")).isEqualTo("application/vnd.ollama.image.model");
    // Two license layers of different content: never an arbitrary one of them.
    Reply license = client.get(file("ollama", "license"));
    assertError(license, 404, "BLOB_UNKNOWN");
    assertThat(license.text()).contains(ollamaLicense1.digest(), ollamaLicense2.digest());
  }

  @Test
  void listingNamesSizesDigestsAndTypes() {
    Reply r = client.get("/files/" + repo + "/-/modelpack/", "Accept", "application/json");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.headerOrNull("Content-Type")).startsWith("application/json");
    JsonNode body = r.json();
    assertThat(body.path("digest").asText()).isEqualTo(modelpack.digest());
    assertThat(body.path("artifactType").asText()).isEqualTo(MediaType.MODELPACK_ARTIFACT);
    List<String> names = new ArrayList<>();
    body.path("files").forEach(f -> names.add(f.path("name").asText()));
    assertThat(names)
        .containsExactly(
            "model-00001-of-00002.safetensors",
            "model-00002-of-00002.safetensors",
            "tokenizer/tokenizer.json");
    JsonNode first = body.path("files").get(0);
    assertThat(first.path("size").asLong()).isEqualTo(weights1.size());
    assertThat(first.path("digest").asText()).isEqualTo(weights1.digest());
    assertThat(first.path("mediaType").asText()).isEqualTo(MediaType.MODELPACK_WEIGHT_RAW);
    // A directory of it.
    Reply dir = client.get("/files/" + repo + "/-/modelpack/tokenizer/");
    assertThat(dir.status()).isEqualTo(200);
    assertThat(dir.json().path("files")).hasSize(1);
  }

  @Test
  void anIndexListsItsChildrenOrBrowsesThePlatformAsked() {
    Reply list = client.get("/files/" + repo + "/-/multi/");
    assertThat(list.status()).isEqualTo(200);
    JsonNode children = list.json().path("manifests");
    assertThat(children).hasSize(2);
    assertThat(children.get(0).path("platform").asText()).isEqualTo("linux/amd64");
    assertThat(children.get(1).path("digest").asText()).isEqualTo(oras.digest());
    assertError(client.get(file("multi", "tiny-q4_0.gguf")), 404, "MANIFEST_UNKNOWN");
    Reply arm = client.get(file("multi", "tiny-q4_0.gguf") + "?platform=linux/arm64");
    assertThat(arm.status()).isEqualTo(200);
    assertThat(arm.body()).isEqualTo(gguf.bytes());
  }

  @Test
  void unknownNamesAndReferencesAre404WithTheSpecError() {
    assertError(client.get(file("modelpack", "nope.bin")), 404, "BLOB_UNKNOWN");
    assertError(client.head(file("modelpack", "nope.bin")), 404, "BLOB_UNKNOWN");
    assertError(client.get(file("no-such-tag", "model.gguf")), 404, "MANIFEST_UNKNOWN");
    assertThat(client.send("PUT", file("modelpack", "x"), new byte[0]).status()).isEqualTo(405);
  }

  @Test
  void traversalIsRefusedHoweverItIsSpelled() throws Exception {
    for (String path :
        List.of(
            "../../../v2/_catalog",
            "tokenizer/../model-00002-of-00002.safetensors",
            "./tokenizer/tokenizer.json",
            "tokenizer//tokenizer.json",
            "%2E%2E/x",
            "tokenizer%2Ftokenizer.json",
            "..%2F..%2Fetc%2Fpasswd")) {
      String[] reply = raw("GET /files/" + repo + "/-/modelpack/" + path);
      assertThat(reply[0]).as(path).startsWith("HTTP/1.1 404 ");
      assertThat(reply[1]).as(path).contains("\"BLOB_UNKNOWN\"");
    }
  }

  /** One request on a raw socket, so no client normalises the path: status line and body. */
  private static String[] raw(String requestLine) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", registry.port())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          (requestLine + " HTTP/1.1\r\nHost: registry\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      String text = all.toString(StandardCharsets.UTF_8);
      int end = text.indexOf("\r\n\r\n");
      return new String[] {text.substring(0, text.indexOf("\r\n")), text.substring(end + 4)};
    }
  }
}
