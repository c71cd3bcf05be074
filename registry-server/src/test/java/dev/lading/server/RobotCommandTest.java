package dev.lading.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.auth.BcryptHash;
import dev.lading.server.config.ConfigLoader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RobotCommandTest {
  @Test
  void robotCreatePrintsASecretOnceAndConfigThatLoadsAndVerifiesIt(@TempDir Path dir)
      throws Exception {
    StringWriter out = new StringWriter();
    int code =
        Main.run(
            new String[] {"robot", "create", "--name", "ml-builder", "--repositories", "ml/**"},
            Map.of(),
            new PrintWriter(out, true),
            new PrintWriter(new StringWriter(), true));
    assertThat(code).isZero();
    Matcher secret = Pattern.compile("#   (lading_\\S+)").matcher(out.toString());
    assertThat(secret.find()).isTrue();
    String yaml =
        out.toString().lines().filter(l -> !l.startsWith("#")).reduce("", (a, b) -> a + b + "\n");
    assertThat(yaml).doesNotContain(secret.group(1));
    Path file =
        Files.writeString(
            dir.resolve("lading.yaml"),
            "auth:\n  mode: token\n" + yaml.substring("auth:\n".length()));
    ConfigLoader.Loaded loaded = ConfigLoader.load(file, Map.of());
    BcryptHash hash = loaded.config().auth().accounts().get(0).secretHash();
    assertThat(hash.verify(secret.group(1).toCharArray())).isTrue();
    assertThat(loaded.config().auth().rules()).hasSize(1);
    // config check masks the robots list.
    assertThat(loaded.settings())
        .filteredOn(s -> s.key().path().equals("auth.robots"))
        .allMatch(s -> s.shown().equals("********"));
  }

  @Test
  void configRejectsARuleNamingAnUnknownAccount(@TempDir Path dir) throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("lading.yaml"),
            "auth:\n  mode: token\n  rules:\n    - {subjects: [ghost], repositories: ['ml/**'], actions: [push]}\n");
    StringWriter err = new StringWriter();
    int code =
        Main.run(
            new String[] {"config", "check", "--config", file.toString()},
            Map.of(),
            new PrintWriter(new StringWriter(), true),
            new PrintWriter(err, true));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("auth.rules: a rule names ghost");
  }

  @Test
  void listsCanComeFromTheEnvironment() {
    ConfigLoader.Loaded loaded =
        ConfigLoader.load(
            null,
            Map.of("LADING_AUTH_MODE", "token", "LADING_AUTH_ANONYMOUS_PULL", "[\"*/public\"]"));
    assertThat(loaded.config().auth().enabled()).isTrue();
    assertThat(loaded.config().auth().rules()).hasSize(1);
  }
}
