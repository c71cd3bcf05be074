package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Model manifests at the edges of what Lading takes, over real sockets on the filesystem store and
 * on S3 (the {@code on-s3} run): a sharded model of 200 layers, and manifests at Lading's default
 * {@code limits.manifest_bytes} (4194304, README and {@code ConfigKey.LIMITS_MANIFEST_BYTES}; the
 * distribution-spec asks registries to take "at least 4 megabytes" and to answer a larger one
 * {@code 413}). Every manifest that is taken comes back as the very bytes pushed, so every
 * annotation in it survives.
 */
class ModelManifestLimitsIT {
  @RegisterExtension static final RegistryProcess registry = RegistryProcess.create();

  static final int LIMIT = 4 * 1024 * 1024;

  /**
   * A ModelPack artifact of 200 weight shards, each annotated with its path and a per-shard
   * annotation: pushed as modctl and kit push (oras-go, three blobs at a time), pulled back byte
   * for byte, every annotation read back, every shard listed under {@code /files/} and the last one
   * served by its name.
   */
  @Test
  void twoHundredLayersComeBackWithEveryAnnotation() throws Exception {
    RegistryClient client = registry.client();
    String repo = Checks.uniqueRepo("models/sharded");
    List<ModelArtifact.Layer> layers = new ArrayList<>();
    for (int i = 1; i <= 200; i++) {
      String name = String.format("model-%05d-of-00200.safetensors", i);
      layers.add(
          new ModelArtifact.Layer(name, Blob.random(512 + i), MediaType.MODELPACK_WEIGHT_RAW));
    }
    Blob config =
        Blob.utf8("{\"descriptor\":{\"name\":\"sharded\"},\"modelfs\":{\"type\":\"layers\"}}");
    Manifest.Builder builder =
        Manifest.oci()
            .artifactType(MediaType.MODELPACK_ARTIFACT)
            .config(config.descriptor(MediaType.MODELPACK_CONFIG))
            .annotation("org.opencontainers.image.description", "two hundred shards");
    for (int i = 0; i < layers.size(); i++) {
      ModelArtifact.Layer l = layers.get(i);
      builder.add(
          l.blob()
              .descriptor(l.mediaType())
              .withAnnotation(ModelPackIT.FILEPATH, l.fileName())
              .withAnnotation("org.example.shard.index", Integer.toString(i)));
    }
    ModelArtifact model = new ModelArtifact("v200", builder.build(), config, layers);
    OrasGoWire.pushBlobs(client, repo, model.blobs());
    OrasGoWire.pushManifestThenTag(client, repo, model.manifest(), model.tag());

    model.assertPulledBack(client, repo);
    JsonNode served = client.getManifest(repo, model.tag(), RegistryClient.acceptAll()).json();
    assertThat(served.path("layers")).hasSize(200);
    for (int i = 0; i < 200; i++) {
      JsonNode annotations = served.path("layers").get(i).path("annotations");
      assertThat(annotations.path(ModelPackIT.FILEPATH).asText())
          .isEqualTo(layers.get(i).fileName());
      assertThat(annotations.path("org.example.shard.index").asText())
          .isEqualTo(Integer.toString(i));
    }
    Reply listing = client.get("/files/" + repo + "/-/" + model.tag() + "/");
    assertThat(listing.json().path("files")).hasSize(200);
    Reply last =
        client.get("/files/" + repo + "/-/" + model.tag() + "/model-00200-of-00200.safetensors");
    assertThat(last.status()).as("%s", last).isEqualTo(200);
    assertThat(last.body()).isEqualTo(layers.get(199).blob().bytes());
  }

  /** A manifest of exactly the limit is stored and served unchanged, by tag and by digest. */
  @Test
  void aManifestOfExactlyTheLimitIsTakenAndServedUnchanged() {
    RegistryClient client = registry.client();
    String repo = Checks.uniqueRepo("models/at-limit");
    Manifest manifest = ofSize(client, repo, LIMIT);

    Reply put = client.putManifest(repo, "max", manifest.mediaType(), manifest.bytes());
    assertThat(put.status()).as("%s", put).isEqualTo(201);
    assertThat(put.headerOrNull("Docker-Content-Digest")).isEqualTo(manifest.digest());
    for (String reference : List.of("max", manifest.digest())) {
      Reply get = client.getManifest(repo, reference, RegistryClient.acceptAll());
      assertThat(get.status()).as("%s", get).isEqualTo(200);
      assertThat(get.body()).isEqualTo(manifest.bytes());
    }
  }

  /**
   * One byte over: {@code 413} (the spec's status) with the spec code {@code MANIFEST_INVALID} and
   * a detail naming the limit (and the size, when the length is declared), whether the length is
   * declared or the body comes chunked; nothing is stored under the tag.
   */
  @Test
  void oneByteOverTheLimitIsRefusedWith413AndStoresNothing() {
    RegistryClient client = registry.client();
    String repo = Checks.uniqueRepo("models/over-limit");
    Manifest manifest = ofSize(client, repo, LIMIT + 1);

    Reply declared = client.putManifest(repo, "over", manifest.mediaType(), manifest.bytes());
    Checks.assertError(declared, 413, "MANIFEST_INVALID");
    assertThat(declared.json().at("/errors/0/detail/size").asLong()).isEqualTo(LIMIT + 1);
    assertThat(declared.json().at("/errors/0/detail/limit").asLong()).isEqualTo(LIMIT);
    Reply chunked =
        client.send(
            "PUT",
            client.resolve("/v2/" + repo + "/manifests/over"),
            RegistryClient.streamed(manifest.bytes()),
            "Content-Type",
            manifest.mediaType());
    Checks.assertError(chunked, 413, "MANIFEST_INVALID");
    assertThat(chunked.json().at("/errors/0/detail/limit").asLong()).isEqualTo(LIMIT);
    Checks.assertError(
        client.getManifest(repo, "over", RegistryClient.acceptAll()), 404, "MANIFEST_UNKNOWN");
    Checks.assertError(
        client.getManifest(repo, manifest.digest(), RegistryClient.acceptAll()),
        404,
        "MANIFEST_UNKNOWN");
  }

  /**
   * A ModelPack-style manifest of one weight layer (pushed, with the empty config) whose
   * description annotation is padded so that the manifest is exactly {@code size} bytes (the
   * padding is ASCII: one character, one byte).
   */
  private static Manifest ofSize(RegistryClient client, String repo, int size) {
    Blob weights = Blob.random(4096);
    client.pushBlob(repo, weights);
    client.pushBlob(repo, Blob.EMPTY_JSON);
    int unpadded = padded(weights, "").bytes().length;
    Manifest manifest = padded(weights, "x".repeat(size - unpadded));
    assertThat(manifest.bytes()).hasSize(size);
    return manifest;
  }

  private static Manifest padded(Blob weights, String padding) {
    return Manifest.oci()
        .artifactType(MediaType.MODELPACK_ARTIFACT)
        .config(Blob.EMPTY_JSON.descriptor(MediaType.OCI_EMPTY))
        .add(
            weights
                .descriptor(MediaType.MODELPACK_WEIGHT_RAW)
                .withAnnotation(ModelPackIT.FILEPATH, "model.safetensors"))
        .annotation("org.opencontainers.image.description", padding)
        .build();
  }
}
