package dev.lading.server.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lading.server.LadingServer;
import dev.lading.server.config.ConfigLoader;
import dev.lading.server.config.StorageType;
import dev.lading.storage.s3.EmbeddedS3Proxy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The manifests under {@code docker/kubernetes/}, one directory per setup: each workload's
 * environment and mounted config file form a configuration the server accepts, its probes ask paths
 * a real server started from that configuration answers with 200, its pods run locked down as the
 * image's user, its grace period outlasts the drain, and its Service and budget select its pods.
 */
class KubernetesManifestsTest {
  /** What a {@code secretKeyRef} stands for here: the value lives in the cluster, not in Git. */
  private static final String FROM_SECRET = "value-from-a-secret";

  @TempDir Path dir;

  static Stream<String> setups() {
    return Stream.of("filesystem", "s3");
  }

  /** One setup's objects, by kind, read from the files its kustomization lists. */
  private record Setup(String name, Map<String, List<JsonNode>> byKind) {
    JsonNode one(String kind) {
      List<JsonNode> all = byKind.getOrDefault(kind, List.of());
      assertThat(all).as(name + ": one " + kind).hasSize(1);
      return all.get(0);
    }

    Optional<JsonNode> named(String kind, String objectName) {
      return byKind.getOrDefault(kind, List.of()).stream()
          .filter(o -> o.path("metadata").path("name").asText().equals(objectName))
          .findFirst();
    }

    JsonNode workload() {
      List<JsonNode> w = new ArrayList<>(byKind.getOrDefault("Deployment", List.of()));
      w.addAll(byKind.getOrDefault("StatefulSet", List.of()));
      assertThat(w).as(name + ": one workload").hasSize(1);
      return w.get(0);
    }

    JsonNode pod() {
      return workload().path("spec").path("template").path("spec");
    }

    JsonNode container() {
      JsonNode containers = pod().path("containers");
      assertThat(containers.size()).as(name + ": one container").isEqualTo(1);
      return containers.get(0);
    }
  }

  private static Setup setup(String name) {
    Path base = DeploymentFiles.docker().resolve("kubernetes").resolve(name);
    Map<String, List<JsonNode>> byKind = new HashMap<>();
    for (JsonNode resource :
        DeploymentFiles.yaml(base.resolve("kustomization.yaml")).path("resources")) {
      for (JsonNode object : DeploymentFiles.yamlDocuments(base.resolve(resource.asText()))) {
        byKind.computeIfAbsent(object.path("kind").asText(), k -> new ArrayList<>()).add(object);
      }
    }
    return new Setup(name, byKind);
  }

  @ParameterizedTest
  @MethodSource("setups")
  void theKustomizationListsEveryManifestInItsDirectory(String name) {
    Path base = DeploymentFiles.docker().resolve("kubernetes").resolve(name);
    Set<String> files = new TreeSet<>();
    for (Path p : DeploymentFiles.yamlFilesIn(base)) {
      files.add(p.getFileName().toString());
    }
    files.remove("kustomization.yaml");
    Set<String> listed = new TreeSet<>();
    DeploymentFiles.yaml(base.resolve("kustomization.yaml"))
        .path("resources")
        .forEach(r -> listed.add(r.asText()));
    assertThat(listed).isEqualTo(files);
  }

  @ParameterizedTest
  @MethodSource("setups")
  void theWorkloadsEnvironmentAndConfigFileAreAValidConfiguration(String name) throws Exception {
    Setup s = setup(name);
    ConfigLoader.Loaded loaded = effectiveConfig(s, Map.of());
    assertThat(loaded.config().storage().type())
        .isEqualTo(name.equals("s3") ? StorageType.S3 : StorageType.FILESYSTEM);
  }

