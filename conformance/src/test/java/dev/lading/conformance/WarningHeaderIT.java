package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * distribution-spec's {@code Warning} headers ("Warnings"): a registry MAY send them, each MUST be
 * {@code 299 - "<text>"} with no date, all of them within 4096 bytes. Lading sends one where a push
 * succeeds with something image-spec deprecates (non-distributable layer media types), and none on
 * ordinary pushes and pulls.
 */
class WarningHeaderIT {
  @RegisterExtension static final RegistryProcess registry = RegistryProcess.create();

  private static final String NON_DISTRIBUTABLE =
      "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";

  @Test
  void aManifestWithNonDistributableLayersIsStoredWithOneWarningOfTheSpecsForm() {
    RegistryClient client = registry.client();
    String repo = Checks.uniqueRepo("warning");
    Blob config = Blob.utf8("{\"architecture\":\"amd64\",\"os\":\"linux\"}");
    Blob first = Blob.random(2048);
    Blob second = Blob.random(2048);
    client.pushBlob(repo, config);
    client.pushBlob(repo, first);
    client.pushBlob(repo, second);
    Manifest m =
        Manifest.oci()
            .config(config.descriptor(MediaType.OCI_CONFIG))
            .add(first.descriptor(NON_DISTRIBUTABLE))
            .add(second.descriptor(NON_DISTRIBUTABLE))
            .build();
    Reply put = client.putManifest(repo, "legacy", m.mediaType(), m.bytes());
    assertThat(put.status()).as("%s", put).isEqualTo(201);
    List<String> warnings = put.headers().allValues("Warning");
    assertThat(warnings).as("one per deprecated media type").hasSize(1);
    String warning = warnings.get(0);
    // warn-code 299, warn-agent "-", a quoted text, and no warn-date after it.
    assertThat(warning).matches("299 - \"([^\"\\\\]|\\\\.)*\"").contains(NON_DISTRIBUTABLE);
    assertThat(warning.getBytes(StandardCharsets.US_ASCII).length).isLessThanOrEqualTo(4096);
    // Stored as pushed; the pull itself carries no warning.
    Reply get = client.getManifest(repo, "legacy", RegistryClient.acceptAll());
    assertThat(get.status()).isEqualTo(200);
    assertThat(get.body()).isEqualTo(m.bytes());
    assertThat(get.header("Warning")).isEmpty();
  }

  @Test
  void ordinaryPushesAndPullsCarryNoWarning() {
    RegistryClient client = registry.client();
    String repo = Checks.uniqueRepo("warning");
    Images image = Images.generate(1, 512);
    image.pushBlobs(client, repo);
    Reply put = client.pushManifest(repo, "v1", image.manifest());
    assertThat(put.header("Warning")).isEmpty();
    assertThat(client.getManifest(repo, "v1", RegistryClient.acceptAll()).header("Warning"))
        .isEmpty();
    assertThat(client.get("/v2/").header("Warning")).isEmpty();
  }
}
