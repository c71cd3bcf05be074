package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client multi-range GETs are for: podman pulling {@code zstd:chunked} layers partially, with
 * containers/storage fetching only the files it does not have, several byte ranges per request, and
 * reading the {@code 206 multipart/byteranges} answer.
 *
 * <p>What runs, with no network beyond loopback:
 *
 * <ol>
 *   <li>Two images are written by the test as an OCI layout, one layer each: a directory, then
 *       three files both share (random, 256 KiB each) between files of their own (200 KB each, and
 *       a small text file), in the order {@code 1-common, 2-own, 3-common, 4-own, 5-common,
 *       hello.txt}.
 *   <li>{@code skopeo copy --dest-compress-format zstd:chunked} pushes both to Lading; the test
 *       checks the pushed layers are {@code tar+zstd} with the zstd:chunked TOC annotation ({@code
 *       io.containers.zstd-chunked.manifest-checksum} in containers/image 5.23, {@code
 *       io.github.containers...} later), which is what makes podman try a partial pull.
 *   <li>podman pulls the first image, then the second, into storage of its own under a temporary
 *       directory: the {@code overlay} driver (containers/storage applies a partial layer only
 *       through a driver's {@code ApplyDiffWithDiffer}, which in podman 4.3 only overlay has) and
 *       {@code pull_options = {enable_partial_images = "true", ...}} in the {@code storage.conf}
 *       named by {@code CONTAINERS_STORAGE_CONF}: {@code chunkedDiffer.ApplyDiff} reads that file
 *       itself ({@code types.DefaultStoreOptionsAutoDetectUID}), whatever flags podman got.
 *   <li>Both images are mounted ({@code podman image mount}) and every file is compared byte for
 *       byte with what the test wrote.
 *   <li>Lading's JSON access log ({@code log.format: json}, field {@code ranges}) must show that
 *       neither layer was downloaded whole (a {@code 200}: containers/image falls back to a full
 *       download, silently but for a debug line, when a partial pull fails), and that the second
 *       layer came as a {@code 206} of several ranges that carried its own files and less than the
 *       whole blob: the shared files were found in the first layer and never crossed the wire.
 * </ol>
 *
 * <p>What the client sends, from containers/storage ({@code pkg/chunked/storage_linux.go}) and
 * containers/image ({@code docker/docker_image_src.go}): first the TOC, from the position in the
 * layer's annotations ({@code bytes=1801625-1803728}; newer versions add the tar-split as a second
 * range); then, in {@code retrieveMissingFiles}, one {@code GetBlobAt} with one range per missing
 * part ({@code mergeMissingChunks}: chunks of one file are joined, at most 1024 parts, halved when
 * the registry answers {@code 400}), sorted by offset and never overlapping. {@code GetBlobAt}
 * sends them in one {@code Range} header, {@code bytes=a-b,c-d,...}, takes a multipart answer's
 * parts in order with Go's {@code mime/multipart} and hands part <i>i</i> to range <i>i</i> without
 * reading its {@code Content-Range}; containers/image 5.23 fails with "invalid number of chunks
 * returned by the server" when the count differs. podman 4.3 (storage 1.43), pulling into empty
 * storage, asks for every file with ranges that touch ({@code bytes=161-300384,300385-600648,...}:
 * a file's range ends where the next file's begins); Lading once merged touching ranges into one
 * part, and podman then dropped the partial pull and downloaded the layer whole, which this test
 * catches. The second pull asks for the own files only, ranges apart from each other ({@code
 * bytes=300386-500613,800875-1001087,...}). {@code MultiRangeIT} replays both shapes without a
 * client.
 *
 * <p>Skips, saying why, without podman or skopeo, when not root (the overlay driver and {@code
 * podman image mount} need root here; rootless they need {@code podman unshare}), or when podman
 * cannot open overlay storage in the temporary directory (an overlay upper directory on overlayfs,
 * as in some containers). It takes about ten seconds per store.
 */
class ZstdChunkedPartialPullIT {
  /** The zstd:chunked TOC annotation's name, after its prefix (which changed between versions). */
  private static final String TOC_CHECKSUM = "zstd-chunked.manifest-checksum";

  @RegisterExtension
  static final RegistryProcess registry =
      RegistryProcess.create().withEnvironment("LADING_LOG_FORMAT", "json");

  @TempDir Path work;
  Path podmanHome;
  Path logs;
  Map<String, String> environment;

