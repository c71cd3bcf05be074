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
  private final boolean dryRun;
  private boolean lineOpen;
  private String retentionLine; // the retention totals not yet printed to a pipe

  GcProgressPrinter(PrintWriter out, boolean terminal, boolean dryRun) {
    this.out = out;
    this.terminal = terminal;
    this.dryRun = dryRun;
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
  public synchronized void retention(long tagsExamined, long tagsRemoved) {
    String line =
        "gc: retention: "
            + tagsExamined
            + " tags examined, "
            + tagsRemoved
            + (dryRun ? " to remove" : " removed");
    if (terminal) {
      show(line);
    } else {
      // Reported after every repository: to a pipe only the totals, when the next phase begins.
      retentionLine = line;
    }
  }

  @Override
  public synchronized void at(GarbageCollector.Phase phase, long count) {
    flushRetention();
    String line =
        switch (phase) {
          case ANNOUNCED -> "gc: listing repositories";
          case LISTED -> "gc: listed " + count + " repositories; applying retention";
          case RETENTION ->
              "gc: retention: " + count + (dryRun ? " tags to remove" : " tags removed");
          case MARKED -> "gc: marked; " + count + " candidates";
          case INTENTS_WRITTEN ->
              "gc: sweeping " + count + " candidates (deletion intents written)";
          case SWEPT -> "gc: swept " + count + " candidates; looking for stray data";
          case DONE -> "gc: done";
        };
    show(line);
  }

  private void flushRetention() {
    if (retentionLine != null) {
      out.println(retentionLine);
      retentionLine = null;
    }
  }

  /** Ends the rewritten line, so what follows starts on its own. */
  synchronized void end() {
    flushRetention();
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
