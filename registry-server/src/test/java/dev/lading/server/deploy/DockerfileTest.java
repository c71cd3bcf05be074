package dev.lading.server.deploy;

import static dev.lading.server.deploy.DeploymentFiles.finalStage;
import static dev.lading.server.deploy.DeploymentFiles.repoRoot;
import static dev.lading.server.deploy.DeploymentFiles.words;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.server.config.ConfigKey;
import dev.lading.server.config.ConfigLoader;
import dev.lading.server.deploy.DeploymentFiles.Instruction;
import dev.lading.server.deploy.DeploymentFiles.Stage;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.NodeList;

/**
 * {@code docker/Dockerfile} as far as a machine without a container builder can check it: what it
 * copies exists and is not ignored, the image runs the jar as a fixed non-root user with no build
 * tools, and its JVM options and {@code LADING_*} variables are ones this JVM and this server
 * accept. (The build itself, from exactly those files, is the wrapper's package command.)
 */
class DockerfileTest {
  @Test
  void everyPathTheBuildCopiesExistsAndIsSentToTheBuilder() throws Exception {
    List<PathMatcher> ignored = new ArrayList<>();
    for (String line : Files.readAllLines(repoRoot().resolve(".dockerignore"))) {
      String pattern = line.strip();
      if (!pattern.isEmpty() && !pattern.startsWith("#") && !pattern.startsWith("!")) {
        ignored.add(FileSystems.getDefault().getPathMatcher("glob:" + pattern));
      }
    }
    List<String> copied = new ArrayList<>();
    for (Stage stage : DeploymentFiles.dockerfileStages()) {
      for (Instruction copy : stage.all("COPY")) {
        List<String> w = words(copy.args());
        if (w.stream().anyMatch(a -> a.startsWith("--from="))) {
          continue;
        }
        List<String> sources = w.stream().filter(a -> !a.startsWith("--")).toList();
        for (String source : sources.subList(0, sources.size() - 1)) {
          copied.add(source);
          assertThat(repoRoot().resolve(source)).as("COPY at line " + copy.line()).exists();
          // A pattern matching the path or any directory above it keeps it from the builder.
          for (Path p = Path.of(source); p != null; p = p.getParent()) {
            for (PathMatcher m : ignored) {
              assertThat(m.matches(p))
                  .as(
                      ".dockerignore excludes "
                          + p
                          + ", which COPY at line "
                          + copy.line()
                          + " needs")
                  .isFalse();
            }
          }
        }
      }
    }
    assertThat(copied).contains("mvnw", ".mvn", "pom.xml", "registry-server");
  }

  @Test
  void theBuildBringsEveryModuleMavenReadsForTheReactor() throws Exception {
    // Maven loads every <module> of the parent pom even when -pl builds one: a module added
    // without a COPY breaks the image build.
    NodeList modules =
        DocumentBuilderFactory.newInstance()
            .newDocumentBuilder()
            .parse(repoRoot().resolve("pom.xml").toFile())
            .getElementsByTagName("module");
    List<String> copied = new ArrayList<>();
    for (Instruction copy : DeploymentFiles.dockerfileStages().get(0).all("COPY")) {
      List<String> w = words(copy.args());
      copied.addAll(w.subList(0, w.size() - 1));
    }
    assertThat(modules.getLength()).isPositive();
    for (int i = 0; i < modules.getLength(); i++) {
      String module = modules.item(i).getTextContent().strip();
      assertThat(copied).as("module " + module).containsAnyOf(module, module + "/pom.xml");
    }
  }

  @Test
  void theImageRunsAsAFixedNonRootUser() {
    assertThat(DeploymentFiles.imageUid()).as("the image's USER").isNotZero();
    String user = finalStage().last("USER").orElseThrow().args();
    if (user.contains(":")) {
      assertThat(user.split(":", 2)[1]).as("USER's group").matches("[0-9]+").isNotEqualTo("0");
    }
    // Nothing after USER switches back to root for the process.
    List<Instruction> after =
        finalStage()
            .instructions()
            .subList(
                finalStage().instructions().indexOf(finalStage().last("USER").orElseThrow()),
                finalStage().instructions().size());
    assertThat(after).noneMatch(i -> i.keyword().equals("RUN"));
  }

  @Test
  void theShippedImageHoldsAJreAndTheJarOnly() {
    Stage build = DeploymentFiles.dockerfileStages().get(0);
    Stage run = finalStage();
    assertThat(DeploymentFiles.dockerfileStages())
        .as("a build stage and the image")
        .hasSizeGreaterThanOrEqualTo(2);
    assertThat(run.from()).as("the final base image").contains("jre").doesNotContain("jdk");
    assertThat(build.name()).isPresent();
    for (Instruction copy : run.all("COPY")) {
      assertThat(copy.args())
          .as("the image copies only from the build stage (line " + copy.line() + ")")
          .startsWith("--from=" + build.name().get() + " ");
    }
    for (Instruction r : run.all("RUN")) {
      assertThat(words(r.args()))
          .as("RUN at line " + r.line())
          .doesNotContain("./mvnw", "mvn", "javac");
    }
  }

  @Test
  void theEntrypointRunsTheCopiedJarOnTheVolumeAndPortTheServerUses() {
    Stage run = finalStage();
    List<String> entrypoint = DeploymentFiles.jsonArgs(run.last("ENTRYPOINT").orElseThrow());
    List<String> copy = words(run.last("COPY").orElseThrow().args());
    assertThat(entrypoint).containsSubsequence("java", "-jar", copy.get(copy.size() - 1));

    Map<String, String> env = DeploymentFiles.imageEnv();
    ConfigLoader.Loaded loaded = DeploymentFiles.load("the image's ENV", null, env);
    assertThat(DeploymentFiles.jsonArgs(run.last("VOLUME").orElseThrow()))
        .containsExactly(loaded.config().storage().filesystem().root().toString());
    assertThat(run.last("EXPOSE").orElseThrow().args())
        .isEqualTo(String.valueOf(loaded.config().http().port()))
        .isEqualTo(ConfigKey.HTTP_PORT.defaultValue());
  }

  @Test
  void theImagesJvmOptionsAreAcceptedByAJvm() throws Exception {
    String options = DeploymentFiles.imageEnv().get("JAVA_TOOL_OPTIONS");
    assertThat(options)
        .as("the image sets container-aware heap options")
        .contains("-XX:MaxRAMPercentage=");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(words(options));
    command.add("-version");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String output = new String(p.getInputStream().readAllBytes());
    assertThat(p.exitValue()).as(output).isZero();
    assertThat(output)
        .doesNotContainIgnoringCase("unrecognized")
        .doesNotContainIgnoringCase("ignoring option");
  }
}