  @BeforeEach
  void isolatePodman() throws Exception {
    Command.assumeInstalled("podman");
    Command.assumeInstalled("skopeo");
    long uid = uid();
    Assumptions.assumeTrue(
        uid == 0,
        "partial pulls need podman's overlay driver and `podman image mount`, which need root"
            + " here (rootless, `podman unshare`); running as uid "
            + uid);
    byte[] id = new byte[4];
    ThreadLocalRandom.current().nextBytes(id);
    // Podman refuses a runroot longer than 50 characters: a short temporary directory.
    podmanHome = Files.createTempDirectory("lpz-");
    logs = Path.of("target", "client-logs", "zstd-chunked", HexFormat.of().formatHex(id));
    Path storage = podmanHome.resolve("storage.conf");
    Files.writeString(
        storage,
        "[storage]\ndriver = \"overlay\"\ngraphroot = \""
            + podmanHome.resolve("root")
            + "\"\nrunroot = \""
            + podmanHome.resolve("runroot")
            + "\"\n\n[storage.options]\n"
            + "pull_options = {enable_partial_images = \"true\", use_hard_links = \"false\","
            + " ostree_repos = \"\"}\n");
    Path registries = podmanHome.resolve("registries.conf");
    Files.writeString(
        registries,
        "unqualified-search-registries = []\n\n[[registry]]\nlocation = \""
            + registry.hostAndPort()
            + "\"\ninsecure = true\n");
    Path containers = podmanHome.resolve("containers.conf");
    Files.writeString(containers, "");
    Path policy = podmanHome.resolve("policy.json");
    Files.writeString(policy, "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}");
    Files.writeString(podmanHome.resolve("auth.json"), "{\"auths\":{}}");
    environment =
        Map.of(
            "CONTAINERS_STORAGE_CONF", storage.toString(),
            "CONTAINERS_REGISTRIES_CONF", registries.toString(),
            "CONTAINERS_CONF", containers.toString(),
            "CONTAINERS_POLICY_JSON", policy.toString(),
            "REGISTRY_AUTH_FILE", podmanHome.resolve("auth.json").toString());
    Command.Result info =
        Command.run(
            podman("info", "--format", "{{.Store.GraphDriverName}}"),
            environment,
            logs.resolve("info.log"));
    Assumptions.assumeTrue(
        info.exitCode() == 0 && info.stdout().strip().equals("overlay"),
        () ->
            "podman cannot use overlay storage under "
                + podmanHome
                + ", and partial pulls need it: "
                + lastLine(info.stderr()));
  }

  @AfterEach
  void removePodmanStorage() throws Exception {
    if (podmanHome == null) {
      return;
    }
    if (Files.exists(podmanHome.resolve("root"))) {
      Command.run(podman("system", "reset", "--force"), environment, logs.resolve("reset.log"));
    }
    // Never delete through a mount that is still there: that would be deleting the layers.
    if (mountsUnder(podmanHome).isEmpty()) {
      RegistryProcess.deleteRecursively(podmanHome);
    } else {
      System.err.println("left " + podmanHome + " in place: " + mountsUnder(podmanHome));
    }
  }

