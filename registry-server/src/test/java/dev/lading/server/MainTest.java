package dev.lading.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.model.RepositoryName;
import dev.lading.core.registry.RegistryOptions;
import dev.lading.core.registry.StoreRegistry;
import dev.lading.core.storage.fs.FilesystemStore;
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
    assertThat(
            run(Map.of("LADING_READ_ONLY", "true"), "config", "check", "--config", file.toString()))
        .isZero();
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
  void subcommandConfigWinsOverTheTopLevelOneWhichStillApplies(@TempDir Path dir) throws Exception {
    Path top = Files.writeString(dir.resolve("top.yaml"), "http:\n  port: 5006\n");
    Path own = Files.writeString(dir.resolve("own.yaml"), "http:\n  port: 5007\n");

    assertThat(run(Map.of(), "--config", top.toString(), "config", "check")).isZero();
    assertThat(out.toString()).contains("http.port = 5006    # " + top);

    assertThat(
            run(
                Map.of(),
                "--config",
                top.toString(),
                "config",
                "check",
                "--config",
                own.toString()))
        .isZero();
    assertThat(out.toString()).contains("http.port = 5007    # " + own);
  }

  @Test
  void everySubcommandThatReadsTheConfigNamesTheBadKeyWithExit2() {
    Map<String, String> env = Map.of("LADING_HTTP_PORT", "99999");
    for (String[] args :
        new String[][] {{"gc", "--dry-run"}, {"keys", "rotate"}, {"config", "check"}}) {
      assertThat(run(env, args)).as(String.join(" ", args)).isEqualTo(2);
    }
    assertThat(
            err.toString()
                .lines()
                .filter(
                    l ->
                        l.contains(
                            "http.port: must be between 0 and 65535 (from LADING_HTTP_PORT)")))
        .hasSize(3);
  }

  @Test
  void aCommandGroupAloneShowsItsUsageWithExit2() {
    assertThat(run(Map.of(), "keys")).isEqualTo(2);
    assertThat(err.toString()).contains("Usage: lading keys").contains("rotate");
  }

  @Test
  void configCheckRefusesUnknownVariablesWithExit2() {
    assertThat(run(Map.of("LADING_NOPE", "1"), "config", "check")).isEqualTo(2);
    assertThat(err.toString()).contains("LADING_NOPE: unknown environment variable");
  }

  @Test
  void gcDryRunPrintsASummaryAndKeepsAYoungUpload(@TempDir Path dir) throws Exception {
    Path root = dir.resolve("data");
    var store = new FilesystemStore(root);
    var registry = new StoreRegistry(store, RegistryOptions.defaults());
    var upload = registry.startUpload(RepositoryName.parse("team/app"));
    Map<String, String> env =
        Map.of(
            "LADING_STORAGE_FILESYSTEM_ROOT",
            root.toString(),
            "LADING_GC_UPLOAD_EXPIRY_HOURS",
            "1");

    assertThat(run(env, "gc", "--dry-run", "--no-registry-running")).isZero();
    assertThat(out.toString())
        .contains("dry-run: would sweep")
        .contains("0 expired uploads")
        .contains("blobs (0 B)")
        .contains("gc: done");
    assertThat(registry.uploadStatus(RepositoryName.parse("team/app"), upload.id()).offset())
        .isZero();
  }

  @Test
  void gcDryRunPrintsWhatEachRetentionPolicyWouldRemoveAndWhy(@TempDir Path dir) throws Exception {
    Path root = dir.resolve("data");
    var store = new FilesystemStore(root);
    var registry = new StoreRegistry(store, RegistryOptions.defaults());
    RepositoryName app = RepositoryName.parse("team/app");
    CiTags.pushThree(registry, app);
    Map<String, String> env =
        Map.of(
            "LADING_STORAGE_FILESYSTEM_ROOT",
            root.toString(),
            "LADING_GC_GRACE_MINUTES",
            "0",
            "LADING_POLICIES_RETENTION",
            "[{\"repositories\":[\"team/*\"],\"tags\":[\"ci-*\"],\"keep_last\":1,"
                + "\"untagged_for_hours\":0}]");

    assertThat(run(env, "gc", "--dry-run", "--no-registry-running")).isZero();

    assertThat(out.toString())
        .contains(
            "RETENTION untag team/app:ci-01 (sha256:",
            "by policies.retention[0] (team/* tags ci-*): beyond keep_last 1 (3rd newest)",
            "RETENTION untag team/app:ci-02 (sha256:",
            "RETENTION delete team/app@sha256:",
            "untagged (its last tag removed by this run)",
            "; frees ",
            "dry-run: retention would untag 2 tags and expire 2 untagged manifests; would sweep 2 manifests");
    assertThat(out.toString()).doesNotContain("team/app:ci-03");
    assertThat(registry.listTags(app, 10, java.util.Optional.empty()).items())
        .containsExactly("ci-01", "ci-02", "ci-03");
  }
}
