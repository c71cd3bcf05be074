package dev.lading.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The CPU split the benches read from /proc: user, system, and the JIT compilers' share. */
class ServerCpuTest {

  @Test
  void ticksComeFromAfterTheLastParenthesisWhateverTheThreadIsCalled() {
    String stat =
        "4242 (C2 (odd) Thread) S 1 4242 4242 0 -1 4194624 9 0 0 0 731 42 0 0 20 0 1 0 5 0 0";

    assertThat(ServerProcess.userAndSystemTicks(stat)).containsExactly(731, 42);
  }

  @Test
  void withoutTheCompilersIsTheTotalLessTheirShare() {
    ServerProcess.Cpu before = new ServerProcess.Cpu(1.0, 0.5, 0.25);
    ServerProcess.Cpu after = new ServerProcess.Cpu(3.0, 1.5, 0.75);

    ServerProcess.Cpu phase = after.since(before);

    assertThat(phase.total()).isEqualTo(3.0);
    assertThat(phase.compiler()).isEqualTo(0.5);
    assertThat(phase.withoutCompiler()).isEqualTo(2.5);
  }

  /** The names the split looks for are the ones this very JVM gives its compiler threads. */
  @Test
  @EnabledOnOs(OS.LINUX)
  void thisJvmsCompilerThreadsAreFoundAndCounted() throws Exception {
    long pid = ProcessHandle.current().pid();
    try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      assertThat(
              tasks.map(
                  task -> {
                    try {
                      return Files.readString(task.resolve("comm")).strip();
                    } catch (java.io.IOException e) {
                      return "";
                    }
                  }))
          .anyMatch(ServerProcess::isCompilerThread);
    }

    ServerProcess.Cpu cpu = ServerProcess.Cpu.of(pid);

    assertThat(cpu.total()).isPositive();
    assertThat(cpu.compiler()).isBetween(0.0, cpu.total());
  }
}