  @Test
  void podmanPullsZstdChunkedLayersPartiallyWithMultiRangeGets() throws Exception {
    byte[] common1 = random(256 * 1024);
    byte[] common3 = random(256 * 1024);
    byte[] common5 = random(256 * 1024);
    SequencedMap<String, byte[]> first = files(common1, common3, common5, "first");
    SequencedMap<String, byte[]> second = files(common1, common3, common5, "second");
    OciLayout layout = new OciLayout(work.resolve("layout"));
    OciLayout.Image one = layout.writeImage("amd64", List.of(TarLayer.of(first)));
    layout.tag("one", one.manifest());
    OciLayout.Image two = layout.writeImage("amd64", List.of(TarLayer.of(second)));
    layout.tag("two", two.manifest());
    String repo = Checks.uniqueRepo("zstd-chunked");
    String refOne = registry.hostAndPort() + "/" + repo + ":one";
    String refTwo = registry.hostAndPort() + "/" + repo + ":two";

    JsonNode layerOne = pushZstdChunked(layout, "one", repo);
    JsonNode layerTwo = pushZstdChunked(layout, "two", repo);

    Command.Result pullOne = pull("pull-one", refOne);
    Command.Result pullTwo = pull("pull-two", refTwo);

    assertFilesIntact("one", refOne, first);
    assertFilesIntact("two", refTwo, second);
    assertThat(imageId("one", refOne)).isEqualTo(one.config().digest());
    assertThat(imageId("two", refTwo)).isEqualTo(two.config().digest());

    String digestOne = layerOne.path("digest").asText();
    List<JsonNode> getsOne = blobGets(repo, digestOne);
    assertThat(getsOne)
        .as(
            "GETs of the first layer %s: a 200 is a whole download, podman gave up the partial"
                + " pull; it said: %s",
            summary(getsOne), partialPullLines(pullOne))
        .isNotEmpty()
        .noneMatch(line -> line.path("status").asInt() == 200)
        .anyMatch(line -> line.path("status").asInt() == 206);

    String digestTwo = layerTwo.path("digest").asText();
    long sizeTwo = layerTwo.path("size").asLong();
    long ownBytes =
        second.entrySet().stream()
            .filter(e -> !e.getKey().contains("common") && !e.getKey().endsWith("/"))
            .mapToLong(e -> e.getValue().length)
            .sum();
    List<JsonNode> getsTwo = blobGets(repo, digestTwo);
    assertThat(getsTwo)
        .as(
            "GETs of the second layer %s (%d bytes, %d of them its own files); podman said: %s",
            summary(getsTwo), sizeTwo, ownBytes, partialPullLines(pullTwo))
        .isNotEmpty()
        .noneMatch(line -> line.path("status").asInt() == 200)
        .anyMatch(
            line ->
                line.path("status").asInt() == 206
                    && line.path("ranges").asInt() > 1
                    && line.path("bytes_sent").asLong() >= ownBytes);
    assertThat(getsTwo.stream().mapToLong(line -> line.path("bytes_sent").asLong()).sum())
        .as("only what the first layer did not have crossed the wire: %s", summary(getsTwo))
        .isLessThan(sizeTwo);
  }

  /** {@code data/}, then {@code 1-common, 2-own, 3-common, 4-own, 5-common, hello.txt} in it. */
  private static SequencedMap<String, byte[]> files(
      byte[] common1, byte[] common3, byte[] common5, String name) {
    SequencedMap<String, byte[]> files = new LinkedHashMap<>();
    // The directory first, as in any real layer: containers/storage 1.43 copies the files it
    // finds in other layers on 32 goroutines at once, and when the parent directory is missing
    // they race to create it and the losers fail the partial pull (openOrCreateDirUnderRoot
    // takes mkdirat's EEXIST for an error). Directories in the TOC are made before any copy.
    files.put("data/", new byte[0]);
    files.put("data/1-common.bin", common1);
    files.put("data/2-own.bin", random(200_000));
    files.put("data/3-common.bin", common3);
    files.put("data/4-own.bin", random(200_000));
    files.put("data/5-common.bin", common5);
    files.put("data/hello.txt", ("hello from " + name + "\n").getBytes(StandardCharsets.UTF_8));
    return files;
  }

  private static byte[] random(int size) {
    byte[] bytes = new byte[size];
    ThreadLocalRandom.current().nextBytes(bytes);
    return bytes;
  }

  /**
   * Copies {@code tag} of the layout to the registry as zstd:chunked; answers the pushed layer's
   * descriptor, checked to be what makes podman try a partial pull.
   */
  private JsonNode pushZstdChunked(OciLayout layout, String tag, String repo) throws Exception {
    Command.succeed(
        List.of(
            "skopeo",
            "--insecure-policy",
            "copy",
            "--dest-tls-verify=false",
            "--dest-compress-format",
            "zstd:chunked",
            layout.reference(tag),
            "docker://" + registry.hostAndPort() + "/" + repo + ":" + tag),
        environment,
        logs.resolve("push-" + tag + ".log"));
    Reply manifest = registry.client().getManifest(repo, tag, RegistryClient.acceptAll());
    assertThat(manifest.status()).as("%s", manifest).isEqualTo(200);
    JsonNode layers = manifest.json().path("layers");
    assertThat(layers).hasSize(1);
    JsonNode layer = layers.get(0);
    assertThat(layer.path("mediaType").asText())
        .isEqualTo("application/vnd.oci.image.layer.v1.tar+zstd");
    List<String> annotations = new ArrayList<>();
    layer.path("annotations").fieldNames().forEachRemaining(annotations::add);
    assertThat(annotations)
        .as("the zstd:chunked TOC annotations of %s", layer)
        .anyMatch(name -> name.endsWith(TOC_CHECKSUM));
    return layer;
  }

