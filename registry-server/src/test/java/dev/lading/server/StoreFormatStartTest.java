package dev.lading.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.FormatVersionKey;
import dev.lading.core.layout.StoreFormat;
import dev.lading.core.model.Digest;
import dev.lading.core.model.MediaTypes;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import dev.lading.core.registry.RegistryOptions;
import dev.lading.core.registry.StoreRegistry;
import dev.lading.core.storage.fs.FilesystemStore;
import dev.lading.server.config.LadingConfig;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The storage layout version at start: recorded on a store that has none, checked on every start.
 */
class StoreFormatStartTest {
  private static final Path MARKER = Path.of(StorageLayout.keyOf(new FormatVersionKey()));

  @TempDir Path root;

  @Test
  void aStartOnAnEmptyStoreRecordsTheVersion() throws Exception {
    try (LadingServer server = LadingServer.start(config())) {
      assertThat(Files.readString(root.resolve(MARKER))).isEqualTo("{\"version\":6}");
      assertThat(root.resolve(StorageLayout.FILESYSTEM_INDEX))
          .as("a new store keeps its small objects in its index")
          .isDirectory();
    }
    try (LadingServer again = LadingServer.start(config())) {
      assertThat(Files.readString(root.resolve(MARKER))).isEqualTo("{\"version\":6}");
    }
  }

