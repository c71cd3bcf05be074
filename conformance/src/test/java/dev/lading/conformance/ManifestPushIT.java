package dev.lading.conformance;

import static dev.lading.conformance.Checks.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Manifest pushes of every supported kind, and refused pushes that must change nothing: the tag
 * still points where it did and no manifest appears under any digest.
 */
class ManifestPushIT {
  @RegisterExtension static final RegistryProcess registry = RegistryProcess.create();

  static RegistryClient client;

  @BeforeAll
  static void connect() {
    client = registry.client();
  }

  private static void assertManifestCreated(Reply reply, String repo, Manifest manifest) {
    assertThat(reply.status()).as("%s", reply).isEqualTo(201);
    assertThat(reply.header("Location")).as("%s", reply).isPresent();
    assertThat(reply.headerOrNull("Docker-Content-Digest")).isEqualTo(manifest.digest());
    assertServed(repo, manifest.digest(), manifest);
  }

  private static void assertServed(String repo, String reference, Manifest manifest) {
    Reply get = client.getManifest(repo, reference, RegistryClient.acceptAll());
    assertThat(get.status()).as("%s", get).isEqualTo(200);
    assertThat(get.headerOrNull("Content-Type")).isEqualTo(manifest.mediaType());
    assertThat(get.headerOrNull("Docker-Content-Digest")).isEqualTo(manifest.digest());
    assertThat(get.body()).isEqualTo(manifest.bytes());
  }

  private static void assertNoManifest(String repo, String reference) {
    assertThat(client.headManifest(repo, reference, RegistryClient.acceptAll()).status())
        .as("HEAD manifest %s", reference)
        .isEqualTo(404);
  }

  @Test
  void ociManifestByTagIsServedByTagAndDigest() {
    String repo = Checks.uniqueRepo("manifest");
    Images image = Images.generate(2, 512);
    image.pushBlobs(client, repo);
    Reply put = client.putManifest(repo, "v1", MediaType.OCI_MANIFEST, image.manifest().bytes());
    assertManifestCreated(put, repo, image.manifest());
    assertServed(repo, "v1", image.manifest());
  }

  @Test
  void ociManifestByDigestIsServedWithoutATag() {
    String repo = Checks.uniqueRepo("manifest");
    Images image = Images.generate(1, 512);
    image.pushBlobs(client, repo);
    Manifest m = image.manifest();
    assertManifestCreated(client.putManifest(repo, m.digest(), m.mediaType(), m.bytes()), repo, m);
    // The repository exists (it holds a manifest), so its tag list is 200 and empty, not 404.
    Reply tags = client.listTags(repo);
    assertThat(tags.status()).as("%s", tags).isEqualTo(200);
    assertThat(RegistryClient.strings(tags, "tags")).isEmpty();
  }

  @Test
  void oneManifestUnderManyTags() {
    String repo = Checks.uniqueRepo("manifest");
    Images image = Images.generate(1, 512);
    image.pushBlobs(client, repo);
    for (int i = 0; i < 4; i++) {
      Reply put =
          client.putManifest(repo, "test" + i, MediaType.OCI_MANIFEST, image.manifest().bytes());
      assertManifestCreated(put, repo, image.manifest());
    }
    for (int i = 0; i < 4; i++) {
      assertServed(repo, "test" + i, image.manifest());
    }
  }

  @Test
  void manifestWithoutLayersIsAccepted() {
    String repo = Checks.uniqueRepo("manifest");
    Blob config = Blob.random(100);
    client.pushBlob(repo, config);
    Manifest m = Manifest.oci().config(config.descriptor(MediaType.OCI_CONFIG)).build();
    assertManifestCreated(client.putManifest(repo, "empty", m.mediaType(), m.bytes()), repo, m);
  }

  @Test
  void tagMovesToANewManifest() {
    String repo = Checks.uniqueRepo("manifest");
    Images first = Images.pushed(client, repo, "moving");
    Images second = Images.pushed(client, repo, "moving");
    assertServed(repo, "moving", second.manifest());
    assertServed(repo, first.manifest().digest(), first.manifest());
  }

  @Test
  void ociIndexOfTwoPlatformsIsServed() {
    String repo = Checks.uniqueRepo("index");
    Images amd = Images.pushed(client, repo, "amd64");
    Images arm = Images.pushed(client, repo, "arm64");
    Manifest index =
        Manifest.ociIndex()
            .add(amd.manifest().descriptor().withPlatform("linux", "amd64"))
            .add(arm.manifest().descriptor().withPlatform("linux", "arm64"))
            .build();
    assertManifestCreated(
        client.putManifest(repo, "multi", index.mediaType(), index.bytes()), repo, index);
    assertServed(repo, "multi", index);
  }

