package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Runs an external client (skopeo, podman) with a deadline and its output kept for failures. */
public final class Command {
  private Command() {}

  /** The exit code, what the command printed on stdout, and stderr with the command line. */
  public record Result(int exitCode, String stdout, String stderr) {
    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
    }
  }

  /** Skips the calling test, saying why, when {@code tool} is not on the PATH. */
  public static void assumeInstalled(String tool) {
    boolean found = false;
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
        found = true;
        break;
      }
    }
    Assumptions.assumeTrue(
        found, tool + " is not installed; CI installs it (apt-get install " + tool + ")");
  }

  public static Result run(List<String> command, Map<String, String> environment, Path log)
      throws IOException, InterruptedException {
    return run(command, environment, log, Duration.ofMinutes(5));
  }

  /** As {@link #run(List, Map, Path)}, with a deadline of its own (an image build takes longer). */
  public static Result run(
      List<String> command, Map<String, String> environment, Path log, Duration deadline)
      throws IOException, InterruptedException {
    Files.createDirectories(log.getParent());
    Path out = log.resolveSibling(log.getFileName() + ".stdout");
    Files.writeString(log, "$ " + String.join(" ", command) + "\n");
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectOutput(out.toFile())
            .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    builder.environment().putAll(environment);
    Process process = builder.start();
    if (!process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor();
      throw new AssertionError(
          "timed out: " + command + "\n" + Files.readString(log, StandardCharsets.UTF_8));
    }
    return new Result(
        process.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(log, StandardCharsets.UTF_8));
  }

  /** Runs the command and asserts it succeeded; answers what it printed on stdout. */
  public static String succeed(List<String> command, Map<String, String> environment, Path log)
      throws IOException, InterruptedException {
    Result result = run(command, environment, log);
    assertThat(result.exitCode()).as("%s", result).isZero();
    return result.stdout();
  }
}
