package dev.lading.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.gc.GarbageCollector.Phase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class GcProgressPrinterTest {
  private static String print(boolean terminal) {
    return print(terminal, false);
  }

  private static String print(boolean terminal, boolean dryRun) {
    StringWriter text = new StringWriter();
    GcProgressPrinter p = new GcProgressPrinter(new PrintWriter(text, true), terminal, dryRun);
    p.starting(Duration.ofSeconds(15));
    p.at(Phase.ANNOUNCED, 0);
    p.at(Phase.LISTED, 12);
    p.retention(0, 0);
    p.retention(40, 30);
    p.retention(90, 70);
    p.at(Phase.MARKED, 340);
    p.at(Phase.DONE, 3);
    p.end();
    return text.toString();
  }

  @Test
  void atATerminalOneLineIsRewrittenInPlace() {
    String out = print(true);
    // One line end in all (String.lines() would also split at each carriage return).
    assertThat(out.chars().filter(c -> c == '\n').count()).isEqualTo(1);
    assertThat(out)
        .contains("\r\u001b[Kgc: listed 12 repositories; applying retention")
        .contains("\r\u001b[Kgc: retention: 40 tags examined, 30 removed")
        .contains("\r\u001b[Kgc: retention: 90 tags examined, 70 removed")
        .contains("\r\u001b[Kgc: marked; 340 candidates")
        .endsWith("gc: done" + System.lineSeparator());
  }

  @Test
  void toAPipeEveryPhaseIsAPlainLine() {
    assertThat(print(false).lines())
        .containsExactly(
            "gc: waiting for fence (15 s, so pushers on every instance learn of the run)",
            "gc: listing repositories",
            "gc: listed 12 repositories; applying retention",
            "gc: retention: 90 tags examined, 70 removed",
            "gc: marked; 340 candidates",
            "gc: done");
    assertThat(print(false)).doesNotContain("\r").doesNotContain("\u001b");
  }

  @Test
  void aDryRunSaysWhatRetentionWouldRemove() {
    assertThat(print(false, true).lines())
        .contains("gc: retention: 90 tags examined, 70 to remove");
  }
}