  @Test
  void dockerV2Schema2ManifestIsServedAsIs() {
    String repo = Checks.uniqueRepo("docker");
    Blob config = Blob.random(300);
    Blob layer = Blob.random(2000);
    client.pushBlob(repo, config);
    client.pushBlob(repo, layer);
    Manifest m =
        Manifest.docker()
            .config(config.descriptor(MediaType.DOCKER_CONFIG))
            .add(layer.descriptor(MediaType.DOCKER_LAYER_GZIP))
            .build();
    assertManifestCreated(client.putManifest(repo, "v2s2", m.mediaType(), m.bytes()), repo, m);
    assertServed(repo, "v2s2", m);
  }

  @Test
  void dockerManifestListIsServedAsIs() {
    String repo = Checks.uniqueRepo("docker");
    Blob config = Blob.random(300);
    Blob layer = Blob.random(2000);
    client.pushBlob(repo, config);
    client.pushBlob(repo, layer);
    Manifest amd =
        Manifest.docker()
            .config(config.descriptor(MediaType.DOCKER_CONFIG))
            .add(layer.descriptor(MediaType.DOCKER_LAYER_GZIP))
            .build();
    client.pushManifest(repo, amd.digest(), amd);
    Manifest list =
        Manifest.dockerList().add(amd.descriptor().withPlatform("linux", "amd64")).build();
    assertManifestCreated(
        client.putManifest(repo, "list", list.mediaType(), list.bytes()), repo, list);
  }

  @Test
  void artifactWithArtifactTypeAndEmptyConfigIsServedAsIs() {
    String repo = Checks.uniqueRepo("artifact");
    Blob model = Blob.random(4096);
    client.pushBlob(repo, Blob.EMPTY_JSON);
    client.pushBlob(repo, model);
    Manifest m =
        Manifest.oci()
            .artifactType("application/vnd.example.model.v1")
            .config(Blob.EMPTY_JSON.descriptor(MediaType.OCI_EMPTY))
            .add(
                model
                    .descriptor("application/vnd.gguf.model")
                    .withAnnotation("org.opencontainers.image.title", "model.gguf"))
            .build();
    assertManifestCreated(client.putManifest(repo, "model", m.mediaType(), m.bytes()), repo, m);
    Reply layer = client.getBlob(repo, model.digest());
    assertThat(layer.body()).isEqualTo(model.bytes());
  }

