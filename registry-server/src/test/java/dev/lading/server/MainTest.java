package dev.lading.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();

  private int run(Map<String, String> env, String... args) {
    return Main.run(args, env, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  @Test
  void helpPrintsUsageWithSubcommands() {
    assertThat(run(Map.of(), "--help")).isZero();
    assertThat(out.toString())
        .contains("Usage: lading")
        .contains("--config=FILE")
        .contains("serve")
        .contains("config")
        .contains("LADING_HTTP_PORT");
  }

  @Test
  void unknownOptionIsUsageErrorWithExit2() {
    assertThat(run(Map.of(), "--frobnicate")).isEqualTo(2);
    assertThat(err.toString()).contains("Unknown option: '--frobnicate'").contains("Usage: lading");
  }

  @Test
  void configCheckPrintsEffectiveValuesAndSources(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("c.yaml"), "http:\n  port: 5005\n");
    assertThat(run(Map.of("LADING_READ_ONLY", "true"), "config", "check", "--config", file.toString())).isZero();
    assertThat(out.toString())
        .contains("http.port = 5005    # " + file)
        .contains("read_only = true    # LADING_READ_ONLY")
        .contains("http.host = 0.0.0.0    # default")
        .contains("configuration is valid");
  }

  @Test
  void invalidConfigStopsTheStartWithExit2AndNamesTheKey() {
    assertThat(run(Map.of("LADING_HTTP_PORT", "99999"))).isEqualTo(2);
    assertThat(err.toString())
        .contains("invalid config: http.port: must be between 0 and 65535 (from LADING_HTTP_PORT)");
  }

  @Test
  void configCheckRefusesUnknownVariablesWithExit2() {
    assertThat(run(Map.of("LADING_NOPE", "1"), "config", "check")).isEqualTo(2);
    assertThat(err.toString()).contains("LADING_NOPE: unknown environment variable");
  }

  @Test
  void gcDryRunPrintsASummaryAndKeepsAYoungUpload(@TempDir Path dir) throws Exception {
    Path root = dir.resolve("data");
    var store = new dev.lading.core.storage.fs.FilesystemStore(root);
    var registry = new dev.lading.core.registry.StoreRegistry(
        store, dev.lading.core.registry.RegistryOptions.defaults());
    var upload = registry.startUpload(dev.lading.core.model.RepositoryName.parse("team/app"));
    Map<String, String> env = Map.of(
        "LADING_STORAGE_FILESYSTEM_ROOT", root.toString(),
        "LADING_GC_UPLOAD_EXPIRY_HOURS", "1");

    assertThat(run(env, "gc", "--dry-run", "--no-registry-running")).isZero();
    assertThat(out.toString()).contains("dry-run: would sweep").contains("0 expired uploads");
    assertThat(registry.uploadStatus(dev.lading.core.model.RepositoryName.parse("team/app"), upload.id())
        .offset()).isZero();
  }
}
