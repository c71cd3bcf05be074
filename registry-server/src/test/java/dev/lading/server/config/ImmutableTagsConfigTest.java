package dev.lading.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import at.favre.lib.crypto.bcrypt.BCrypt;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import dev.lading.core.policy.ImmutableTagRule;
import dev.lading.core.policy.ImmutableTags;
import dev.lading.core.policy.RepositoryGlob;
import dev.lading.core.policy.TagGlob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code policies.immutable_tags} and {@code policies.immutable_tags_override}, file and env. */
class ImmutableTagsConfigTest {
  private static final String ADMIN_HASH =
      BCrypt.withDefaults().hashToString(4, "admin-password".toCharArray());

  @TempDir Path dir;

  private Path yaml(String text) throws Exception {
    return Files.writeString(dir.resolve("lading.yaml"), text);
  }

  private static ImmutableTagRule rule(int index, List<String> repositories, List<String> tags) {
    return new ImmutableTagRule(
        "policies.immutable_tags[" + index + "]",
        repositories.stream().map(RepositoryGlob::parse).toList(),
        tags.stream().map(TagGlob::parse).toList());
  }

  @Test
  void noRulesByDefault() {
    LadingConfig.Policies p = ConfigLoader.load(null, Map.of()).config().policies();
    assertThat(p).isEqualTo(LadingConfig.Policies.NONE);
    assertThat(p.immutableTags().isEmpty()).isTrue();
  }

  @Test
  void rulesFromTheFile() throws Exception {
    LadingConfig c =
        ConfigLoader.load(
                yaml(
                    """
        policies:
          immutable_tags:
            - {repositories: ['ml/**'], tags: ['v*']}
            - repositories: ['base/*', 'ci/**']
              tags: ['release-?', stable]
        """),
                Map.of())
            .config();
    assertThat(c.policies().immutableTags())
        .isEqualTo(
            new ImmutableTags(
                List.of(
                    rule(0, List.of("ml/**"), List.of("v*")),
                    rule(1, List.of("base/*", "ci/**"), List.of("release-?", "stable")))));
    assertThat(
            c.policies()
                .immutableTags()
                .ruleFor(RepositoryName.parse("ci/a/b"), Tag.parse("release-7"))
                .map(ImmutableTagRule::name))
        .contains("policies.immutable_tags[1]");
  }

  @Test
  void theEnvironmentTakesTheSameListAsJsonAndWinsOverTheFile() throws Exception {
    Path file = yaml("policies:\n  immutable_tags: [{repositories: ['x/*'], tags: ['*']}]\n");
    LadingConfig c =
        ConfigLoader.load(
                file,
                Map.of(
                    "LADING_POLICIES_IMMUTABLE_TAGS",
                    "[{\"repositories\":[\"ml/**\"],\"tags\":[\"v*\"]}]"))
            .config();
    assertThat(c.policies().immutableTags().rules())
        .containsExactly(rule(0, List.of("ml/**"), List.of("v*")));
  }

  @Test
  void anInvalidTagPatternStopsTheStartNamingTheKeyAndRule() {
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    null,
                    Map.of(
                        "LADING_POLICIES_IMMUTABLE_TAGS",
                        "[{\"repositories\":[\"ml/**\"],\"tags\":[\"v*\"]},"
                            + "{\"repositories\":[\"ml/**\"],\"tags\":[\"v[0-9]\"]}]")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("policies.immutable_tags")
        .hasMessageContaining("rule 1: invalid tag pattern 'v[0-9]'");
  }

  @Test
  void anInvalidRepositoryPatternStopsTheStart() throws Exception {
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    yaml(
                        "policies:\n  immutable_tags: [{repositories: ['ml/**x'], tags: ['v*']}]\n"),
                    Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "policies.immutable_tags: rule 0: invalid repository pattern 'ml/**x'");
  }

  @Test
  void anUnknownOrMissingFieldIsNamed() throws Exception {
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    yaml("policies:\n  immutable_tags: [{repositories: ['ml/**'], tag: ['v*']}]\n"),
                    Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "policies.immutable_tags: rule 0: unknown field tag (known: repositories, tags)");
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    yaml("policies:\n  immutable_tags: [{repositories: ['ml/**']}]\n"), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("policies.immutable_tags: rule 0: tags must be a non-empty list");
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    yaml("policies:\n  immutable_tags: {repositories: ['ml/**']}\n"), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("policies.immutable_tags: must be a list");
    assertThatThrownBy(
            () -> ConfigLoader.load(null, Map.of("LADING_POLICIES_IMMUTABLE_TAGS", "{not json")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("LADING_POLICIES_IMMUTABLE_TAGS");
  }

  @Test
  void aMisspeltPolicyKeyIsNamedWithTheClosest() throws Exception {
    assertThatThrownBy(() -> ConfigLoader.load(yaml("policies:\n  immutable_tag: []\n"), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("policies.immutable_tag: unknown key")
        .hasMessageContaining("policies.immutable_tags");
  }

  @Test
  void theOverrideNamesAccountsOfTokenAuth() throws Exception {
    Path file =
        yaml(
            """
        auth:
          mode: token
          users:
            - {name: admin, password_hash: '%s'}
        policies:
          immutable_tags: [{repositories: ['**'], tags: ['v*']}]
          immutable_tags_override: [admin]
        """
                .formatted(ADMIN_HASH));
    assertThat(ConfigLoader.load(file, Map.of()).config().policies().immutableTagsOverride())
        .isEqualTo(Set.of("admin"));
  }

  @Test
  void anOverrideWithoutTokenAuthOrForNobodyKnownStopsTheStart() throws Exception {
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    null, Map.of("LADING_POLICIES_IMMUTABLE_TAGS_OVERRIDE", "[\"admin\"]")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("policies.immutable_tags_override: needs auth.mode: token");
    Path file =
        yaml(
            """
        auth:
          mode: token
          users:
            - {name: admin, password_hash: '%s'}
        policies:
          immutable_tags_override: [root]
        """
                .formatted(ADMIN_HASH));
    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("policies.immutable_tags_override: root is no user or robot");
    for (String nobody : List.of("anonymous", "*")) {
      assertThatThrownBy(
              () ->
                  ConfigLoader.load(
                      null,
                      Map.of("LADING_POLICIES_IMMUTABLE_TAGS_OVERRIDE", "[\"" + nobody + "\"]")))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("cannot override immutable tags");
    }
  }
}
