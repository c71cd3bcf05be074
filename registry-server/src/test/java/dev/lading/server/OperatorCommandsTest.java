package dev.lading.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.auth.BcryptHash;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OperatorCommandsTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return Main.run(args, Map.of(), new PrintWriter(out, true), new PrintWriter(err, true));
  }

  @AfterEach
  void restoreStdin() {
    OperatorCommands.UserHash.stdin = System.in;
  }

  @Test
  void userHashReadsThePasswordFromAPipeAndPrintsOnlyItsHash() {
    OperatorCommands.UserHash.stdin =
        new ByteArrayInputStream("s3cret pass\r\nignored\n".getBytes(StandardCharsets.UTF_8));
    assertThat(run("user", "hash")).isZero();
    String hash = out.toString().strip();
    assertThat(BcryptHash.parse(hash).verify("s3cret pass".toCharArray())).isTrue();
    assertThat(out.toString() + err.toString()).doesNotContain("s3cret");
  }

  @Test
  void userHashRefusesAnEmptyInputAndAPasswordBcryptWouldTruncate() {
    OperatorCommands.UserHash.stdin = new ByteArrayInputStream(new byte[0]);
    assertThat(run("user", "hash")).isEqualTo(2);
    assertThat(err.toString()).contains("no password");
    String tooLong = "x".repeat(80);
    OperatorCommands.UserHash.stdin =
        new ByteArrayInputStream((tooLong + "\n").getBytes(StandardCharsets.UTF_8));
    assertThat(run("user", "hash")).isEqualTo(2);
    assertThat(out.toString()).isEmpty();
    assertThat(err.toString()).doesNotContain(tooLong);
  }

  @Test
  void everyNewCommandPrintsItsUsage() {
    for (String[] cmd : new String[][] {{"user", "hash", "--help"}, {"auth", "list", "--help"}}) {
      assertThat(run(cmd)).as(String.join(" ", cmd)).isZero();
    }
    assertThat(out.toString())
        .contains("Usage: lading user hash")
        .contains("Usage: lading auth list");
  }

  @Test
  void authListShowsAccountsRobotsAndRulesButNoHash(@TempDir Path dir) throws Exception {
    String userHash = BcryptHash.of("admin-pw".toCharArray(), 4).value();
    String robotHash = BcryptHash.of("robot-pw".toCharArray(), 4).value();
    Path file =
        Files.writeString(
            dir.resolve("lading.yaml"),
            """
        auth:
          mode: token
          users:
            - {name: admin, password_hash: '%s'}
          robots:
            - {name: gpu-builder, secret_hash: '%s'}
          rules:
            - {subjects: [gpu-builder], repositories: ['ml/**'], actions: [pull, push]}
            - {subjects: [admin], repositories: ['**'], actions: [pull, push, delete]}
          anonymous_pull: ['ml/public/*']
        """
                .formatted(userHash, robotHash));
    assertThat(run("auth", "list", "--config", file.toString())).as(err.toString()).isZero();
    assertThat(out.toString())
        .contains("auth.mode: token")
        .contains("users:\n  admin")
        .contains("robots:\n  gpu-builder")
        .contains("gpu-builder: pull, push on ml/**")
        .contains("admin: delete, pull, push on **")
        .contains("anonymous: pull on ml/public/*")
        .doesNotContain(userHash)
        .doesNotContain(robotHash)
        .doesNotContain("$2");
  }
}