  private Command.Result pull(String step, String reference) throws Exception {
    Command.Result result =
        Command.run(
            podman("--log-level=debug", "pull", "--tls-verify=false", reference),
            environment,
            logs.resolve(step + ".log"));
    assertThat(result.exitCode()).as("%s", result).isZero();
    return result;
  }

  /** The image's id as podman has it, which is its config's digest. */
  private String imageId(String step, String reference) throws Exception {
    return "sha256:"
        + run("id-" + step, "image", "inspect", "--format", "{{.Id}}", reference).strip();
  }

  /** Mounts the image and compares every file with what the test wrote, and no file more. */
  private void assertFilesIntact(String step, String reference, SequencedMap<String, byte[]> files)
      throws Exception {
    Path root = Path.of(run("mount-" + step, "image", "mount", reference).strip());
    try {
      for (var file : files.entrySet()) {
        if (file.getKey().endsWith("/")) {
          assertThat(root.resolve(file.getKey())).isDirectory();
          continue;
        }
        assertThat(Files.readAllBytes(root.resolve(file.getKey())))
            .as("%s in %s", file.getKey(), reference)
            .isEqualTo(file.getValue());
      }
      Set<String> found;
      try (Stream<Path> walk = Files.walk(root.resolve("data"))) {
        found =
            walk.filter(Files::isRegularFile)
                .map(p -> root.relativize(p).toString())
                .collect(Collectors.toSet());
      }
      assertThat(found)
          .containsExactlyInAnyOrderElementsOf(
              files.keySet().stream().filter(name -> !name.endsWith("/")).toList());
    } finally {
      run("unmount-" + step, "image", "unmount", reference);
    }
  }

  /**
   * The JSON access lines of the GETs of one blob, once one of them answered {@code 206} (the
   * logging thread writes them a moment after the response), or after ten seconds those there are.
   */
  private static List<JsonNode> blobGets(String repo, String digest) throws Exception {
    String path = "/v2/" + repo + "/blobs/" + digest;
    Instant deadline = Instant.now().plusSeconds(10);
    while (true) {
      List<JsonNode> gets = new ArrayList<>();
      for (String line : Files.readAllLines(registry.logFile(), StandardCharsets.UTF_8)) {
        if (!line.startsWith("{")) {
          continue;
        }
        JsonNode json = Reply.JSON.readTree(line);
        if (json.path("logger").asText().equals("dev.lading.access")
            && json.path("method").asText().equals("GET")
            && json.path("path").asText().equals(path)) {
          gets.add(json);
        }
      }
      boolean partial = gets.stream().anyMatch(g -> g.path("status").asInt() == 206);
      if (partial || Instant.now().isAfter(deadline)) {
        return gets;
      }
      Thread.sleep(100);
    }
  }

  /** Each GET as {@code status/ranges/bytes}, for the messages. */
  private static List<String> summary(List<JsonNode> gets) {
    return gets.stream()
        .map(
            g ->
                g.path("status").asText()
                    + " ranges="
                    + g.path("ranges").asText("-")
                    + " bytes="
                    + g.path("bytes_sent").asText())
        .toList();
  }

  /** What podman's debug output says about partial pulls (why it gave one up, if it did). */
  private static List<String> partialPullLines(Command.Result pull) {
    return pull.stderr()
        .lines()
        .filter(l -> l.contains("partial") || l.contains("Missing"))
        .map(String::strip)
        .toList();
  }

  private List<String> podman(String... args) {
    return PodmanCommand.of(podmanHome, List.of(), args);
  }

  private String run(String step, String... args) throws IOException, InterruptedException {
    return Command.succeed(podman(args), environment, logs.resolve(step + ".log"));
  }

  /** The effective user id: the owner of {@code /proc/self}; -1 where there is none. */
  private static long uid() {
    try {
      return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
    } catch (IOException | UnsupportedOperationException e) {
      return -1;
    }
  }

  /** The mount points under {@code dir}, from {@code /proc/self/mounts}. */
  private static List<String> mountsUnder(Path dir) throws IOException {
    Path mounts = Path.of("/proc/self/mounts");
    if (!Files.exists(mounts)) {
      return List.of();
    }
    return Files.readAllLines(mounts).stream()
        .map(l -> l.split(" ")[1])
        .filter(m -> m.startsWith(dir.toString()))
        .toList();
  }

  private static String lastLine(String text) {
    List<String> lines = text.strip().lines().toList();
    return lines.isEmpty() ? "(no output)" : lines.get(lines.size() - 1);
  }
}
