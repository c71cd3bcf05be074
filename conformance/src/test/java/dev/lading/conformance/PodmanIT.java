package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code podman push} and {@code podman pull} against the registry, with podman's storage isolated
 * in a temporary directory (vfs driver, its own registries.conf) so nothing on the machine is
 * touched and no network beyond loopback is used.
 */
class PodmanIT {
  @RegisterExtension static final RegistryProcess registry = RegistryProcess.create();

  @TempDir Path work;
  Path podmanHome;
  Path logs;
  Map<String, String> environment;

  @BeforeEach
  void isolatePodman() throws IOException {
    Command.assumeInstalled("podman");
    byte[] id = new byte[4];
    ThreadLocalRandom.current().nextBytes(id);
    // Podman refuses a runroot longer than 50 characters, so its state lives in a short
    // temporary directory; the logs stay under target/ for debugging.
    podmanHome = Files.createTempDirectory("lpd-");
    logs = Path.of("target", "client-logs", "podman", HexFormat.of().formatHex(id));
    Path registries = podmanHome.resolve("registries.conf");
    Files.writeString(
        registries,
        "unqualified-search-registries = []\n\n[[registry]]\nlocation = \""
            + registry.hostAndPort()
            + "\"\ninsecure = true\n");
    Files.writeString(podmanHome.resolve("auth.json"), "{\"auths\":{}}");
    Path policy = podmanHome.resolve("policy.json");
    Files.writeString(policy, "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}");
    environment =
        Map.of(
            "CONTAINERS_REGISTRIES_CONF", registries.toString(),
            "CONTAINERS_POLICY_JSON", policy.toString(),
            "REGISTRY_AUTH_FILE", podmanHome.resolve("auth.json").toString());
  }

  @AfterEach
  void removePodmanStorage() throws Exception {
    if (podmanHome != null && Files.exists(podmanHome.resolve("root"))) {
      Command.run(podman("system", "reset", "--force"), environment, logs.resolve("reset.log"));
    }
    if (podmanHome != null) {
      RegistryProcess.deleteRecursively(podmanHome);
    }
  }

  private List<String> podman(String... args) {
    return PodmanCommand.of(podmanHome, List.of("--storage-driver", "vfs"), args);
  }

  private String run(String step, String... args) throws IOException, InterruptedException {
    return Command.succeed(podman(args), environment, logs.resolve(step + ".log"));
  }

  @Test
  void pushedImageIsPulledBackWithTheSameLayers() throws Exception {
    OciLayout layout = new OciLayout(work.resolve("layout"));
    OciLayout.Image image = layout.writeImage("amd64", 3);
    layout.tag("v1", image.manifest());
    String repo = Checks.uniqueRepo("podman");
    String remote = registry.hostAndPort() + "/" + repo + ":v1";

    run("load", "pull", layout.reference("v1"));
    run("tag", "tag", imageId(image), remote);
    run("push", "push", "--tls-verify=false", remote);

    RegistryClient client = registry.client();
    Reply manifest = client.getManifest(repo, "v1", RegistryClient.acceptAll());
    assertThat(manifest.status()).as("%s", manifest).isEqualTo(200);
    assertThat(Blob.sha256(manifest.body()))
        .isEqualTo(manifest.headerOrNull("Docker-Content-Digest"));
    JsonNode pushed = manifest.json();
    String configDigest = pushed.path("config").path("digest").asText();
    assertThat(client.getBlob(repo, configDigest).status()).isEqualTo(200);
    for (JsonNode layer : pushed.path("layers")) {
      Reply blob = client.getBlob(repo, layer.path("digest").asText());
      assertThat(blob.status()).isEqualTo(200);
      assertThat(Blob.sha256(blob.body())).isEqualTo(layer.path("digest").asText());
    }

    run("forget", "rmi", "--all", "--force");
    run("pull", "pull", "--tls-verify=false", remote);
    String layers =
        run("inspect", "image", "inspect", "--format", "{{json .RootFS.Layers}}", remote);
    List<String> diffIds = new ArrayList<>();
    Reply.JSON.readTree(layers).forEach(d -> diffIds.add(d.asText()));
    assertThat(diffIds)
        .containsExactlyElementsOf(image.layers().stream().map(TarLayer::diffId).toList());
    String id = run("id", "image", "inspect", "--format", "{{.Id}}", remote).strip();
    assertThat("sha256:" + id).isEqualTo(configDigest);
  }

  private static String imageId(OciLayout.Image image) {
    return image.config().digest().substring("sha256:".length());
  }
}
