package dev.lading.server.http;

/**
 * What the dispatcher reports about each finished request, so metrics are recorded in one
 * place without the HTTP package knowing the metrics library.
 */
public interface RequestMetrics {
  RequestMetrics NONE = new RequestMetrics() {
    @Override
    public void finished(String route, String method, int status, long nanos) {}

    @Override
    public void uploadBytes(long bytes) {}
  };

  /**
   * A request was answered (or its connection failed: {@code status} 0).
   *
   * @param route the API resource ({@code manifest}, {@code blob}...) or the plain path; never a
   *     repository name or digest, so the label's values stay few
   */
  void finished(String route, String method, int status, long nanos);

  /** Body bytes received by an upload request (blob pushes). */
  void uploadBytes(long bytes);
}
