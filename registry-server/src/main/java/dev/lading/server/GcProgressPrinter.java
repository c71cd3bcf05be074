package dev.lading.server;

import dev.lading.gc.GarbageCollector;
import dev.lading.server.admin.GcPhases;
import java.io.PrintWriter;
import java.time.Duration;

/**
 * The {@code gc} command's progress: at a terminal one line rewritten in place (a run over a big
 * store takes minutes, and a screen of phase lines says less than the current one); to a pipe or
 * file, one plain line per phase, which logs and CI output keep readable.
 */
final class GcProgressPrinter implements GarbageCollector.Progress {
  private final PrintWriter out;
  private final boolean terminal;
  private boolean lineOpen;

  GcProgressPrinter(PrintWriter out, boolean terminal) {
    this.out = out;
    this.terminal = terminal;
  }

  synchronized void starting(Duration fenceDelay) {
    show(
        "gc: "
            + GcPhases.WAITING.replace('_', ' ')
            + " ("
            + fenceDelay.toSeconds()
            + " s, so pushers on every instance learn of the run)");
  }

  @Override
  public synchronized void at(GarbageCollector.Phase phase, long count) {
    String line =
        switch (phase) {
          case ANNOUNCED -> "gc: marking";
          case LISTED -> "gc: marking " + count + " repositories";
          case MARKED -> "gc: marked; " + count + " candidates";
          case INTENTS_WRITTEN ->
              "gc: sweeping " + count + " candidates (deletion intents written)";
          case SWEPT -> "gc: swept " + count + " candidates; looking for stray data";
          case DONE -> "gc: done";
        };
    show(line);
  }

  /** Ends the rewritten line, so what follows starts on its own. */
  synchronized void end() {
    if (lineOpen) {
      out.println();
      lineOpen = false;
    }
  }

  private void show(String line) {
    if (terminal) {
      // Carriage return, then erase to the end of the line: the previous phase's longer text goes.
      out.print("\r\u001b[K" + line);
      out.flush();
      lineOpen = true;
    } else {
      out.println(line);
    }
  }
}
