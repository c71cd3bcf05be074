package dev.lading.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code docker login} and the push after it, replayed byte for byte over a raw socket (the docker
 * CLI here has no daemon). The requests are the ones distribution's {@code
 * registry/client/auth/session.go} builds (docker and containerd share its shape): {@code
 * fetchTokenWithOAuth} POSTs {@code url.Values.Encode()} (keys sorted, {@code QueryEscape}d, scopes
 * joined by a space) as {@code application/x-www-form-urlencoded}: first {@code
 * grant_type=password} with {@code access_type=offline} and {@code client_id}, keeping the answer's
 * {@code refresh_token} as the identity token; then, for each new scope, {@code
 * grant_type=refresh_token}. The docker CLI's own login asks with GET, Basic credentials, {@code
 * account}, {@code client_id} and {@code offline_token=true} ({@code fetchTokenWithBasicAuth} with
 * {@code OfflineAccess}); both must yield a refresh token.
 */
class DockerLoginFlowTest {
  @TempDir Path root;
  AuthFixture registry;
  static final String UA =
      "docker/27.3.1 go/go1.22.7 git-commit/41ca978 kernel/6.8.0 os/linux arch/amd64";

  @BeforeEach
  void start() {
    registry = new AuthFixture(root);
  }

  @AfterEach
  void stop() {
    registry.close();
  }

  record Response(int status, Map<String, String> headers, String body) {}

