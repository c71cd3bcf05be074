package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code skopeo copy} from OCI layouts made in the test into the registry and back out, with
 * digests preserved: the registry stores manifests and layers byte for byte.
 */
class SkopeoIT {
  @RegisterExtension static final RegistryProcess registry = RegistryProcess.create();

  static RegistryClient client;
  @TempDir Path work;
  Path logs;

  @BeforeAll
  static void connect() {
    client = registry.client();
  }

  @BeforeEach
  void requireSkopeo(TestInfo test) {
    Command.assumeInstalled("skopeo");
    logs = Path.of("target", "client-logs", "skopeo", test.getTestMethod().orElseThrow().getName());
  }

  private String skopeo(String step, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("skopeo", "--insecure-policy"));
    command.addAll(List.of(args));
    return Command.succeed(command, Map.of(), logs.resolve(step + ".log"));
  }

  private String docker(String repo, String tag) {
    return "docker://" + registry.hostAndPort() + "/" + repo + ":" + tag;
  }

  private static String rawDigest(String raw) {
    String body = raw.endsWith("\n") && !raw.endsWith("}") ? raw.stripTrailing() : raw;
    return Blob.sha256(body.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void copiesAMultiLayerImageInAndOutWithItsDigests() throws Exception {
    OciLayout source = new OciLayout(work.resolve("source"));
    OciLayout.Image image = source.writeImage("amd64", 3);
    source.tag("v1", image.manifest());
    String repo = Checks.uniqueRepo("skopeo");

    skopeo(
        "push",
        "copy",
        "--dest-tls-verify=false",
        "--preserve-digests",
        source.reference("v1"),
        docker(repo, "v1"));

    Reply served = client.getManifest(repo, "v1", RegistryClient.acceptAll());
    assertThat(served.status()).as("%s", served).isEqualTo(200);
    assertThat(served.body()).isEqualTo(image.manifest().bytes());
    assertThat(served.headerOrNull("Docker-Content-Digest")).isEqualTo(image.manifest().digest());
    for (TarLayer layer : image.layers()) {
      assertThat(client.getBlob(repo, layer.compressed().digest()).body())
          .isEqualTo(layer.compressed().bytes());
    }
    String raw = skopeo("inspect", "inspect", "--raw", "--tls-verify=false", docker(repo, "v1"));
    assertThat(rawDigest(raw)).isEqualTo(image.manifest().digest());

    OciLayout back = new OciLayout(work.resolve("back"));
    skopeo(
        "pull",
        "copy",
        "--src-tls-verify=false",
        "--preserve-digests",
        docker(repo, "v1"),
        back.reference("v1"));
    assertThat(back.manifestBytes("v1")).isEqualTo(image.manifest().bytes());
    for (TarLayer layer : image.layers()) {
      assertThat(back.blob(layer.compressed().digest())).isEqualTo(layer.compressed().bytes());
    }
    assertThat(back.blob(image.config().digest())).isEqualTo(image.config().bytes());
  }

  @Test
  void copiesAMultiPlatformIndexWithEveryPlatform() throws Exception {
    OciLayout source = new OciLayout(work.resolve("source"));
    OciLayout.Image amd = source.writeImage("amd64", 2);
    OciLayout.Image arm = source.writeImage("arm64", 2);
    Manifest index = source.writeIndex(List.of(amd, arm), List.of("amd64", "arm64"));
    source.tag("multi", index);
    String repo = Checks.uniqueRepo("skopeo-index");

    skopeo(
        "push",
        "copy",
        "--all",
        "--dest-tls-verify=false",
        "--preserve-digests",
        source.reference("multi"),
        docker(repo, "multi"));

    Reply served = client.getManifest(repo, "multi", RegistryClient.acceptAll());
    assertThat(served.status()).isEqualTo(200);
    assertThat(served.headerOrNull("Content-Type")).isEqualTo(MediaType.OCI_INDEX);
    assertThat(served.body()).isEqualTo(index.bytes());
    for (OciLayout.Image platform : List.of(amd, arm)) {
      Reply child =
          client.getManifest(repo, platform.manifest().digest(), RegistryClient.acceptAll());
      assertThat(child.status()).as("%s", child).isEqualTo(200);
      assertThat(child.body()).isEqualTo(platform.manifest().bytes());
    }

    OciLayout back = new OciLayout(work.resolve("back"));
    skopeo(
        "pull",
        "copy",
        "--all",
        "--src-tls-verify=false",
        "--preserve-digests",
        docker(repo, "multi"),
        back.reference("multi"));
    assertThat(back.manifestBytes("multi")).isEqualTo(index.bytes());
    assertThat(back.blob(arm.manifest().digest())).isEqualTo(arm.manifest().bytes());
    assertThat(back.blob(amd.layers().get(1).compressed().digest()))
        .isEqualTo(amd.layers().get(1).compressed().bytes());
  }

  @Test
  void convertsToDockerV2Schema2AndServesItAsPushed() throws Exception {
    OciLayout source = new OciLayout(work.resolve("source"));
    OciLayout.Image image = source.writeImage("amd64", 2);
    source.tag("v1", image.manifest());
    String repo = Checks.uniqueRepo("skopeo-v2s2");

    skopeo(
        "push",
        "copy",
        "--dest-tls-verify=false",
        "--format",
        "v2s2",
        source.reference("v1"),
        docker(repo, "v1"));

    Reply served = client.getManifest(repo, "v1", RegistryClient.acceptAll());
    assertThat(served.status()).as("%s", served).isEqualTo(200);
    assertThat(served.headerOrNull("Content-Type")).isEqualTo(MediaType.DOCKER_MANIFEST);
    JsonNode manifest = served.json();
    assertThat(manifest.path("mediaType").asText()).isEqualTo(MediaType.DOCKER_MANIFEST);
    assertThat(manifest.path("config").path("mediaType").asText())
        .isEqualTo(MediaType.DOCKER_CONFIG);
    List<String> layerDigests = new ArrayList<>();
    manifest.path("layers").forEach(l -> layerDigests.add(l.path("digest").asText()));
    assertThat(layerDigests)
        .containsExactlyElementsOf(
            image.layers().stream().map(l -> l.compressed().digest()).toList());

    String raw = skopeo("inspect", "inspect", "--raw", "--tls-verify=false", docker(repo, "v1"));
    assertThat(rawDigest(raw)).isEqualTo(served.headerOrNull("Docker-Content-Digest"));
    assertThat(Blob.sha256(served.body())).isEqualTo(served.headerOrNull("Docker-Content-Digest"));

    OciLayout back = new OciLayout(work.resolve("back"));
    skopeo(
        "pull",
        "copy",
        "--src-tls-verify=false",
        "--preserve-digests",
        docker(repo, "v1"),
        "dir:" + work.resolve("dir-back"));
    assertThat(Files.readAllBytes(work.resolve("dir-back").resolve("manifest.json")))
        .isEqualTo(served.body());
    assertThat(back.root()).exists();
  }
}
