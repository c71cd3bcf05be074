package dev.lading.server.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lading.auth.AccessRule;
import dev.lading.auth.Account;
import dev.lading.auth.Action;
import dev.lading.auth.BcryptHash;
import dev.lading.auth.Principal;
import dev.lading.auth.RepositoryPattern;
import dev.lading.server.LadingServer;
import dev.lading.server.config.LadingConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * A registry with token auth on, over a temporary store, and a real HTTP client. Accounts: {@code
 * admin} (everything), the {@code ml-builder} robot (pull and push under {@code ml/**}), {@code
 * reader} (pull everywhere); anonymous may pull {@code other/*}.
 */
final class AuthFixture implements AutoCloseable {
  static final String SERVICE = "lading.test";
  static final Map<String, String> SECRETS =
      Map.of(
          "admin",
          "admin-password",
          "ml-builder",
          "lading_robot-secret",
          "reader",
          "reader-password");
  static final ObjectMapper JSON = new ObjectMapper();

  final Path root;
  final LadingServer server;
  final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  AuthFixture(Path root) {
    this(root, auth -> auth);
  }

  /** With the auth settings changed by {@code tweak} (key reload period, key file, ...). */
  AuthFixture(Path root, UnaryOperator<LadingConfig.Auth> tweak) {
    this(root, tweak, Clock.systemUTC());
  }

  /**
   * With {@code clock} for token times and login back-off (a {@code MutableClock} to move by hand).
   */
  AuthFixture(Path root, UnaryOperator<LadingConfig.Auth> tweak, Clock clock) {
    this(root, tweak, clock, config -> config);
  }

  /**
   * As above, with the rest of the configuration changed by {@code tweakConfig} (trusted proxies,
   * TLS).
   */
  AuthFixture(
      Path root,
      UnaryOperator<LadingConfig.Auth> tweak,
      Clock clock,
      UnaryOperator<LadingConfig> tweakConfig) {
    this.root = root;
    List<Account> accounts =
        List.of(
            Account.user("admin", BcryptHash.of(SECRETS.get("admin").toCharArray(), 4)),
            Account.robot("ml-builder", BcryptHash.of(SECRETS.get("ml-builder").toCharArray(), 4)),
            Account.user("reader", BcryptHash.of(SECRETS.get("reader").toCharArray(), 4)));
    List<AccessRule> rules =
        List.of(
            rule("admin", "**", Action.PULL, Action.PUSH, Action.DELETE),
            rule("ml-builder", "ml/**", Action.PULL, Action.PUSH),
            rule("reader", "**", Action.PULL),
            rule(Principal.ANONYMOUS_NAME, "other/*", Action.PULL));
    server =
        LadingServer.start(
            tweakConfig.apply(
                LadingConfig.forTests(root)
                    .withAuth(tweak.apply(LadingConfig.Auth.token(SERVICE, accounts, rules)))),
            clock);
  }

  static AccessRule rule(String subject, String pattern, Action... actions) {
    return new AccessRule(
        Set.of(subject), List.of(RepositoryPattern.parse(pattern)), Set.of(actions));
  }

  URI uri(String pathAndQuery) {
    if (pathAndQuery.startsWith("http://") || pathAndQuery.startsWith("https://")) {
      return URI.create(pathAndQuery); // an absolute Location as the server sends it
    }
    return URI.create("http://127.0.0.1:" + server.port() + pathAndQuery);
  }

  HttpRequest.Builder request(String pathAndQuery, String token) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(pathAndQuery));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** GET /auth/token with Basic credentials (null user: anonymous). */
  HttpResponse<String> tokenResponse(String user, String secret, String... scopes)
      throws Exception {
    StringBuilder q = new StringBuilder("/auth/token?service=" + SERVICE);
    for (String s : scopes) {
      q.append("&scope=").append(URLEncoder.encode(s, StandardCharsets.UTF_8));
    }
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(q.toString()));
    if (user != null) {
      b.header(
          "Authorization",
          "Basic "
              + Base64.getEncoder()
                  .encodeToString((user + ":" + secret).getBytes(StandardCharsets.UTF_8)));
    }
    return send(b.build());
  }

  String token(String user, String... scopes) throws Exception {
    HttpResponse<String> r = tokenResponse(user, user == null ? null : SECRETS.get(user), scopes);
    if (r.statusCode() != 200) {
      throw new AssertionError("token for " + user + ": " + r.statusCode() + " " + r.body());
    }
    return JSON.readTree(r.body()).get("token").asText();
  }

  JsonNode json(String body) throws IOException {
    return JSON.readTree(body);
  }

  /** Every file under the store with its size: a refused request must leave this unchanged. */
  Map<String, Long> storeSnapshot() throws IOException {
    Map<String, Long> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        out.put(root.relativize(p).toString(), Files.isRegularFile(p) ? Files.size(p) : -1L);
      }
    }
    return out;
  }

  /**
   * A client whose connections leave from {@code localAddress}, a loopback address other than
   * 127.0.0.1 where a test needs a second client address (Linux's loopback serves all of 127/8).
   */
  static HttpClient clientFrom(String localAddress) {
    try {
      return HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .localAddress(InetAddress.getByName(localAddress))
          .build();
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  static String sha256(byte[] content) {
    try {
      return "sha256:"
          + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** Pushes a blob monolithically with {@code token}; returns the status. */
  int pushBlob(String repo, byte[] content, String token) throws Exception {
    return send(request("/v2/" + repo + "/blobs/uploads/?digest=" + sha256(content), token)
            .POST(HttpRequest.BodyPublishers.ofByteArray(content))
            .build())
        .statusCode();
  }

  static String manifest(String configDigest, int configSize, String layerDigest, int layerSize) {
    return "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
        + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
        + configDigest
        + "\",\"size\":"
        + configSize
        + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
        + "\"digest\":\""
        + layerDigest
        + "\",\"size\":"
        + layerSize
        + "}]}";
  }

  int putManifest(String repo, String tag, String manifest, String token) throws Exception {
    return send(request("/v2/" + repo + "/manifests/" + tag, token)
            .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
            .PUT(HttpRequest.BodyPublishers.ofString(manifest))
            .build())
        .statusCode();
  }

  @Override
  public void close() {
    server.close();
  }
}
