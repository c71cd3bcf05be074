package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.testing.TestPki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real jar listening with TLS ({@code LADING_HTTP_TLS_CERT_FILE}/{@code _KEY_FILE}) on a
 * certificate from a CA made in the test: the JDK's HTTP client, and skopeo verifying the
 * certificate against that CA ({@code --dest-cert-dir} holding it as {@code ca.crt}).
 */
class TlsIT {
  private static final TestPki PKI = TestPki.create("Lading TlsIT CA");
  private static final Path SECRETS = secrets();

  @RegisterExtension
  static final RegistryProcess registry =
      RegistryProcess.create()
          .withTls(SECRETS.resolve("tls.crt"), SECRETS.resolve("tls.key"), PKI.clientContext());

  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .sslContext(PKI.clientContext())
          .build();
  @TempDir Path work;

  private static Path secrets() {
    try {
      Path dir = Files.createTempDirectory("lading-tls-it-");
      dir.toFile().deleteOnExit();
      // The chain as cert-manager writes it: leaf, then the issuer; the key in PKCS#1.
      TestPki.Issued issued = PKI.issue(42, "RSA");
      Files.writeString(dir.resolve("tls.crt"), issued.certificatePem() + PKI.caPem());
      Files.writeString(dir.resolve("tls.key"), issued.keyTraditionalPem());
      Files.createDirectories(dir.resolve("certs.d"));
      Files.writeString(dir.resolve("certs.d").resolve("ca.crt"), PKI.caPem());
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private URI uri(String path) {
    return registry.baseUri().resolve(path);
  }

  @Test
  void theJdkClientPushesAndReadsBlobsWholeAndByRangeOverTls() throws Exception {
    assertThat(registry.baseUri().getScheme()).isEqualTo("https");
    assertThat(
            client
                .send(
                    HttpRequest.newBuilder(uri("/v2/")).build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode())
        .isEqualTo(200);
    byte[] blob = new byte[(3 << 20) + 333];
    new Random(42).nextBytes(blob);
    String digest = Blob.sha256(blob);
    String repo = Checks.uniqueRepo("tls");
    HttpResponse<String> push =
        client.send(
            HttpRequest.newBuilder(uri("/v2/" + repo + "/blobs/uploads/?digest=" + digest))
                .POST(HttpRequest.BodyPublishers.ofByteArray(blob))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(push.statusCode()).as(push.body()).isEqualTo(201);

    HttpResponse<byte[]> whole =
        client.send(
            HttpRequest.newBuilder(uri("/v2/" + repo + "/blobs/" + digest)).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(Arrays.equals(whole.body(), blob)).as("whole blob byte-exact over TLS").isTrue();
    HttpResponse<byte[]> range =
        client.send(
            HttpRequest.newBuilder(uri("/v2/" + repo + "/blobs/" + digest))
                .header("Range", "bytes=65535-2097152")
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(range.statusCode()).isEqualTo(206);
    assertThat(Arrays.equals(range.body(), Arrays.copyOfRange(blob, 65_535, 2_097_153)))
        .as("ranged read byte-exact over TLS")
        .isTrue();
  }

  @Test
  void skopeoCopiesAnImageVerifyingTheCertificateAgainstTheCa(TestInfo test) throws Exception {
    Command.assumeInstalled("skopeo");
    Path logs =
        Path.of(
            "target", "client-logs", "skopeo-tls", test.getTestMethod().orElseThrow().getName());
    OciLayout source = new OciLayout(work.resolve("source"));
    OciLayout.Image image = source.writeImage("amd64", 2);
    source.tag("v1", image.manifest());
    String repo = Checks.uniqueRepo("skopeo-tls");
    String target = "docker://" + registry.hostAndPort() + "/" + repo + ":v1";
    Path certDir = SECRETS.resolve("certs.d");

    // Without the CA the certificate is refused: the copy below is verified, not merely encrypted.
    Command.Result untrusted =
        Command.run(
            skopeo("copy", "--dest-tls-verify=true", source.reference("v1"), target),
            Map.of(),
            logs.resolve("untrusted.log"));
    assertThat(untrusted.exitCode()).as("%s", untrusted).isNotZero();
    assertThat(untrusted.stderr()).containsIgnoringCase("certificate");

    Command.succeed(
        skopeo(
            "copy",
            "--dest-cert-dir",
            certDir.toString(),
            "--preserve-digests",
            source.reference("v1"),
            target),
        Map.of(),
        logs.resolve("push.log"));
    String raw =
        Command.succeed(
            skopeo("inspect", "--raw", "--cert-dir", certDir.toString(), target),
            Map.of(),
            logs.resolve("inspect.log"));
    // skopeo prints the raw manifest with a newline added unless it ends in one (as SkopeoIT reads
    // it).
    String body = raw.endsWith("\n") && !raw.endsWith("}") ? raw.stripTrailing() : raw;
    assertThat(Blob.sha256(body.getBytes(StandardCharsets.UTF_8)))
        .isEqualTo(image.manifest().digest());
    OciLayout back = new OciLayout(work.resolve("back"));
    Command.succeed(
        skopeo(
            "copy",
            "--src-cert-dir",
            certDir.toString(),
            "--preserve-digests",
            target,
            back.reference("v1")),
        Map.of(),
        logs.resolve("pull.log"));
    assertThat(back.manifestBytes("v1")).isEqualTo(image.manifest().bytes());
  }

  private static List<String> skopeo(String... args) {
    List<String> command = new ArrayList<>(List.of("skopeo", "--insecure-policy"));
    command.addAll(List.of(args));
    return command;
  }
}
