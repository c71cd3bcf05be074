package dev.lading.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.model.RepositoryName;
import dev.lading.core.registry.RegistryOptions;
import dev.lading.core.registry.StoreRegistry;
import dev.lading.core.storage.fs.FilesystemStore;
import dev.lading.gc.GarbageCollector;
import dev.lading.gc.GcOptions;
import dev.lading.gc.RetentionPolicy;
import dev.lading.server.CiTags;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
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
      CiTags.pushThree(registry, app);
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
