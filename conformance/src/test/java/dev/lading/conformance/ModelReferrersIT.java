package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import land.oras.ArtifactType;
import land.oras.Config;
import land.oras.ContainerRef;
import land.oras.Layer;
import land.oras.ManifestDescriptor;
import land.oras.Referrers;
import land.oras.Registry;
import land.oras.Subject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Artifacts attached to a ModelPack model with {@code subject}, found again through {@code GET
 * /v2/<name>/referrers/<digest>?artifactType=}, over real sockets on the filesystem store and on S3
 * (the {@code on-s3} run): a model card, an SBOM ({@code application/spdx+json}, as ORAS attaches
 * one) and a Notation signature ({@code application/vnd.cncf.notary.signature}, a {@code
 * application/jose+json} envelope), each pushed as a manifest with {@code subject} (the
 * distribution-spec's "Pushing Manifests with Subject": the registry answers {@code OCI-Subject} so
 * that the client does not fall back to the referrers tag schema); then a ModelPack artifact pushed
 * with the ORAS Java SDK ({@code land.oras:oras-java-sdk}) as a variant of the model and found by
 * its {@code artifactType}, through the SDK and through the API.
 */
class ModelReferrersIT {
  @RegisterExtension static final RegistryProcess registry = RegistryProcess.create();

  /** No registry of types names model cards: an illustrative one, as ORAS users pick. */
  static final String MODEL_CARD = "application/vnd.example.model-card.v1+markdown";

  static final String SBOM = "application/spdx+json";
  static final String SIGNATURE = "application/vnd.cncf.notary.signature";

  static RegistryClient client;

  @BeforeAll
  static void connect() {
    client = registry.client();
  }

  /** An artifact of one layer attached to the model: empty config, its type, its annotations. */
  private static Manifest attach(
      String repo,
      ModelArtifact model,
      String artifactType,
      Blob content,
      String layerType,
      Map<String, String> annotations) {
    client.pushBlob(repo, Blob.EMPTY_JSON);
    client.pushBlob(repo, content);
    Manifest.Builder b =
        Manifest.oci()
            .artifactType(artifactType)
            .config(Blob.EMPTY_JSON.descriptor(MediaType.OCI_EMPTY))
            .add(content.descriptor(layerType))
            .subject(model.manifest().descriptor());
    annotations.forEach(b::annotation);
    Manifest m = b.build();
    Reply put = client.putManifest(repo, m.digest(), m.mediaType(), m.bytes());
    assertThat(put.status()).as("%s", put).isEqualTo(201);
    assertThat(put.headerOrNull("OCI-Subject")).isEqualTo(model.manifest().digest());
    return m;
  }

  @Test
  void cardSbomAndSignatureAreListedAndFilteredByArtifactType() {
    String repo = Checks.uniqueRepo("models/referred");
    ModelArtifact model = ModelPackIT.pushedAsModctl(client, repo);
    Manifest card =
        attach(
            repo,
            model,
            MODEL_CARD,
            Blob.utf8("---\nlicense: apache-2.0\n---\n# tiny-qwen\n"),
            "text/markdown",
            Map.of("org.opencontainers.image.title", "MODEL_CARD.md"));
    Manifest sbom =
        attach(
            repo,
            model,
            SBOM,
            Blob.utf8("{\"spdxVersion\":\"SPDX-2.3\",\"name\":\"tiny-qwen\",\"packages\":[]}"),
            SBOM,
            Map.of("org.opencontainers.image.created", "2025-06-01T12:00:00Z"));
    Manifest signature =
        attach(
            repo,
            model,
            SIGNATURE,
            Blob.utf8("{\"payload\":\"e30\",\"protected\":\"e30\",\"signature\":\"AA\"}"),
            "application/jose+json",
            Map.of("io.cncf.notary.x509chain.thumbprint#S256", "[\"" + "ab".repeat(32) + "\"]"));

    Reply all = client.referrers(repo, model.manifest().digest());
    assertThat(all.status()).as("%s", all).isEqualTo(200);
    assertThat(all.headerOrNull("Content-Type")).isEqualTo(MediaType.OCI_INDEX);
    assertThat(all.headerOrNull("OCI-Filters-Applied")).isNull();
    assertThat(digests(all))
        .containsExactlyInAnyOrder(card.digest(), sbom.digest(), signature.digest());
    for (JsonNode d : all.json().path("manifests")) {
      assertThat(d.path("mediaType").asText()).isEqualTo(MediaType.OCI_MANIFEST);
      if (d.path("digest").asText().equals(signature.digest())) {
        // The referrer's own annotations travel in its descriptor (image-spec, referrers API).
        assertThat(d.path("annotations").path("io.cncf.notary.x509chain.thumbprint#S256").asText())
            .startsWith("[\"abab");
        assertThat(d.path("size").asLong()).isEqualTo(signature.bytes().length);
      }
    }

    for (Manifest m : List.of(card, sbom, signature)) {
      String type = m == card ? MODEL_CARD : m == sbom ? SBOM : SIGNATURE;
      Reply filtered = client.referrers(repo, model.manifest().digest(), "artifactType", type);
      assertThat(filtered.status()).as("%s", filtered).isEqualTo(200);
      assertThat(filtered.headerOrNull("OCI-Filters-Applied")).isEqualTo("artifactType");
      assertThat(digests(filtered)).containsExactly(m.digest());
      assertThat(filtered.json().path("manifests").get(0).path("artifactType").asText())
          .isEqualTo(type);
    }
    Reply none =
        client.referrers(repo, model.manifest().digest(), "artifactType", "application/x-none");
    assertThat(none.headerOrNull("OCI-Filters-Applied")).isEqualTo("artifactType");
    assertThat(none.json().path("manifests")).isEmpty();
  }

