package dev.lading.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.gc.GarbageCollector.Phase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class GcProgressPrinterTest {
  private static String print(boolean terminal) {
    StringWriter text = new StringWriter();
    GcProgressPrinter p = new GcProgressPrinter(new PrintWriter(text, true), terminal);
    p.starting(Duration.ofSeconds(15));
    p.at(Phase.ANNOUNCED, 0);
    p.at(Phase.LISTED, 12);
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
        .contains("\r\u001b[Kgc: marking 12 repositories")
        .contains("\r\u001b[Kgc: marked; 340 candidates")
        .endsWith("gc: done" + System.lineSeparator());
  }

  @Test
  void toAPipeEveryPhaseIsAPlainLine() {
    assertThat(print(false).lines())
        .containsExactly(
            "gc: waiting for fence (15 s, so pushers on every instance learn of the run)",
            "gc: marking",
            "gc: marking 12 repositories",
            "gc: marked; 340 candidates",
            "gc: done");
    assertThat(print(false)).doesNotContain("\r").doesNotContain("\u001b");
  }
}
