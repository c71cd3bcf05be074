package dev.lading.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Collects measurements as they come (printing each at once, so a long run shows progress) and
 * prints the side-by-side table at the end: one row per scenario and metric, one column per target,
 * and the ratio Lading / Distribution.
 */
final class Results {

  static final String LADING = "lading";
  static final String DISTRIBUTION = "distribution";
  static final String MACHINE = "machine";

  private final List<Measurement> all = new ArrayList<>();
  private final PrintStream out;
  private boolean groupedByScenario;

  Results(PrintStream out) {
    this.out = out;
  }

  /**
   * Prints each scenario's rows together, in the order scenarios first appeared, even when a
   * scenario gets rows late in the run (a pass that runs after all the others).
   */
  Results groupedByScenario() {
    groupedByScenario = true;
    return this;
  }

  void add(Measurement m) {
    all.add(m);
    out.printf(
        Locale.ROOT,
        "  [%s] %s / %s: %s %s%s%n",
        m.target(),
        m.scenario(),
        m.metric(),
        m.isUnavailable() ? "n/a (" + m.unavailableReason() + ")" : m.unit().format(m.value()),
        m.isUnavailable() ? "" : m.unit().label(),
        m.isFailure() ? " (" + m.note() + ")" : "");
    out.flush();
  }

  void printTable() {
    List<Measurement> machine = all.stream().filter(m -> m.target().equals(MACHINE)).toList();
    if (!machine.isEmpty()) {
      out.println();
      out.println("Machine ceilings (1 MB = 10^6 bytes)");
      String format = "  %-34s %14s %-6s%n";
      for (Measurement m : machine) {
        out.printf(
            Locale.ROOT,
            format,
            m.scenario() + " " + m.metric(),
            m.unit().format(m.value()),
            m.unit().label());
      }
    }
    Map<String, Map<String, Measurement>> rows = new LinkedHashMap<>();
    List<Measurement> ordered = all;
    if (groupedByScenario) {
      Map<String, List<Measurement>> byScenario = new LinkedHashMap<>();
      for (Measurement m : all) {
        byScenario.computeIfAbsent(m.scenario(), k -> new ArrayList<>()).add(m);
      }
      ordered = byScenario.values().stream().flatMap(List::stream).toList();
    }
    for (Measurement m : ordered) {
      if (!m.target().equals(MACHINE)) {
        rows.computeIfAbsent(m.scenario() + "\u0000" + m.metric(), k -> new LinkedHashMap<>())
            .put(m.target(), m);
      }
    }
    if (rows.isEmpty()) {
      return;
    }
    out.println();
    out.println(
        "Registries over loopback (ratio = lading / distribution; the unit says which way is better)");
    String format = "  %-18s %-42s %-7s %14s %14s %8s%n";
    out.printf(Locale.ROOT, format, "scenario", "metric", "unit", LADING, DISTRIBUTION, "ratio");
    out.println("  " + "-".repeat(109));
    for (Map<String, Measurement> row : rows.values()) {
      Measurement any = row.values().iterator().next();
      Measurement lading = row.get(LADING);
      Measurement distribution = row.get(DISTRIBUTION);
      String ratio = "";
      if (lading != null
          && distribution != null
          && !Double.isNaN(lading.value())
          && !Double.isNaN(distribution.value())
          && distribution.value() != 0) {
        ratio = String.format(Locale.ROOT, "%.2f", lading.value() / distribution.value());
      }
      String unit = any.unit().label() + (any.unit().higherIsBetter() ? " +" : " -");
      out.printf(
          Locale.ROOT,
          format,
          any.scenario(),
          any.metric(),
          unit,
          cell(lading),
          cell(distribution),
          ratio);
    }
    out.println("  (+ higher is better, - lower is better)");
    List<Measurement> unavailable = all.stream().filter(Measurement::isUnavailable).toList();
    if (!unavailable.isEmpty()) {
      out.println();
      out.println("Not measured (n/a)");
      for (Measurement m : unavailable) {
        out.printf(
            Locale.ROOT,
            "  [%s] %s / %s: %s%n",
            m.target(),
            m.scenario(),
            m.metric(),
            m.unavailableReason());
      }
    }
    List<Measurement> failures = all.stream().filter(Measurement::isFailure).toList();
    if (!failures.isEmpty()) {
      out.println();
      out.println("Failures");
      for (Measurement m : failures) {
        out.printf(
            Locale.ROOT, "  [%s] %s / %s: %s%n", m.target(), m.scenario(), m.metric(), m.note());
      }
    }
  }

  private static String cell(Measurement m) {
    if (m != null && m.isUnavailable()) {
      return "n/a";
    }
    return m == null ? "-" : m.unit().format(m.value());
  }
}
