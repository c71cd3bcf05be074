package dev.lading.bench;

import java.util.List;

/**
 * One number a scenario produced for one target; {@code NaN} with a note when it failed, so one
 * broken scenario does not hide the others.
 */
record Measurement(
    String target, String scenario, String metric, double value, Unit unit, String note) {

  static final double MEGABYTE = 1_000_000.0;
  private static final String NOT_AVAILABLE = "n/a: ";

  static Measurement of(String target, String scenario, String metric, double value, Unit unit) {
    return new Measurement(target, scenario, metric, value, unit, "");
  }

  static Measurement failed(String target, String scenario, String metric, Unit unit, String why) {
    return new Measurement(target, scenario, metric, Double.NaN, unit, why);
  }

  /**
   * A number this run could not measure at all, for a reason that is no failure (a tool absent).
   */
  static Measurement unavailable(
      String target, String scenario, String metric, Unit unit, String why) {
    return new Measurement(target, scenario, metric, Double.NaN, unit, NOT_AVAILABLE + why);
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

  /**
   * The nearest-rank {@code q} quantile (0 < q <= 1) of {@code sorted}, ascending: the smallest
   * value with at least {@code q} of the values at or below it, so the p99 of 200 samples is the
   * 198th, never an interpolation between two samples.
   */
  static long percentile(long[] sorted, double q) {
    if (sorted.length == 0) {
      throw new IllegalArgumentException("no values");
    }
    int index = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
    return sorted[Math.max(0, index)];
  }

  boolean isFailure() {
    return Double.isNaN(value) && !isUnavailable();
  }

  boolean isUnavailable() {
    return Double.isNaN(value) && note.startsWith(NOT_AVAILABLE);
  }

  /** Why an unavailable number is not there. */
  String unavailableReason() {
    return note.substring(NOT_AVAILABLE.length());
  }
}
