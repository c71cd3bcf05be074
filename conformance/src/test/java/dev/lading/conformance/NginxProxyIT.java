package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import at.favre.lib.crypto.bcrypt.BCrypt;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lading.core.testing.TestPki;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Lading behind a real nginx that terminates TLS, as production runs it: the client talks HTTPS to
 * nginx from 127.0.0.3, nginx forwards plain HTTP from 127.0.0.2 (the registry's only trusted
 * proxy) with {@code X-Forwarded-*}, streaming both ways (request and response buffering off). The
 * registry must answer as the proxy's origin: the token realm is {@code
 * https://<nginx>/auth/token}, {@code Location} leads back through nginx, and the access log names
 * the client, not nginx. A 2 GiB layer generated on the fly is pushed through it and pulled back.
 * Skipped, with the reason, where nginx is not installed.
 */
class NginxProxyIT {
  private static final String USER = "ci";
  private static final String PASSWORD = "proxy-test-password";
  private static final TestPki PKI = TestPki.create("Lading NginxProxyIT CA");

  @RegisterExtension
  static final RegistryProcess registry =
      RegistryProcess.create()
          .withEnvironment("LADING_HTTP_TRUSTED_PROXIES", "[\"127.0.0.2\"]")
          .withEnvironment("LADING_AUTH_MODE", "token")
          .withEnvironment(
              "LADING_AUTH_USERS",
              "[{\"name\":\""
                  + USER
                  + "\",\"password_hash\":\""
                  + BCrypt.withDefaults().hashToString(4, PASSWORD.toCharArray())
                  + "\"}]")
          .withEnvironment(
              "LADING_AUTH_RULES",
              "[{\"subjects\":[\""
                  + USER
                  + "\"],\"repositories\":[\"**\"],\"actions\":[\"pull\",\"push\"]}]");

  private static Path nginxDir;
  private static Process nginx;
  private static int nginxPort;
  private static HttpClient client;

  @BeforeAll
  static void startNginx() throws Exception {
    Path binary = Path.of("/usr/sbin/nginx");
    if (!Files.isExecutable(binary)) {
      Command.assumeInstalled("nginx");
      binary = Path.of("nginx");
    }
    nginxDir = Files.createTempDirectory("lading-nginx-");
    Files.createDirectories(nginxDir.resolve("tmp")); // nginx makes the temp paths' last level only
    TestPki.Issued issued = PKI.issue(7, "EC");
    Files.writeString(nginxDir.resolve("tls.crt"), issued.certificatePem());
    Files.writeString(nginxDir.resolve("tls.key"), issued.keyPkcs8Pem());
    nginxPort = freePort();
    Files.writeString(nginxDir.resolve("nginx.conf"), config(nginxPort, registry.port()));
    nginx =
        new ProcessBuilder(
                binary.toString(),
                "-p",
                nginxDir.toString(),
                "-c",
                "nginx.conf",
                "-e",
                nginxDir.resolve("error.log").toString())
            .redirectErrorStream(true)
            .redirectOutput(nginxDir.resolve("nginx.out").toFile())
            .start();
    awaitListening(nginxPort);
    client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .localAddress(InetAddress.getByName("127.0.0.3"))
            .sslContext(PKI.clientContext())
            .build();
  }

