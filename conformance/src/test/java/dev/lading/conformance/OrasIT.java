package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import land.oras.Annotations;
import land.oras.ArtifactType;
import land.oras.Config;
import land.oras.ContainerRef;
import land.oras.Layer;
import land.oras.LocalPath;
import land.oras.ManifestDescriptor;
import land.oras.Referrers;
import land.oras.Registry;
import land.oras.Subject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * ORAS (the Java SDK) pushing and pulling model artifacts: a GGUF file stays byte for byte what it
 * was, and an SBOM attached with {@code subject} is found again through the referrers API.
 */
class OrasIT {
  @RegisterExtension static final RegistryProcess registry = RegistryProcess.create();

  static final String GGUF = "application/vnd.gguf.model";
  static final String MODEL_TYPE = "application/vnd.example.model.v1";
  static final String SBOM = "application/spdx+json";

  static Registry oras;
  static RegistryClient client;
  @TempDir Path work;

  @BeforeAll
  static void connect() {
    oras = Registry.builder().insecure().build();
    client = registry.client();
  }

  private ContainerRef ref(String repo, String tag) {
    return ContainerRef.parse(registry.hostAndPort() + "/" + repo + ":" + tag);
  }

  /** A GGUF-like file: the format's magic and version, then random tensor bytes. */
  private Path ggufModel(int size) throws Exception {
    Path model = work.resolve("model.gguf");
    try (OutputStream out = Files.newOutputStream(model)) {
      out.write("GGUF".getBytes(StandardCharsets.US_ASCII));
      out.write(new byte[] {3, 0, 0, 0});
      byte[] chunk = new byte[64 * 1024];
      for (int written = 8; written < size; written += chunk.length) {
        ThreadLocalRandom.current().nextBytes(chunk);
        out.write(chunk, 0, Math.min(chunk.length, size - written));
      }
    }
    return model;
  }

  @Test
  void ggufModelArtifactIsPulledBackByteForByte() throws Exception {
    Path model = ggufModel(3 * 1024 * 1024 + 5);
    byte[] original = Files.readAllBytes(model);
    String repo = Checks.uniqueRepo("oras-model");

    land.oras.Manifest pushed =
        oras.pushArtifact(
            ref(repo, "q4"),
            ArtifactType.from(MODEL_TYPE),
            Annotations.empty(),
            Config.empty(),
            LocalPath.of(model, GGUF));

    Reply served = client.getManifest(repo, "q4", RegistryClient.acceptAll());
    assertThat(served.status()).as("%s", served).isEqualTo(200);
    assertThat(served.headerOrNull("Content-Type")).isEqualTo(MediaType.OCI_MANIFEST);
    JsonNode manifest = served.json();
    assertThat(manifest.path("artifactType").asText()).isEqualTo(MODEL_TYPE);
    assertThat(manifest.path("config").path("mediaType").asText()).isEqualTo(MediaType.OCI_EMPTY);
    assertThat(manifest.path("config").path("digest").asText()).isEqualTo(Blob.EMPTY_JSON.digest());
    JsonNode layer = manifest.path("layers").get(0);
    assertThat(layer.path("mediaType").asText()).isEqualTo(GGUF);
    assertThat(layer.path("digest").asText()).isEqualTo(Blob.sha256(original));
    assertThat(layer.path("size").asLong()).isEqualTo(original.length);
    assertThat(pushed.getLayers()).hasSize(1);

    Reply blob = client.getBlob(repo, Blob.sha256(original));
    assertThat(blob.body()).isEqualTo(original);
    Reply empty = client.getBlob(repo, Blob.EMPTY_JSON.digest());
    assertThat(empty.body()).isEqualTo(Blob.EMPTY_JSON.bytes());

    Path out = Files.createDirectories(work.resolve("pulled"));
    oras.pullArtifact(ref(repo, "q4"), out, true);
    Path pulled = out.resolve("model.gguf");
    assertThat(pulled).exists();
    assertThat(Files.readAllBytes(pulled)).isEqualTo(original);
    assertThat(new String(Files.readAllBytes(pulled), 0, 4, StandardCharsets.US_ASCII))
        .isEqualTo("GGUF");
  }

  @Test
  void sbomAttachedToAnImageIsFoundThroughReferrers() throws Exception {
    String repo = Checks.uniqueRepo("oras-sbom");
    Images image = Images.pushed(client, repo, "app");
    Manifest subject = image.manifest();

    byte[] sbom =
        ("{\"spdxVersion\":\"SPDX-2.3\",\"name\":\"app\",\"packages\":[{\"name\":\"libexample\"}],"
                + "\"documentNamespace\":\"https://example.invalid/"
                + Blob.random(8).digest()
                + "\"}")
            .getBytes(StandardCharsets.UTF_8);
    ContainerRef base = ref(repo, "sbom");
    oras.pushBlob(base, Blob.EMPTY_JSON.bytes());
    Layer sbomLayer = oras.pushBlob(base, sbom).withMediaType(SBOM);
    land.oras.Manifest referrer =
        land.oras.Manifest.empty()
            .withArtifactType(ArtifactType.from(SBOM))
            .withConfig(Config.empty())
            .withLayers(List.of(sbomLayer))
            .withSubject(Subject.of(subject.mediaType(), subject.digest(), subject.bytes().length))
            .withAnnotations(Map.of("org.opencontainers.image.created", "2024-01-01T00:00:00Z"));
    land.oras.Manifest stored = oras.pushManifest(base, referrer);
    String referrerDigest = stored.getDescriptor().getDigest();

    Reply listed = client.referrers(repo, subject.digest());
    assertThat(listed.status()).as("%s", listed).isEqualTo(200);
    assertThat(listed.headerOrNull("Content-Type")).isEqualTo(MediaType.OCI_INDEX);
    JsonNode manifests = listed.json().path("manifests");
    assertThat(manifests).hasSize(1);
    assertThat(manifests.get(0).path("digest").asText()).isEqualTo(referrerDigest);
    assertThat(manifests.get(0).path("artifactType").asText()).isEqualTo(SBOM);

    Reply filtered = client.referrers(repo, subject.digest(), "artifactType", SBOM);
    assertThat(filtered.headerOrNull("OCI-Filters-Applied")).isEqualTo("artifactType");
    assertThat(filtered.json().path("manifests")).hasSize(1);
    Reply other = client.referrers(repo, subject.digest(), "artifactType", "application/x-other");
    assertThat(other.json().path("manifests")).isEmpty();

    Referrers found =
        oras.getReferrers(ref(repo, "app").withDigest(subject.digest()), ArtifactType.from(SBOM));
    assertThat(found.getManifests())
        .extracting(ManifestDescriptor::getDigest)
        .containsExactly(referrerDigest);
    Reply sbomBlob = client.getBlob(repo, Blob.sha256(sbom));
    assertThat(sbomBlob.body()).isEqualTo(sbom);
  }
}