  /**
   * A quantized variant of the model as a ModelPack artifact, pushed with the ORAS Java SDK with
   * {@code subject} = the model: found by the SDK's {@code getReferrers} with the ModelPack {@code
   * artifactType}, and by the API's filter, next to nothing else of that type.
   */
  @Test
  void aModelPackVariantPushedWithTheOrasSdkIsFoundByItsArtifactType() {
    String repo = Checks.uniqueRepo("models/variants");
    ModelArtifact model = ModelPackIT.pushedAsModctl(client, repo);
    Registry oras = Registry.builder().insecure().build();
    ContainerRef variantRef = ContainerRef.parse(registry.hostAndPort() + "/" + repo + ":v1-q4");
    byte[] weights = Blob.random(200_000).bytes();
    byte[] config =
        Blob.utf8(
                "{\"descriptor\":{\"name\":\"tiny-qwen-q4\"},\"config\":{\"quantization\":\"q4_0\"}}")
            .bytes();
    Layer weightLayer =
        oras.pushBlob(variantRef, weights)
            .withMediaType(MediaType.MODELPACK_WEIGHT_RAW)
            .withAnnotations(Map.of(ModelPackIT.FILEPATH, "model-q4_0.gguf"));
    Config modelConfig =
        Config.fromBlob(MediaType.MODELPACK_CONFIG, oras.pushBlob(variantRef, config));
    Manifest subject = model.manifest();
    land.oras.Manifest pushed =
        oras.pushManifest(
            variantRef,
            land.oras.Manifest.empty()
                .withArtifactType(ArtifactType.from(MediaType.MODELPACK_ARTIFACT))
                .withConfig(modelConfig)
                .withLayers(List.of(weightLayer))
                .withSubject(
                    Subject.of(subject.mediaType(), subject.digest(), subject.bytes().length))
                .withAnnotations(Map.of("org.opencontainers.image.title", "tiny-qwen q4_0")));
    String variantDigest = pushed.getDescriptor().getDigest();

    Referrers found =
        oras.getReferrers(
            ContainerRef.parse(registry.hostAndPort() + "/" + repo + "@" + subject.digest()),
            ArtifactType.from(MediaType.MODELPACK_ARTIFACT));
    assertThat(found.getManifests())
        .extracting(ManifestDescriptor::getDigest)
        .containsExactly(variantDigest);

    Reply filtered =
        client.referrers(repo, subject.digest(), "artifactType", MediaType.MODELPACK_ARTIFACT);
    assertThat(filtered.headerOrNull("OCI-Filters-Applied")).isEqualTo("artifactType");
    assertThat(digests(filtered)).containsExactly(variantDigest);
    // The variant is a ModelPack artifact like any other: its weight is a file by its filepath.
    Reply file = client.get("/files/" + repo + "/-/v1-q4/model-q4_0.gguf");
    assertThat(file.status()).as("%s", file).isEqualTo(200);
    assertThat(file.body()).isEqualTo(weights);
  }

  private static List<String> digests(Reply referrers) {
    List<String> out = new ArrayList<>();
    referrers.json().path("manifests").forEach(d -> out.add(d.path("digest").asText()));
    return out;
  }
}
