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
import java.util.Map;
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
      assertThat(Files.readString(root.resolve(MARKER))).isEqualTo("{\"version\":1}");
    }
    try (LadingServer again = LadingServer.start(config())) {
      assertThat(Files.readString(root.resolve(MARKER))).isEqualTo("{\"version\":1}");
    }
  }

  @Test
  void aStoreOfTodaysLayoutWithoutTheRecordIsServedAndMarked() throws Exception {
    RepositoryName repo = RepositoryName.parse("team/app");
    Digest manifest;
    try (FilesystemStore store = new FilesystemStore(root)) {
      manifest = pushImage(new StoreRegistry(store, RegistryOptions.defaults()), repo);
    }
    assertThat(root.resolve(MARKER)).doesNotExist();
    try (LadingServer server = LadingServer.start(config())) {
      assertThat(Files.readString(root.resolve(MARKER))).isEqualTo("{\"version\":1}");
      HttpResponse<Void> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create(
                              "http://127.0.0.1:" + server.port() + "/v2/team/app/manifests/v1"))
                      .method("HEAD", HttpRequest.BodyPublishers.noBody())
                      .build(),
                  HttpResponse.BodyHandlers.discarding());
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
        .hasMessageContaining("version 1");
    assertThat(Files.readString(root.resolve(MARKER))).isEqualTo("{\"version\":99}");

    StringWriter err = new StringWriter();
    int code =
        Main.run(
            new String[] {"gc", "--no-registry-running"},
            Map.of("LADING_STORAGE_FILESYSTEM_ROOT", root.toString()),
            new PrintWriter(new StringWriter(), true),
            new PrintWriter(err, true));
    assertThat(code).as("the offline gc refuses too").isEqualTo(1);
    assertThat(err.toString()).contains("storage layout version 99").contains("version 1");
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