  @Test
  void aStoreOfTodaysLayoutWithoutTheRecordIsServedAndMarked() throws Exception {
    RepositoryName repo = RepositoryName.parse("team/app");
    Digest manifest;
    try (FilesystemStore store = new FilesystemStore(root)) {
      // As a Lading of the layout before the marker wrote it: no record holds its blob.
      manifest =
          pushImage(new StoreRegistry(store, RegistryOptions.defaults().withStoreLayout(1)), repo);
    }
    assertThat(root.resolve(MARKER)).doesNotExist();
    try (LadingServer server = LadingServer.start(config())) {
      assertThat(Files.readString(root.resolve(MARKER))).isEqualTo("{\"version\":1}");
      HttpResponse<Void> response = send(server, "HEAD", "/v2/team/app/manifests/v1", null);
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("Docker-Content-Digest"))
          .hasValue(manifest.toString());
    }
  }

  @Test
  void aStoreOfANewerLayoutStopsTheStartNamingBothVersions() throws Exception {
    Files.writeString(root.resolve(MARKER), "{\"version\":99}");
    assertThatThrownBy(() -> LadingServer.start(config()))
        .isInstanceOf(StoreFormat.UnsupportedFormatException.class)
        .hasMessageContaining("version 99")
        .hasMessageContaining("versions 1 to 6");
    assertThat(Files.readString(root.resolve(MARKER))).isEqualTo("{\"version\":99}");

    StringWriter err = new StringWriter();
    int code =
        Main.run(
            new String[] {"gc", "--no-registry-running"},
            Map.of("LADING_STORAGE_FILESYSTEM_ROOT", root.toString()),
            new PrintWriter(new StringWriter(), true),
            new PrintWriter(err, true));
    assertThat(code).as("the offline gc refuses too").isEqualTo(1);
    assertThat(err.toString()).contains("storage layout version 99").contains("versions 1 to 6");
  }

  @Test
  void aReadOnlyStartAndAGcDryRunCheckButWriteNothing() throws Exception {
    try (LadingServer server = LadingServer.start(config().withReadOnly(true))) {
      assertThat(root.resolve(MARKER)).doesNotExist();
    }
    int code =
        Main.run(
            new String[] {"gc", "--dry-run", "--no-registry-running"},
            Map.of("LADING_STORAGE_FILESYSTEM_ROOT", root.toString()),
            new PrintWriter(new StringWriter(), true),
            new PrintWriter(new StringWriter(), true));
    assertThat(code).isZero();
    assertThat(root.resolve(MARKER)).doesNotExist();
  }

  /**
   * A store the layout before version 2 wrote is served as it is, its small blobs still written as
   * two objects and its sessions stored from their start, until the format command upgrades it; the
   * next start keeps small blobs in their records and starts sessions without storing them,
   * everything pushed before still reads, and a session started before the upgrade still closes.
   */
  @Test
  void theFormatCommandShowsAndUpgradesTheLayoutAndTheNextStartUsesIt() throws Exception {
    RepositoryName repo = RepositoryName.parse("team/app");
    try (FilesystemStore store = new FilesystemStore(root)) {
      pushImage(new StoreRegistry(store, RegistryOptions.defaults().withStoreLayout(1)), repo);
    }
    String sessionOfVersionOne;
    try (LadingServer server = LadingServer.start(config())) {
      assertThat(Files.readString(root.resolve(MARKER))).isEqualTo("{\"version\":1}");
      assertThat(pushSmallBlob(server, "before the upgrade")).as("a data object").isTrue();
      long stored = storedSessions();
      sessionOfVersionOne = startSession(server);
      assertThat(storedSessions()).as("the session's state").isEqualTo(stored + 1);
    }
    assertThat(format("format")).isEqualTo("storage layout version 1");
    StringWriter refused = new StringWriter();
    assertThat(
            Main.run(
                new String[] {"format", "--upgrade"},
                Map.of("LADING_STORAGE_FILESYSTEM_ROOT", root.toString()),
                new PrintWriter(new StringWriter(), true),
                new PrintWriter(refused, true)))
        .as("a filesystem store is upgraded to the index only while no registry serves it")
        .isEqualTo(2);
    assertThat(refused.toString()).contains("--no-registry-running");
    assertThat(format("format")).as("unchanged").isEqualTo("storage layout version 1");
    assertThat(format("format", "--upgrade", "--no-registry-running"))
        .isEqualTo("storage layout version 1 upgraded to 6");
    assertThat(format("format", "--upgrade")).isEqualTo("storage layout version 6 already");
    try (LadingServer server = LadingServer.start(config())) {
      assertThat(root.resolve(StorageLayout.FILESYSTEM_INDEX))
          .as("the next start keeps small objects in the index")
          .isDirectory();
      assertThat(pushSmallBlob(server, "after the upgrade")).as("a data object").isFalse();
      long stored = storedSessions();
      String signed = startSession(server);
      assertThat(storedSessions()).as("nothing stored for a new session").isEqualTo(stored);
      assertThat(signed.substring(signed.lastIndexOf('/') + 1)).contains(".");
      for (String session : List.of(sessionOfVersionOne, signed)) {
        byte[] blob = ("closed in " + session).getBytes(UTF_8);
        String separator = session.contains("?") ? "&" : "?";
        assertThat(
                send(server, "PUT", session + separator + "digest=" + Digest.sha256(blob), blob)
                    .statusCode())
            .as("closing %s", session)
            .isEqualTo(201);
      }
      assertThat(send(server, "GET", "/v2/team/app/manifests/v1", null).statusCode())
          .as("the image pushed before")
          .isEqualTo(200);
    }
    StringWriter help = new StringWriter();
    assertThat(
            Main.run(
                new String[] {"format", "--help"},
                Map.of(),
                new PrintWriter(help, true),
                new PrintWriter(new StringWriter(), true)))
        .isZero();
    assertThat(help.toString()).startsWith("Usage: lading format");
  }

  private String format(String... args) {
    StringWriter out = new StringWriter();
    int code =
        Main.run(
            args,
            Map.of("LADING_STORAGE_FILESYSTEM_ROOT", root.toString()),
            new PrintWriter(out, true),
            new PrintWriter(new StringWriter(), true));
    assertThat(code).isZero();
    return out.toString().strip();
  }

  /** Pushes {@code text} as a blob over HTTP; whether a new data object holds it. */
  private boolean pushSmallBlob(LadingServer server, String text) throws Exception {
    long before = dataObjects();
    byte[] blob = text.getBytes(UTF_8);
    HttpResponse<Void> pushed =
        send(server, "POST", "/v2/team/app/blobs/uploads/?digest=" + Digest.sha256(blob), blob);
    assertThat(pushed.statusCode()).isEqualTo(201);
    return dataObjects() > before;
  }

  private static HttpResponse<Void> send(
      LadingServer server, String method, String path, byte[] body) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(
                    method,
                    body == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.discarding());
  }

  /** Starts an upload session over HTTP; the path (and query) of its {@code Location}. */
  private static String startSession(LadingServer server) throws Exception {
    HttpResponse<Void> started = send(server, "POST", "/v2/team/app/blobs/uploads/", null);
    assertThat(started.statusCode()).isEqualTo(202);
    URI location = URI.create(started.headers().firstValue("Location").orElseThrow());
    return location.getRawPath()
        + (location.getRawQuery() == null ? "" : "?" + location.getRawQuery());
  }

  private long storedSessions() throws Exception {
    return storedUnder("repositories/team/app/_uploads/");
  }

  private long dataObjects() throws Exception {
    return storedUnder(StorageLayout.dataPrefix());
  }

  /** Objects under {@code prefix}, files or entries of the index once the store has one. */
  private long storedUnder(String prefix) throws Exception {
    boolean indexed = Files.isDirectory(root.resolve(StorageLayout.FILESYSTEM_INDEX));
    try (FilesystemStore store = new FilesystemStore(root, false, indexed)) {
      return store.list(prefix, Optional.empty(), 100_000).keys().size();
    }
  }

  private LadingConfig config() {
    return LadingConfig.forTests(root);
  }

  private static Digest pushImage(StoreRegistry registry, RepositoryName repo) {
    byte[] config = "{}".getBytes(UTF_8);
    Digest configDigest = Digest.sha256(config);
    registry.putBlob(
        repo, configDigest, new ByteArrayInputStream(config), OptionalLong.of(config.length));
    byte[] manifest =
        ("{\"schemaVersion\":2,\"mediaType\":\""
                + MediaTypes.OCI_MANIFEST
                + "\",\"config\":"
                + "{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                + configDigest
                + "\",\"size\":"
                + config.length
                + "},\"layers\":[]}")
            .getBytes(UTF_8);
    return registry.putManifest(repo, Tag.parse("v1"), MediaTypes.OCI_MANIFEST, manifest).digest();
  }
}