  @ParameterizedTest
  @MethodSource("setups")
  void theProbesAskPathsARealServerFromThatConfigurationAnswers(String name) throws Exception {
    Setup s = setup(name);
    JsonNode container = s.container();
    Map<String, String> overrides = new HashMap<>();
    overrides.put("LADING_HTTP_HOST", "127.0.0.1");
    overrides.put("LADING_HTTP_PORT", "0");
    overrides.put("LADING_STORAGE_FILESYSTEM_ROOT", dir.toString());
    if (name.equals("s3")) {
      // The cluster's bucket, played by an S3Proxy on loopback; every other key as the manifests
      // give it.
      EmbeddedS3Proxy s3 = EmbeddedS3Proxy.shared();
      overrides.put("LADING_STORAGE_S3_ENDPOINT", s3.endpoint().toString());
      overrides.put("LADING_STORAGE_S3_BUCKET", EmbeddedS3Proxy.BUCKET);
      overrides.put("LADING_STORAGE_S3_PREFIX", EmbeddedS3Proxy.freshPrefix("k8s-probes"));
      overrides.put("LADING_STORAGE_S3_ACCESS_KEY", EmbeddedS3Proxy.ACCESS_KEY);
      overrides.put("LADING_STORAGE_S3_SECRET_KEY", EmbeddedS3Proxy.SECRET_KEY);
    }
    int configuredPort = effectiveConfig(s, Map.of()).config().http().port();
    HttpClient http = HttpClient.newHttpClient();
    try (LadingServer server = LadingServer.start(effectiveConfig(s, overrides).config())) {
      for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
        JsonNode get = container.path(probe).path("httpGet");
        assertThat(get.isObject()).as(name + ": " + probe + " is an HTTP GET").isTrue();
        assertThat(containerPort(container, get.path("port")))
            .as(probe + "'s port")
            .isEqualTo(configuredPort);
        HttpResponse<String> answer =
            http.send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + get.path("path").asText()))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode())
            .as(name + ": " + probe + " GET " + get.path("path").asText())
            .isEqualTo(200);
      }
    }
    assertThat(container.path("livenessProbe").path("httpGet").path("path").asText())
        .isEqualTo("/healthz");
    assertThat(container.path("readinessProbe").path("httpGet").path("path").asText())
        .isEqualTo("/readyz");
  }

  @ParameterizedTest
  @MethodSource("setups")
  void podsRunAsTheImagesUserLockedDown(String name) {
    Setup s = setup(name);
    JsonNode pod = s.pod().path("securityContext");
    assertThat(pod.path("runAsNonRoot").asBoolean()).isTrue();
    assertThat(pod.path("runAsUser").asInt()).isEqualTo(DeploymentFiles.imageUid());
    JsonNode container = s.container();
    JsonNode sc = container.path("securityContext");
    assertThat(
            sc.path("allowPrivilegeEscalation").isBoolean()
                && !sc.path("allowPrivilegeEscalation").asBoolean())
        .as("allowPrivilegeEscalation: false")
        .isTrue();
    assertThat(sc.path("readOnlyRootFilesystem").asBoolean()).isTrue();
    assertThat(sc.path("capabilities").path("drop").toString()).contains("\"ALL\"");
    for (String kind : List.of("requests", "limits")) {
      for (String resource : List.of("cpu", "memory")) {
        assertThat(container.path("resources").path(kind).has(resource))
            .as(kind + "." + resource)
            .isTrue();
      }
    }
    // With a read-only root, everything the process writes must be a volume: /tmp (Netty's
    // native library) and, on the filesystem store, the store's root.
    Set<String> mounts = new TreeSet<>();
    container.path("volumeMounts").forEach(m -> mounts.add(m.path("mountPath").asText()));
    assertThat(mounts).contains("/tmp");
    if (name.equals("filesystem")) {
      String root = effectiveConfig(s, Map.of()).config().storage().filesystem().root().toString();
      assertThat(mounts).contains(root);
      String claim = s.pod().path("volumes").findValue("claimName").asText();
      assertThat(s.named("PersistentVolumeClaim", claim))
          .as("the claim " + claim + " is defined")
          .isPresent();
    }
  }

  @ParameterizedTest
  @MethodSource("setups")
  void theGracePeriodOutlastsTheDrainAndTheShutdown(String name) {
    Setup s = setup(name);
    ConfigLoader.Loaded loaded = effectiveConfig(s, Map.of());
    long shutdown = loaded.config().http().shutdownTimeout().toSeconds();
    // http.drain_delay_seconds counts where this build has it.
    long drain =
        DeploymentFiles.setting(loaded, "http.drain_delay_seconds").map(Long::parseLong).orElse(0L);
    assertThat(s.pod().path("terminationGracePeriodSeconds").asLong())
        .isGreaterThan(drain + shutdown);
    assertThat(s.container().has("lifecycle")).as("the drain needs no preStop hook").isFalse();
  }

  @ParameterizedTest
  @MethodSource("setups")
  void theServiceNamedLadingAndTheBudgetSelectThePods(String name) {
    Setup s = setup(name);
    JsonNode service = s.one("Service");
    assertThat(service.path("metadata").path("name").asText()).isEqualTo("lading");
    Map<String, String> podLabels =
        map(s.workload().path("spec").path("template").path("metadata").path("labels"));
    assertThat(podLabels).containsAllEntriesOf(map(service.path("spec").path("selector")));
    assertThat(podLabels)
        .containsAllEntriesOf(map(s.workload().path("spec").path("selector").path("matchLabels")));
    for (JsonNode port : service.path("spec").path("ports")) {
      containerPort(s.container(), port.path("targetPort"));
    }
    int replicas = s.workload().path("spec").path("replicas").asInt();
    if (name.equals("filesystem")) {
      assertThat(replicas).as("one process owns a filesystem store").isEqualTo(1);
      if (s.workload().path("kind").asText().equals("Deployment")) {
        assertThat(s.workload().path("spec").path("strategy").path("type").asText())
            .isEqualTo("Recreate");
      }
    } else {
      assertThat(replicas).isGreaterThan(1);
      JsonNode pdb = s.one("PodDisruptionBudget");
      assertThat(podLabels)
          .containsAllEntriesOf(map(pdb.path("spec").path("selector").path("matchLabels")));
    }
  }

  /**
   * The configuration a pod of this setup starts with: the image's ENV, the container's env (secret
   * references stand for a value), the config file its args name from the ConfigMap mounted there,
   * then {@code overrides}.
   */
  private ConfigLoader.Loaded effectiveConfig(Setup s, Map<String, String> overrides) {
    JsonNode container = s.container();
    Map<String, String> env = new LinkedHashMap<>(DeploymentFiles.imageEnv());
    for (JsonNode e : container.path("env")) {
      env.put(e.path("name").asText(), e.has("value") ? e.path("value").asText() : FROM_SECRET);
    }
    env.putAll(overrides);
    Path file = null;
    List<String> args = new ArrayList<>();
    container.path("args").forEach(a -> args.add(a.asText()));
    int at = args.indexOf("--config");
    if (at >= 0) {
      file = mountedConfigMapFile(s, Path.of(args.get(at + 1)));
    }
    return DeploymentFiles.load(s.name() + "'s workload", file, env);
  }

  /** Writes the ConfigMap entry mounted at {@code path} to a file, as the kubelet would. */
  private Path mountedConfigMapFile(Setup s, Path path) {
    for (JsonNode mount : s.container().path("volumeMounts")) {
      Path mountPath = Path.of(mount.path("mountPath").asText());
      if (!path.startsWith(mountPath)) {
        continue;
      }
      for (JsonNode volume : s.pod().path("volumes")) {
        if (volume.path("name").asText().equals(mount.path("name").asText())
            && volume.has("configMap")) {
          String mapName = volume.path("configMap").path("name").asText();
          JsonNode configMap =
              s.named("ConfigMap", mapName)
                  .orElseThrow(
                      () ->
                          new AssertionError(
                              "ConfigMap " + mapName + " is not among the manifests"));
          JsonNode data = configMap.path("data").path(mountPath.relativize(path).toString());
          assertThat(data.isTextual())
              .as("ConfigMap " + mapName + " holds " + path.getFileName())
              .isTrue();
          try {
            return Files.writeString(
                Files.createTempFile(dir, "configmap", ".yaml"), data.asText());
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      }
    }
    throw new AssertionError(s.name() + ": --config " + path + " is on no mounted ConfigMap");
  }

  /** The number of the container port a probe or Service names (by name or number). */
  private static int containerPort(JsonNode container, JsonNode port) {
    for (JsonNode p : container.path("ports")) {
      if (port.isInt()
          ? p.path("containerPort").asInt() == port.asInt()
          : p.path("name").asText().equals(port.asText())) {
        return p.path("containerPort").asInt();
      }
    }
    throw new AssertionError("port " + port + " is no port of the container");
  }

  private static Map<String, String> map(JsonNode object) {
    Map<String, String> out = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      out.put(e.getKey(), e.getValue().asText());
    }
    assertThat(out).as("a non-empty label set").isNotEmpty();
    return out;
  }
}
