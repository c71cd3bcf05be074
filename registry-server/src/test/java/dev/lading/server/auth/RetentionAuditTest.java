package dev.lading.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.model.Digest;
import dev.lading.core.model.Reference;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.registry.RegistryOptions;
import dev.lading.core.registry.StoreRegistry;
import dev.lading.core.storage.fs.FilesystemStore;
import dev.lading.gc.GarbageCollector;
import dev.lading.gc.GcOptions;
import dev.lading.gc.RetentionPolicy;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real retention run writes one audit line per tag and manifest it removes; a dry run none. */
class RetentionAuditTest {
  @TempDir Path root;

  @Test
  void everyRemovalIsAuditedWithItsPolicyAndReason() throws Exception {
    try (FilesystemStore store = new FilesystemStore(root.resolve("data"));
        AuditCapture audit = new AuditCapture()) {
      StoreRegistry registry = new StoreRegistry(store, RegistryOptions.defaults());
      RepositoryName app = RepositoryName.parse("team/app");
      byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
      Digest configDigest = Digest.sha256(config);
      registry.putBlob(app, configDigest, new ByteArrayInputStream(config), OptionalLong.of(2));
      for (int i = 1; i <= 3; i++) {
        String manifest =
            "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
                + "\"digest\":\""
                + configDigest
                + "\",\"size\":2},\"layers\":[],\"annotations\":{\"commit\":\""
                + i
                + "\"}}";
        registry.putManifest(
            app,
            Reference.parse("ci-0" + i),
            "application/vnd.oci.image.manifest.v1+json",
            manifest.getBytes(StandardCharsets.UTF_8));
        Thread.sleep(20); // distinct push times
      }
      GcOptions options =
          GcOptions.defaults()
              .withGrace(Duration.ZERO)
              .withFenceDelay(Duration.ZERO)
              .withRetention(
                  List.of(
                      new RetentionPolicy(
                          "ci",
                          r -> true,
                          List.of("ci-*"),
                          OptionalInt.of(1),
                          Optional.empty(),
                          Optional.empty(),
                          Optional.of(Duration.ZERO))));
      GarbageCollector gc = new GarbageCollector(store, Clock.systemUTC());
      audit.drain();

      gc.run(options.withDryRun(true));
      assertThat(audit.drain()).noneMatch(l -> l.contains("retention"));

      gc.run(options);
      List<String> lines = audit.drain();
      assertThat(lines).filteredOn(l -> l.startsWith("action=retention-untag")).hasSize(2);
      assertThat(lines)
          .filteredOn(l -> l.startsWith("action=retention-delete-manifest"))
          .hasSize(2)
          .allMatch(l -> l.contains("who=gc repository=team/app digest=sha256:"))
          .allMatch(
              l -> l.contains("policy=ci reason=untagged (its last tag removed by this run)"));
      assertThat(lines)
          .filteredOn(l -> l.contains("tag=ci-01"))
          .singleElement()
          .satisfies(l -> assertThat(l).contains("reason=beyond keep_last 1 (3rd newest)"));
    }
  }
}
