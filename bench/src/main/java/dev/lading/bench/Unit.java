package dev.lading.bench;

import java.util.Locale;

/** How a bench number is shown, and which direction is better (for reading the ratio column). */
enum Unit {
  MB_PER_S("MB/s", true),
  REQUESTS_PER_S("req/s", true),
  IMAGES_PER_S("img/s", true),
  MILLISECONDS("ms", false),
  MIB("MiB", false),
  CPU_SECONDS("CPU s", false),
  CPU_MILLISECONDS("CPU ms", false),
  /** An average count (requests, system calls) per image or per request. */
  COUNT("count", false),
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
    if (this == MILLISECONDS || this == CPU_MILLISECONDS) {
      return String.format(Locale.ROOT, "%.3f", value);
    }
    if (this == COUNT) {
      return String.format(Locale.ROOT, "%,.2f", value);
    }
    if (this == IMAGES_PER_S) {
      return String.format(Locale.ROOT, "%,.1f", value);
    }
    if (this == CPU_SECONDS || this == SECONDS) {
      return String.format(Locale.ROOT, "%.1f", value);
    }
    return String.format(Locale.ROOT, "%,.0f", value);
  }
}