  /** One request on its own connection, exactly these bytes; the response parsed by hand. */
  Response raw(String method, String target, Map<String, String> headers, String body)
      throws IOException {
    byte[] content = body.getBytes(StandardCharsets.UTF_8);
    StringBuilder req =
        new StringBuilder(method)
            .append(' ')
            .append(target)
            .append(" HTTP/1.1\r\n")
            .append("Host: 127.0.0.1:")
            .append(registry.server.port())
            .append("\r\n")
            .append("User-Agent: ")
            .append(UA)
            .append("\r\n");
    headers.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
    if (!method.equals("GET") && !method.equals("HEAD")) {
      req.append("Content-Length: ").append(content.length).append("\r\n");
    }
    req.append("Accept-Encoding: gzip\r\n\r\n");
    try (Socket s = new Socket("127.0.0.1", registry.server.port())) {
      OutputStream out = s.getOutputStream();
      out.write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.write(content);
      out.flush();
      InputStream in = s.getInputStream();
      String head = readHead(in);
      String[] lines = head.split("\r\n");
      int status = Integer.parseInt(lines[0].split(" ")[1]);
      Map<String, String> h = new LinkedHashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        h.put(
            lines[i].substring(0, colon).toLowerCase(Locale.ROOT),
            lines[i].substring(colon + 1).strip());
      }
      byte[] payload;
      if ("chunked".equalsIgnoreCase(h.get("transfer-encoding"))) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int size; (size = Integer.parseInt(readLine(in).split(";")[0].strip(), 16)) > 0; ) {
          b.write(in.readNBytes(size));
          readLine(in);
        }
        payload = b.toByteArray();
      } else {
        payload =
            method.equals("HEAD")
                ? new byte[0]
                : in.readNBytes(Integer.parseInt(h.getOrDefault("content-length", "0")));
      }
      return new Response(status, h, new String(payload, StandardCharsets.UTF_8));
    }
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int state = 0;
    while (state < 4) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("connection closed in the response head");
      }
      b.write(c);
      state =
          (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3))
              ? state + 1
              : 0;
    }
    return b.toString(StandardCharsets.ISO_8859_1).strip();
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    for (int c; (c = in.read()) != '\n'; ) {
      if (c < 0) {
        throw new IOException("connection closed in a chunk header");
      }
      if (c != '\r') {
        b.append((char) c);
      }
    }
    return b.toString();
  }

  /** Go's url.QueryEscape: what url.Values.Encode applies to keys and values. */
  static String goEscape(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("*", "%2A").replace("%7E", "~");
  }

  /** The challenge's parameters, as docker's challenge parser reads them. */
  static Map<String, String> challenge(Response r) {
    String header = r.headers().get("www-authenticate");
    assertThat(header).startsWith("Bearer ");
    Map<String, String> out = new LinkedHashMap<>();
    Matcher m = Pattern.compile("(\\w+)=\"([^\"]*)\"").matcher(header);
    while (m.find()) {
      out.put(m.group(1), m.group(2));
    }
    return out;
  }

  String realmPath(Map<String, String> challenge) {
    URI realm = URI.create(challenge.get("realm"));
    assertThat(realm.getPort()).isEqualTo(registry.server.port());
    return realm.getRawPath();
  }

  static final Map<String, String> FORM =
      Map.of("Content-Type", "application/x-www-form-urlencoded");

  @Test
  void passwordGrantThenRefreshTokenGrantPushesAsDockerDoes() throws Exception {
    // 1. docker login pings /v2/ and reads the challenge (no scope for the base endpoint).
    Response ping = raw("GET", "/v2/", Map.of(), "");
    assertThat(ping.status()).isEqualTo(401);
    Map<String, String> c = challenge(ping);
    assertThat(c).containsEntry("service", "lading.test").doesNotContainKey("scope");

    // 2. The password grant, as fetchTokenWithOAuth encodes it (empty scope included).
    String password = AuthFixture.SECRETS.get("ml-builder");
    String form =
        "access_type=offline&client_id=docker&grant_type=password&password="
            + goEscape(password)
            + "&scope=&service="
            + goEscape(c.get("service"))
            + "&username=ml-builder";
    Response login = raw("POST", realmPath(c), FORM, form);
    assertThat(login.status()).as(login.body()).isEqualTo(200);
    assertThat(login.headers()).containsEntry("cache-control", "no-store");
    JsonNode tokens = registry.json(login.body());
    assertThat(tokens.get("access_token").asText()).isNotEmpty();
    assertThat(tokens.get("expires_in").asInt()).isGreaterThanOrEqualTo(60);
    assertThat(tokens.get("issued_at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
    String identityToken = tokens.get("refresh_token").asText();
    assertThat(identityToken).isNotEmpty();

    // 3. The ping again with the access token: "Login Succeeded".
    Response pinged =
        raw(
            "GET",
            "/v2/",
            Map.of("Authorization", "Bearer " + tokens.get("access_token").asText()),
            "");
    assertThat(pinged.status()).isEqualTo(200);

    // 4. A later push: challenged for the repository, docker trades its identity token.
    byte[] layer = "docker layer".getBytes(StandardCharsets.UTF_8);
    String upload = "/v2/ml/app/blobs/uploads/?digest=" + AuthFixture.sha256(layer);
    Response challenged = raw("POST", upload, Map.of(), "docker layer");
    assertThat(challenged.status()).isEqualTo(401);
    Map<String, String> pushChallenge = challenge(challenged);
    assertThat(pushChallenge).containsEntry("scope", "repository:ml/app:pull,push");
    String refreshForm =
        "client_id=docker&grant_type=refresh_token&refresh_token="
            + goEscape(identityToken)
            + "&scope="
            + goEscape(pushChallenge.get("scope"))
            + "&service="
            + goEscape(pushChallenge.get("service"));
    Response refreshed = raw("POST", realmPath(pushChallenge), FORM, refreshForm);
    assertThat(refreshed.status()).as(refreshed.body()).isEqualTo(200);
    JsonNode pushTokens = registry.json(refreshed.body());
    assertThat(pushTokens.get("scope").asText()).isEqualTo("repository:ml/app:pull,push");
    assertThat(pushTokens.has("refresh_token"))
        .as("a refresh grant keeps the identity token it has")
        .isFalse();
    Response pushed =
        raw(
            "POST",
            upload,
            Map.of("Authorization", "Bearer " + pushTokens.get("access_token").asText()),
            "docker layer");
    assertThat(pushed.status()).as(pushed.body()).isEqualTo(201);

    // 5. Outside the robot's path the same dance yields a token without push: 403 from the
    // registry.
    String otherForm =
        "client_id=docker&grant_type=refresh_token&refresh_token="
            + goEscape(identityToken)
            + "&scope="
            + goEscape("repository:other/app:pull,push")
            + "&service=lading.test";
    JsonNode other = registry.json(raw("POST", "/auth/token", FORM, otherForm).body());
    assertThat(other.get("scope").asText()).isEmpty();
    assertThat(
            raw(
                    "POST",
                    "/v2/other/app/blobs/uploads/?digest=" + AuthFixture.sha256(layer),
                    Map.of("Authorization", "Bearer " + other.get("access_token").asText()),
                    "docker layer")
                .status())
        .isEqualTo(403);
  }

  @Test
  void dockerCliLoginByGetWithBasicAndOfflineTokenAlsoYieldsAnIdentityToken() throws Exception {
    String basic =
        Base64.getEncoder()
            .encodeToString(
                ("ml-builder:" + AuthFixture.SECRETS.get("ml-builder"))
                    .getBytes(StandardCharsets.UTF_8));
    Response r =
        raw(
            "GET",
            "/auth/token?account=ml-builder&client_id=docker&offline_token=true&service=lading.test",
            Map.of("Authorization", "Basic " + basic),
            "");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonNode body = registry.json(r.body());
    assertThat(body.get("token").asText()).isEqualTo(body.get("access_token").asText());
    assertThat(body.get("refresh_token").asText()).isNotEmpty();
  }

  @Test
  void wrongPasswordOrForgedRefreshTokenIsRefusedWithoutEchoingIt() throws Exception {
    Response bad =
        raw(
            "POST",
            "/auth/token",
            FORM,
            "access_type=offline&client_id=docker&grant_type=password&password=hunter2-guess&scope=&service=lading.test&username=ml-builder");
    assertThat(bad.status()).isEqualTo(401);
    assertThat(bad.body()).doesNotContain("hunter2-guess").doesNotContain("refresh_token");
    Response forged =
        raw(
            "POST",
            "/auth/token",
            FORM,
            "client_id=docker&grant_type=refresh_token&refresh_token=eyJhbGciOiJub25lIn0.e30.&scope=&service=lading.test");
    assertThat(forged.status()).isEqualTo(401);
  }
}
