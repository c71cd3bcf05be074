package dev.lading.server.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lading.auth.AccessRule;
import dev.lading.auth.BcryptHash;
import dev.lading.auth.RepositoryPattern;
import dev.lading.core.model.RepositoryName;
import dev.lading.server.config.LadingConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every example under {@code docker/config/} is loaded by the server's own loader, so an example
 * with a key the server does not know, or a value it refuses, fails here instead of on an
 * operator's first start.
 */
class ExampleConfigsTest {
  /** Secret-bearing fields an example must never hold inline (a file reference instead). */
  private static final Set<String> INLINE_SECRETS =
      Set.of("access_key", "secret_key", "password_hash", "secret_hash");

  @TempDir Path dir;

  static Stream<String> examples() {
    return DeploymentFiles.yamlFilesIn(DeploymentFiles.docker().resolve("config")).stream()
        .map(p -> p.getFileName().toString());
  }

  @Test
  void theExamplesCoverEveryDocumentedSetup() {
    assertThat(examples())
        .contains("filesystem.yaml", "minio.yaml", "ceph-rgw.yaml", "token-auth.yaml");
  }

  @ParameterizedTest
  @MethodSource("examples")
  void exampleLoadsWithTheServersOwnLoader(String name) throws Exception {
    JsonNode example =
        DeploymentFiles.yaml(DeploymentFiles.docker().resolve("config").resolve(name));
    // The secrets an example names live on the operator's machine, not here: each file the loader
    // reads at load time is replaced by one holding a value of the right form.
    JsonNode withFixtures = example.deepCopy();
    pointFilesAtFixtures(withFixtures);
    Path file =
        Files.write(dir.resolve(name), DeploymentFiles.YAML.writeValueAsBytes(withFixtures));
    LadingConfig config = DeploymentFiles.load("docker/config/" + name, file, Map.of()).config();
    if (example.path("storage").has("type")) {
      assertThat(config.storage().type().name().toLowerCase())
          .isEqualTo(example.path("storage").path("type").asText());
    }
  }

  @ParameterizedTest
  @MethodSource("examples")
  void exampleNamesSecretsByFileNeverInline(String name) {
    JsonNode example =
        DeploymentFiles.yaml(DeploymentFiles.docker().resolve("config").resolve(name));
    List<String> found = new ArrayList<>();
    walk(
        example,
        "",
        (path, field, value) -> {
          if (INLINE_SECRETS.contains(field)) {
            found.add(path + " is inline");
          }
          if (field.endsWith("_file") && !Path.of(value.asText()).isAbsolute()) {
            found.add(
                path
                    + " is relative ("
                    + value.asText()
                    + "): it would depend on the working directory");
          }
        });
    assertThat(found).isEmpty();
  }

  @Test
  void theTokenExamplesRobotMayWriteOnlyUnderMl() throws Exception {
    JsonNode example =
        DeploymentFiles.yaml(DeploymentFiles.docker().resolve("config/token-auth.yaml")).deepCopy();
    pointFilesAtFixtures(example);
    Path file =
        Files.write(
            dir.resolve("token-auth.yaml"), DeploymentFiles.YAML.writeValueAsBytes(example));
    LadingConfig config =
        DeploymentFiles.load("docker/config/token-auth.yaml", file, Map.of()).config();
    assertThat(config.auth().enabled()).isTrue();
    List<RepositoryPattern> robotPatterns =
        config.auth().rules().stream()
            .filter(
                r ->
                    r.subjects().contains("gpu-builder")
                        || r.subjects().contains(AccessRule.ANY_ACCOUNT))
            .flatMap(r -> r.repositories().stream())
            .toList();
    assertThat(robotPatterns).isNotEmpty();
    assertThat(robotPatterns).allMatch(p -> p.matches(RepositoryName.parse("ml/llama")));
    assertThat(robotPatterns).noneMatch(p -> p.matches(RepositoryName.parse("team/app")));
  }

  private void pointFilesAtFixtures(JsonNode node) throws Exception {
    List<Map.Entry<ObjectNode, String>> references = new ArrayList<>();
    walkObjects(node, (object, field, value) -> references.add(Map.entry(object, field)));
    for (Map.Entry<ObjectNode, String> ref : references) {
      String field = ref.getValue();
      String content =
          switch (field) {
            case "access_key_file", "secret_key_file" -> "example-s3-" + field;
            case "password_hash_file", "secret_hash_file" ->
                BcryptHash.of("example-secret".toCharArray(), 4).value();
            // auth.token.key_file is opened by the server at start, not by the loader.
            default -> null;
          };
      if (content != null) {
        Path fixture = Files.writeString(Files.createTempFile(dir, field, ""), content);
        ref.getKey().put(field, fixture.toString());
      }
    }
  }

  interface FieldVisitor {
    void visit(String path, String field, JsonNode value);
  }

  interface ObjectFieldVisitor {
    void visit(ObjectNode object, String field, JsonNode value);
  }

  private static void walk(JsonNode node, String path, FieldVisitor visitor) {
    if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String at = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
        if (e.getValue().isValueNode()) {
          visitor.visit(at, e.getKey(), e.getValue());
        }
        walk(e.getValue(), at, visitor);
      }
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        walk(node.get(i), path + "[" + i + "]", visitor);
      }
    }
  }

  private static void walkObjects(JsonNode node, ObjectFieldVisitor visitor) {
    if (node.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getValue().isTextual()) {
          visitor.visit((ObjectNode) node, e.getKey(), e.getValue());
        }
        walkObjects(e.getValue(), visitor);
      }
    } else if (node.isArray()) {
      node.forEach(n -> walkObjects(n, visitor));
    }
  }
}
