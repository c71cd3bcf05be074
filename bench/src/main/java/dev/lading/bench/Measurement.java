package dev.lading.bench;

import java.util.List;

/**
 * One number a scenario produced for one target; {@code NaN} with a note when it failed, so one
 * broken scenario does not hide the others.
 */
record Measurement(
    String target, String scenario, String metric, double value, Unit unit, String note) {

  static final double MEGABYTE = 1_000_000.0;

  static Measurement of(String target, String scenario, String metric, double value, Unit unit) {
    return new Measurement(target, scenario, metric, value, unit, "");
  }

  static Measurement failed(String target, String scenario, String metric, Unit unit, String why) {
    return new Measurement(target, scenario, metric, Double.NaN, unit, why);
  }

  static double megabytesPerSecond(long bytes, long nanos) {
    return bytes / MEGABYTE / (nanos / 1e9);
  }

  /** The median of {@code values} (the mean of the middle two for an even count). */
  static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  boolean isFailure() {
    return Double.isNaN(value);
  }
}
