package dev.lading.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * skopeo and podman against a registry with token auth on: the {@code ml-builder} robot pushes
 * under {@code ml/} and is refused elsewhere; anonymous pulls where the rules allow. Each test is
 * skipped, with the reason, when its binary is not installed.
 */
class RealClientsAuthTest {
  @TempDir Path root;
  @TempDir Path work;
  AuthFixture registry;
  String host;

  @BeforeEach
  void start() {
    registry = new AuthFixture(root);
    host = "127.0.0.1:" + registry.server.port();
  }

  @AfterEach
  void stop() {
    registry.close();
  }

  @Test
  void skopeoRobotPushesUnderMlOnlyAndAnonymousPullsWhereAllowed() throws Exception {
    assumeInstalled("skopeo");
    Path layout = ociLayout(work.resolve("layout"));
    String robot = "ml-builder:" + AuthFixture.SECRETS.get("ml-builder");
    String admin = "admin:" + AuthFixture.SECRETS.get("admin");

    Result ok =
        run(
            "skopeo",
            "copy",
            "--dest-tls-verify=false",
            "--dest-creds",
            robot,
            "oci:" + layout + ":v1",
            "docker://" + host + "/ml/tool:v1");
    assertThat(ok.exit).as(ok.output).isZero();

    Result refused =
        run(
            "skopeo",
            "copy",
            "--dest-tls-verify=false",
            "--dest-creds",
            robot,
            "oci:" + layout + ":v1",
            "docker://" + host + "/other/app:v1");
    assertThat(refused.exit).as(refused.output).isNotZero();
    assertThat(refused.output).contains("403");

    Result wrong =
        run(
            "skopeo",
            "copy",
            "--dest-tls-verify=false",
            "--dest-creds",
            "ml-builder:wrong",
            "oci:" + layout + ":v1",
            "docker://" + host + "/ml/tool:v2");
    assertThat(wrong.exit).as(wrong.output).isNotZero();

    Result adminPush =
        run(
            "skopeo",
            "copy",
            "--dest-tls-verify=false",
            "--dest-creds",
            admin,
            "oci:" + layout + ":v1",
            "docker://" + host + "/other/app:v1");
    assertThat(adminPush.exit).as(adminPush.output).isZero();

    Result anonymousPull =
        run(
            "skopeo",
            "inspect",
            "--raw",
            "--tls-verify=false",
            "--no-creds",
            "docker://" + host + "/other/app:v1");
    assertThat(anonymousPull.exit).as(anonymousPull.output).isZero();
    assertThat(anonymousPull.output).contains("application/vnd.oci.image.manifest.v1+json");

    Result anonymousRefused =
        run(
            "skopeo",
            "inspect",
            "--raw",
            "--tls-verify=false",
            "--no-creds",
            "docker://" + host + "/ml/tool:v1");
    assertThat(anonymousRefused.exit).as(anonymousRefused.output).isNotZero();

    Result robotPull =
        run(
            "skopeo",
            "copy",
            "--src-tls-verify=false",
            "--src-creds",
            robot,
            "docker://" + host + "/ml/tool:v1",
            "oci:" + work.resolve("pulled") + ":v1");
    assertThat(robotPull.exit).as(robotPull.output).isZero();
  }

  @Test
  void podmanLoginPushAndPull() throws Exception {
    assumeInstalled("podman");
    assumeInstalled("skopeo");
    Path layout = ociLayout(work.resolve("layout"));
    Path authfile = work.resolve("auth.json");
    Result login =
        run(
            "podman",
            "login",
            "--tls-verify=false",
            "--authfile",
            authfile.toString(),
            "-u",
            "ml-builder",
            "-p",
            AuthFixture.SECRETS.get("ml-builder"),
            host);
    assertThat(login.exit).as(login.output).isZero();
    Result badLogin =
        run(
            "podman",
            "login",
            "--tls-verify=false",
            "--authfile",
            work.resolve("bad.json").toString(),
            "-u",
            "ml-builder",
            "-p",
            "wrong",
            host);
    assertThat(badLogin.exit).as(badLogin.output).isNotZero();

    // Podman pushes from its local storage; get the image there through podman itself.
    Result seed =
        run(
            "skopeo",
            "copy",
            "--dest-tls-verify=false",
            "--authfile",
            authfile.toString(),
            "oci:" + layout + ":v1",
            "docker://" + host + "/ml/seed:v1");
    assertThat(seed.exit).as(seed.output).isZero();
    Result pull =
        run(
            "podman",
            "pull",
            "--tls-verify=false",
            "--authfile",
            authfile.toString(),
            host + "/ml/seed:v1");
    Assumptions.assumeTrue(
        pull.exit == 0 || !pull.output.contains("storage"),
        "podman's local storage is unusable here: " + pull.output);
    assertThat(pull.exit).as(pull.output).isZero();
    try {
      Result push =
          run(
              "podman",
              "push",
              "--tls-verify=false",
              "--authfile",
              authfile.toString(),
              host + "/ml/seed:v1",
              "docker://" + host + "/ml/pushed-by-podman:v1");
      assertThat(push.exit).as(push.output).isZero();
      Result refused =
          run(
              "podman",
              "push",
              "--tls-verify=false",
              "--authfile",
              authfile.toString(),
              host + "/ml/seed:v1",
              "docker://" + host + "/other/nope:v1");
      assertThat(refused.exit).as(refused.output).isNotZero();
    } finally {
      run("podman", "rmi", "-f", host + "/ml/seed:v1");
    }
  }

  /** A one-layer OCI image layout with a valid image config. */
  static Path ociLayout(Path dir) throws IOException {
    Path blobs = Files.createDirectories(dir.resolve("blobs/sha256"));
    byte[] layer = new byte[1024]; // an empty tar archive: two zero blocks, so podman can unpack it
    String layerDigest = AuthFixture.sha256(layer);
    byte[] config =
        ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                + layerDigest
                + "\"]},\"config\":{}}")
            .getBytes(StandardCharsets.UTF_8);
    String configDigest = AuthFixture.sha256(config);
    byte[] manifest =
        AuthFixture.manifest(configDigest, config.length, layerDigest, layer.length)
            .getBytes(StandardCharsets.UTF_8);
    String manifestDigest = AuthFixture.sha256(manifest);
    for (var e :
        List.of(
            Map.entry(layerDigest, layer),
            Map.entry(configDigest, config),
            Map.entry(manifestDigest, manifest))) {
      Files.write(blobs.resolve(e.getKey().substring(7)), e.getValue());
    }
    Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    Files.writeString(
        dir.resolve("index.json"),
        "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
            + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\""
            + manifestDigest
            + "\",\"size\":"
            + manifest.length
            + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"}}]}");
    return dir;
  }

  record Result(int exit, String output) {}

  Result run(String... command) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(command));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).directory(work.toFile()).start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish");
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  static void assumeInstalled(String binary) {
    boolean found = false;
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, binary))) {
        found = true;
      }
    }
    Assumptions.assumeTrue(found, binary + " is not installed; this real-client test needs it");
  }
}
