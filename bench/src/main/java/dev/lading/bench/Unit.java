package dev.lading.bench;

import java.util.Locale;

/** How a bench number is shown, and which direction is better (for reading the ratio column). */
enum Unit {
  MB_PER_S("MB/s", true),
  REQUESTS_PER_S("req/s", true),
  MILLISECONDS("ms", false),
  MIB("MiB", false),
  CPU_SECONDS("CPU s", false),
  SECONDS("s", false),
  PERCENT("%", true);

  private final String label;
  private final boolean higherIsBetter;

  Unit(String label, boolean higherIsBetter) {
    this.label = label;
    this.higherIsBetter = higherIsBetter;
  }

  String label() {
    return label;
  }

  boolean higherIsBetter() {
    return higherIsBetter;
  }

  String format(double value) {
    if (Double.isNaN(value)) {
      return "FAILED";
    }
    if (this == MILLISECONDS) {
      return String.format(Locale.ROOT, "%.3f", value);
    }
    if (this == CPU_SECONDS || this == SECONDS) {
      return String.format(Locale.ROOT, "%.1f", value);
    }
    return String.format(Locale.ROOT, "%,.0f", value);
  }
}