  @AfterAll
  static void stopNginx() throws Exception {
    if (nginx != null) {
      nginx.destroy(); // SIGTERM: nginx's fast shutdown
      if (!nginx.waitFor(10, TimeUnit.SECONDS)) {
        nginx.destroyForcibly().waitFor();
      }
    }
    if (nginxDir != null) {
      Path logs = Files.createDirectories(Path.of("target", "nginx-logs"));
      for (String f : List.of("error.log", "access.log", "nginx.out", "nginx.conf")) {
        if (Files.exists(nginxDir.resolve(f))) {
          Files.copy(nginxDir.resolve(f), logs.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  /**
   * The operator's configuration from README.md's "TLS and reverse proxies", plus what a test
   * needs: its own prefix, port and files, no daemon, and the upstream connection from 127.0.0.2.
   */
  private static String config(int port, int upstream) {
    boolean root = "root".equals(System.getProperty("user.name"));
    return (root ? "user root;\n" : "")
        + """
        daemon off;
        worker_processes 1;
        pid nginx.pid;
        error_log error.log info;
        events { worker_connections 64; }
        http {
          access_log access.log;
          client_body_temp_path tmp/body;
          proxy_temp_path tmp/proxy;
          fastcgi_temp_path tmp/fastcgi;
          uwsgi_temp_path tmp/uwsgi;
          scgi_temp_path tmp/scgi;
          upstream lading { server 127.0.0.1:%d; keepalive 8; }
          server {
            listen 127.0.0.1:%d ssl;
            ssl_certificate tls.crt;
            ssl_certificate_key tls.key;
            ssl_protocols TLSv1.2 TLSv1.3;
            client_max_body_size 0;
            location / {
              proxy_pass http://lading;
              proxy_http_version 1.1;
              proxy_set_header Connection "";
              proxy_request_buffering off;
              proxy_buffering off;
              proxy_read_timeout 900s;
              proxy_send_timeout 900s;
              proxy_bind 127.0.0.2;
              proxy_set_header Host $http_host;
              proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
              proxy_set_header X-Forwarded-Proto $scheme;
              proxy_set_header X-Forwarded-Host $http_host;
            }
          }
        }
        """
            .formatted(upstream, port);
  }

  private static URI nginx(String path) {
    return URI.create("https://127.0.0.1:" + nginxPort + path);
  }

  @Test
  void theChallengeNamesTheProxysHttpsRealm() throws Exception {
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(nginx("/v2/")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("WWW-Authenticate").orElseThrow())
        .startsWith("Bearer realm=\"https://127.0.0.1:" + nginxPort + "/auth/token\"");
  }

  @Test
  void aTwoGibLayerStreamsThroughTheProxyAndBackByteExact() throws Exception {
    Assumptions.assumeFalse(
        registry.onS3Store(),
        "the proxy path does not depend on the store; the filesystem run pushes the 2 GiB, S3BigBlobIT covers S3");
    String repo = Checks.uniqueRepo("nginx");
    String token = token("repository:" + repo + ":pull,push");

    HttpResponse<String> start =
        send(
            HttpRequest.newBuilder(nginx("/v2/" + repo + "/blobs/uploads/"))
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.noBody())
                .build());
    assertThat(start.statusCode()).as(start.body()).isEqualTo(202);
    String location = start.headers().firstValue("Location").orElseThrow();
    URI upload = nginx("/").resolve(location);
    assertThat(upload.getPort())
        .as("Location %s leads back through nginx", location)
        .isEqualTo(nginxPort);
    assertThat(location).doesNotContain(":" + registry.port());

    long size = 2L << 30;
    GeneratedBody body = new GeneratedBody(size);
    long began = System.nanoTime();
    // No length given: the JDK client sends it chunked, nginx streams it on
    // (proxy_request_buffering off).
    HttpResponse<String> patch =
        send(
            HttpRequest.newBuilder(upload)
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/octet-stream")
                .method("PATCH", HttpRequest.BodyPublishers.ofInputStream(() -> body))
                .build());
    assertThat(patch.statusCode()).as(patch.body()).isEqualTo(202);
    String digest = body.digest();
    String next = patch.headers().firstValue("Location").orElseThrow();
    URI close = nginx("/").resolve(next + (next.contains("?") ? "&" : "?") + "digest=" + digest);
    HttpResponse<String> put =
        send(
            HttpRequest.newBuilder(close)
                .header("Authorization", "Bearer " + token)
                .PUT(HttpRequest.BodyPublishers.noBody())
                .build());
    assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
    assertThat(nginx("/").resolve(put.headers().firstValue("Location").orElseThrow()))
        .isEqualTo(nginx("/v2/" + repo + "/blobs/" + digest));
    System.out.printf(
        "NginxProxyIT: 2 GiB pushed through nginx in %.1f s%n", (System.nanoTime() - began) / 1e9);

    // The pull, hashed as it streams, never held in memory.
    HttpResponse<InputStream> pull =
        client.send(
            HttpRequest.newBuilder(nginx("/v2/" + repo + "/blobs/" + digest))
                .header("Authorization", "Bearer " + token)
                .build(),
            HttpResponse.BodyHandlers.ofInputStream());
    assertThat(pull.statusCode()).isEqualTo(200);
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    long pulled = 0;
    try (InputStream in = pull.body()) {
      byte[] buf = new byte[1 << 20];
      for (int n; (n = in.read(buf)) > 0; ) {
        sha.update(buf, 0, n);
        pulled += n;
      }
    }
    assertThat(pulled).isEqualTo(size);
    assertThat("sha256:" + HexFormat.of().formatHex(sha.digest())).isEqualTo(digest);

    long from = size - (3L << 20) - 12_345;
    long to = size - 1_000;
    HttpResponse<byte[]> range =
        client.send(
            HttpRequest.newBuilder(nginx("/v2/" + repo + "/blobs/" + digest))
                .header("Authorization", "Bearer " + token)
                .header("Range", "bytes=" + from + "-" + to)
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(range.statusCode()).isEqualTo(206);
    assertThat(Arrays.equals(range.body(), GeneratedBody.bytes(from, (int) (to - from + 1))))
        .as("range near the end of the 2 GiB through nginx")
        .isTrue();

    // The registry's access line for the push names the client behind nginx, and nginx as the peer.
    String log = awaitLogLine("PUT /v2/" + repo + "/blobs/uploads/");
    assertThat(log).contains(" 201 ").contains(" 127.0.0.3 via /127.0.0.2:");
  }

  private static HttpResponse<String> send(HttpRequest request) throws Exception {
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** A token from the realm the challenge names, fetched through nginx like a client does. */
  private static String token(String scope) throws Exception {
    HttpResponse<String> challenge = send(HttpRequest.newBuilder(nginx("/v2/")).build());
    String header = challenge.headers().firstValue("WWW-Authenticate").orElseThrow();
    String realm =
        header.substring(
            header.indexOf("realm=\"") + 7, header.indexOf('"', header.indexOf("realm=\"") + 7));
    HttpResponse<String> r =
        send(
            HttpRequest.newBuilder(URI.create(realm + "?service=lading&scope=" + scope))
                .header(
                    "Authorization",
                    "Basic "
                        + Base64.getEncoder()
                            .encodeToString(
                                (USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8)))
                .build());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new ObjectMapper().readTree(r.body()).path("token").asText();
  }

  private static String awaitLogLine(String fragment) throws Exception {
    Instant deadline = Instant.now().plusSeconds(10);
    while (true) {
      for (String line : Files.readAllLines(registry.logFile(), StandardCharsets.UTF_8)) {
        if (line.contains(fragment)) {
          return line;
        }
      }
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("no log line with " + fragment + " in " + registry.logFile());
      }
      Thread.sleep(100);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }

  private static void awaitListening(int port) throws Exception {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
    while (true) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        return;
      } catch (IOException e) {
        if (!nginx.isAlive() || Instant.now().isAfter(deadline)) {
          throw new IllegalStateException(
              "nginx did not start: "
                  + Files.readString(nginxDir.resolve("nginx.out"))
                  + readIfExists(nginxDir.resolve("error.log")),
              e);
        }
        Thread.sleep(50);
      }
    }
  }

  private static String readIfExists(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
