package dev.lading.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What a crash soak counts, from every thread at once, and prints at the end. Losses are kept by
 * what was lost (a blob in a repository, a tag), so a blob found missing by ten pulls is one loss,
 * with the first detail seen.
 */
final class SoakStats {

  private static final int SAMPLES = 12;

  private final long startNanos;
  private final Map<String, LongAdder> operations = new ConcurrentSkipListMap<>();
  private final Map<String, String> lost = new ConcurrentHashMap<>();
  private final Map<String, String> undoneDeletes = new ConcurrentHashMap<>();
  private final List<String> stuck = new ArrayList<>();
  private final List<String> fiveHundredSamples = new ArrayList<>();
  private final List<String> anomalySamples = new ArrayList<>();
  final LongAdder crashes = new LongAdder();
  final LongAdder unexpectedExits = new LongAdder();
  final LongAdder checked = new LongAdder();
  final LongAdder ambiguous = new LongAdder();
  final LongAdder fiveHundredsInRestartWindows = new LongAdder();
  final LongAdder fiveHundredsOutside = new LongAdder();
  final LongAdder anomalies = new LongAdder();
  final LongAdder checkErrors = new LongAdder();

  SoakStats() {
    this(System.nanoTime());
  }

  /**
   * Counts kept apart from another set's (one check's losses, say) that still log on its clock, so
   * their lines interleave in time order.
   */
  SoakStats(SoakStats clockOf) {
    this(clockOf.startNanos);
  }

  private SoakStats(long startNanos) {
    this.startNanos = startNanos;
  }

  void count(String operation) {
    operations.computeIfAbsent(operation, k -> new LongAdder()).increment();
  }

  long operations(String operation) {
    LongAdder n = operations.get(operation);
    return n == null ? 0 : n.sum();
  }

  /** An acknowledged write the server no longer has (or serves wrong); counted once per key. */
  void lost(String key, String detail) {
    if (lost.putIfAbsent(key, detail) == null) {
      log("LOST " + key + ": " + detail);
    }
  }

  /** An acknowledged delete whose object came back. */
  void undoneDelete(String key, String detail) {
    if (undoneDeletes.putIfAbsent(key, detail) == null) {
      log("DELETE UNDONE " + key + ": " + detail);
    }
  }

  /** An upload session that answered 5xx to every try of a request, with the server up. */
  synchronized void stuck(String detail) {
    stuck.add(detail);
    log("STUCK SESSION " + detail);
  }

  /** A 5xx answer; {@code inRestartWindow}: while the server was (re)starting. */
  void fiveHundred(boolean inRestartWindow, String request, String answer) {
    if (inRestartWindow) {
      fiveHundredsInRestartWindows.increment();
      return;
    }
    fiveHundredsOutside.increment();
    synchronized (this) {
      if (fiveHundredSamples.size() < SAMPLES) {
        fiveHundredSamples.add(elapsed() + " " + request + " -> " + answer);
      }
    }
  }

  /** An answer the protocol does not allow here (not a loss, but worth reading). */
  void anomaly(String detail) {
    anomalies.increment();
    synchronized (this) {
      if (anomalySamples.size() < SAMPLES) {
        anomalySamples.add(elapsed() + " " + detail);
        log("anomaly: " + detail);
      }
    }
  }

  /** A check that could not be made (the server kept failing the read): counted as a failure. */
  void checkError(String detail) {
    checkErrors.increment();
    log("CHECK ERROR " + detail);
  }

  int lostCount() {
    return lost.size();
  }

  int undoneDeleteCount() {
    return undoneDeletes.size();
  }

  synchronized int stuckCount() {
    return stuck.size();
  }

  String elapsed() {
    double s = (System.nanoTime() - startNanos) / 1e9;
    return String.format(Locale.ROOT, "[%4d:%02d]", (long) s / 60, (long) s % 60);
  }

  void log(String line) {
    System.out.println(elapsed() + " " + line);
    System.out.flush();
  }

  synchronized void print(PrintStream out) {
    printOperations(out);
    out.printf(Locale.ROOT, "crashes injected (kill -9):          %,d%n", crashes.sum());
    out.printf(Locale.ROOT, "server exits not caused by the soak: %,d%n", unexpectedExits.sum());
    out.printf(Locale.ROOT, "writes left ambiguous by a crash:    %,d%n", ambiguous.sum());
    out.printf(Locale.ROOT, "acknowledged writes checked:         %,d%n", checked.sum());
    printLosses(out);
    out.printf(Locale.ROOT, "stuck sessions:                      %,d%n", stuck.size());
    stuck.forEach(s -> out.println("  " + s));
    printAnswers(out);
  }

  // The parts below are also printed alone by soaks without crashes (GcSoak).

  void printOperations(PrintStream out) {
    out.println("operations and events, by kind:");
    operations.forEach((k, v) -> out.printf(Locale.ROOT, "  %-34s %,10d%n", k, v.sum()));
  }

  void printLosses(PrintStream out) {
    out.printf(Locale.ROOT, "lost:                                %,d%n", lost.size());
    lost.forEach((k, v) -> out.println("  " + k + ": " + v));
    out.printf(Locale.ROOT, "acknowledged deletes undone:         %,d%n", undoneDeletes.size());
    undoneDeletes.forEach((k, v) -> out.println("  " + k + ": " + v));
    out.printf(Locale.ROOT, "checks that could not be made:       %,d%n", checkErrors.sum());
  }

  synchronized void printAnswers(PrintStream out) {
    out.printf(
        Locale.ROOT, "5xx outside restart windows:         %,d%n", fiveHundredsOutside.sum());
    fiveHundredSamples.forEach(s -> out.println("  " + s));
    out.printf(
        Locale.ROOT,
        "5xx inside restart windows:          %,d%n",
        fiveHundredsInRestartWindows.sum());
    out.printf(Locale.ROOT, "other unexpected answers:            %,d%n", anomalies.sum());
    anomalySamples.forEach(s -> out.println("  " + s));
  }
}
