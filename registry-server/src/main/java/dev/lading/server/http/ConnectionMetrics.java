package dev.lading.server.http;

/**
 * What connections report, so the metrics are recorded in one place without the HTTP package
 * knowing the metrics library (as {@link RequestMetrics} does for requests).
 */
public interface ConnectionMetrics {
  ConnectionMetrics NONE =
      new ConnectionMetrics() {
        @Override
        public void timedOut(String kind) {}

        @Override
        public void refused() {}
      };

  /**
   * A connection was closed because it kept the server waiting: {@code header}, {@code idle} or
   * {@code body_stall}.
   */
  void timedOut(String kind);

  /** A connection beyond the ceiling was answered 503 instead of served. */
  void refused();
}