  @Test
  void emptyJsonBlobHasTheSpecsDigest() {
    assertThat(Blob.EMPTY_JSON.digest())
        .isEqualTo("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  }

  @Test
  void manifestWithSubjectAnswersOciSubject() {
    String repo = Checks.uniqueRepo("subject");
    Images subject = Images.pushed(client, repo, "base");
    Manifest sig = referrer(repo, subject.manifest(), "application/vnd.example.signature");
    Reply put = client.putManifest(repo, sig.digest(), sig.mediaType(), sig.bytes());
    assertManifestCreated(put, repo, sig);
    assertThat(put.headerOrNull("OCI-Subject")).isEqualTo(subject.manifest().digest());
  }

  @Test
  void manifestWhoseSubjectIsNotPushedYetIsAccepted() {
    String repo = Checks.uniqueRepo("subject");
    Images absent = Images.generate(1, 10);
    Manifest sig = referrer(repo, absent.manifest(), "application/vnd.example.signature");
    Reply put = client.putManifest(repo, sig.digest(), sig.mediaType(), sig.bytes());
    assertManifestCreated(put, repo, sig);
    assertThat(put.headerOrNull("OCI-Subject")).isEqualTo(absent.manifest().digest());
  }

  static Manifest referrer(String repo, Manifest subject, String artifactType) {
    Blob payload = Blob.random(64);
    client.pushBlob(repo, Blob.EMPTY_JSON);
    client.pushBlob(repo, payload);
    return Manifest.oci()
        .artifactType(artifactType)
        .config(Blob.EMPTY_JSON.descriptor(MediaType.OCI_EMPTY))
        .add(payload.descriptor("application/octet-stream"))
        .subject(subject.descriptor())
        .build();
  }

  // ---- refused pushes change nothing --------------------------------------------------------

  @Test
  void manifestNamingAnUnknownBlobIsRefusedAndTheTagStays() {
    String repo = Checks.uniqueRepo("refused");
    Images kept = Images.pushed(client, repo, "stable");
    Blob config = Blob.random(100);
    client.pushBlob(repo, config);
    Blob missing = Blob.random(100);
    Manifest bad =
        Manifest.oci()
            .config(config.descriptor(MediaType.OCI_CONFIG))
            .add(missing.descriptor(MediaType.OCI_LAYER_GZIP))
            .build();
    Reply put = client.putManifest(repo, "stable", bad.mediaType(), bad.bytes());
    assertError(put, 400, "MANIFEST_BLOB_UNKNOWN");
    assertServed(repo, "stable", kept.manifest());
    assertNoManifest(repo, bad.digest());
  }

  @Test
  void manifestWithUnknownConfigIsRefused() {
    String repo = Checks.uniqueRepo("refused");
    Blob layer = Blob.random(100);
    client.pushBlob(repo, layer);
    Manifest bad =
        Manifest.oci()
            .config(Blob.random(50).descriptor(MediaType.OCI_CONFIG))
            .add(layer.descriptor(MediaType.OCI_LAYER_GZIP))
            .build();
    Reply put = client.putManifest(repo, "t", bad.mediaType(), bad.bytes());
    assertError(put, 400, "MANIFEST_BLOB_UNKNOWN");
    assertNoManifest(repo, "t");
    assertNoManifest(repo, bad.digest());
  }

  @Test
  void malformedJsonIsRefusedAndTheTagStays() {
    String repo = Checks.uniqueRepo("refused");
    Images kept = Images.pushed(client, repo, "stable");
    byte[] junk = "{\"schemaVersion\": 2, \"mediaType\": ".getBytes(StandardCharsets.UTF_8);
    assertError(
        client.putManifest(repo, "stable", MediaType.OCI_MANIFEST, junk), 400, "MANIFEST_INVALID");
    assertServed(repo, "stable", kept.manifest());
    assertNoManifest(repo, Blob.sha256(junk));
  }

  @Test
  void manifestWithoutSchemaVersionIsRefused() {
    String repo = Checks.uniqueRepo("refused");
    Blob config = Blob.random(100);
    client.pushBlob(repo, config);
    String json =
        "{\"mediaType\":\""
            + MediaType.OCI_MANIFEST
            + "\",\"config\":{\"mediaType\":\""
            + MediaType.OCI_CONFIG
            + "\",\"digest\":\""
            + config.digest()
            + "\",\"size\":100},"
            + "\"layers\":[]}";
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    assertError(
        client.putManifest(repo, "t", MediaType.OCI_MANIFEST, body), 400, "MANIFEST_INVALID");
    assertNoManifest(repo, "t");
  }

  @Test
  void contentTypeThatContradictsTheBodyIsRefusedAndTheTagStays() {
    String repo = Checks.uniqueRepo("refused");
    Images kept = Images.pushed(client, repo, "stable");
    Images other = Images.generate(1, 100);
    other.pushBlobs(client, repo);
    Reply put =
        client.putManifest(repo, "stable", MediaType.DOCKER_MANIFEST, other.manifest().bytes());
    assertError(put, 400, "MANIFEST_INVALID");
    assertServed(repo, "stable", kept.manifest());
    assertNoManifest(repo, other.manifest().digest());
  }

  @Test
  void digestAddressedPutWhoseBodyDoesNotMatchIsRefused() {
    String repo = Checks.uniqueRepo("refused");
    Images image = Images.generate(1, 100);
    image.pushBlobs(client, repo);
    String claimed = Blob.unknownDigest();
    Reply put = client.putManifest(repo, claimed, MediaType.OCI_MANIFEST, image.manifest().bytes());
    assertError(put, 400, "DIGEST_INVALID");
    assertNoManifest(repo, claimed);
    assertNoManifest(repo, image.manifest().digest());
  }

  @Test
  void invalidManifestToAMalformedDigestAnswersASpecErrorCode() {
    // The distribution-spec conformance suite's own check.
    String repo = Checks.uniqueRepo("refused");
    Reply put =
        client.putManifest(
            repo,
            "sha256:totallywrong",
            MediaType.OCI_MANIFEST,
            "{\"invalid\": true}".getBytes(StandardCharsets.UTF_8));
    assertError(put, 400, "DIGEST_INVALID");
    assertThat(Checks.SPEC_ERROR_CODES).contains(put.errorCodes().get(0));
    assertError(client.listTags(repo), 404, "NAME_UNKNOWN"); // nothing came into being
  }

  @Test
  void indexNamingAnUnknownManifestIsRefused() {
    // The spec lets a registry accept an index whose children are absent; Lading refuses it so
    // an index never points at nothing (and GC never has to keep a dangling child).
    String repo = Checks.uniqueRepo("index");
    Manifest absent = Images.generate(1, 10).manifest();
    Manifest index =
        Manifest.ociIndex().add(absent.descriptor().withPlatform("linux", "amd64")).build();
    Reply put = client.putManifest(repo, "idx", index.mediaType(), index.bytes());
    assertError(put, 400, "MANIFEST_BLOB_UNKNOWN");
    assertNoManifest(repo, "idx");
    assertNoManifest(repo, index.digest());
  }
}
