package dev.lading.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.policy.ImmutableTagRule;
import dev.lading.server.config.ConfigLoader;
import dev.lading.server.config.LadingConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The immutable tag rules reload without a restart, whatever the auth mode. */
class PolicyReloadTest {
  @TempDir Path dir;

  private Path write(String rules) throws Exception {
    return Files.writeString(
        dir.resolve("lading.yaml"), "policies:\n  immutable_tags: " + rules + "\n");
  }

  @Test
  void changedRulesReachTheServerAndInvalidOnesChangeNothing() throws Exception {
    Path file = write("[{repositories: ['ml/**'], tags: ['v*']}]");
    List<LadingConfig.Policies> applied = new CopyOnWriteArrayList<>();
    try (ConfigReloader reloader =
        new ConfigReloader(
            file, Map.of(), ConfigLoader.load(file, Map.of()), Optional.empty(), applied::add)) {
      ConfigReloader.Outcome same = reloader.reload("test");
      assertThat(same.applied()).isFalse();
      assertThat(applied).isEmpty();

      write(
          "[{repositories: ['ml/**'], tags: ['v*', 'stable']}, {repositories: ['**'], tags: ['release-*']}]");
      ConfigReloader.Outcome changed = reloader.reload("test");
      assertThat(changed.applied()).isTrue();
      assertThat(changed.restartNeeded()).isEmpty();
      assertThat(applied).hasSize(1);
      assertThat(applied.getFirst().immutableTags().rules())
          .extracting(ImmutableTagRule::describe)
          .containsExactly(
              "policies.immutable_tags[0]: ml/** v*,stable",
              "policies.immutable_tags[1]: ** release-*");

      write("[{repositories: ['ml/**'], tags: ['v[0-9]']}]");
      ConfigReloader.Outcome invalid = reloader.reload("test");
      assertThat(invalid.applied()).isFalse();
      assertThat(invalid.error())
          .hasValueSatisfying(e -> assertThat(e).contains("policies.immutable_tags"));
      assertThat(applied).hasSize(1);
    }
  }

  @Test
  void reloadedRulesReachTheRegistryAndRetentionAlike() throws Exception {
    LadingConfig.Policies releases =
        ConfigLoader.load(write("[{repositories: ['ml/**'], tags: ['v*']}]"), Map.of())
            .config()
            .policies();
    try (LadingServer server = LadingServer.start(LadingConfig.forTests(dir.resolve("store")))) {
      assertThat(server.gc().orElseThrow().options().immutableTags().isEmpty()).isTrue();
      server.applyPolicies(releases);
      assertThat(server.gc().orElseThrow().options().immutableTags())
          .isEqualTo(releases.immutableTags());
    }
  }
}
