package dev.lading.server.http;

/**
 * What the dispatcher reports about each finished request, so metrics are recorded in one place
 * without the HTTP package knowing the metrics library.
 */
public interface RequestMetrics {
  RequestMetrics NONE =
      new RequestMetrics() {
        @Override
        public void finished(String route, String method, int status, long nanos) {}

        @Override
        public void uploadBytes(long bytes) {}
      };

  /**
   * An upload request (a POST, PATCH or PUT of an upload) was routed; {@link #uploadFinished}
   * follows.
   */
  default void uploadStarted() {}

  /** The upload request {@link #uploadStarted} announced was answered or failed. */
  default void uploadFinished() {}

  /**
   * A request was answered (or its connection failed: {@code status} 0).
   *
   * @param route the API route's template ({@code /v2/{name}/manifests/{reference}}, see {@link
   *     RouteLabels}) or the plain path; never a repository name or digest, so the label's values
   *     stay few
   */
  void finished(String route, String method, int status, long nanos);

  /** Body bytes received by an upload request (blob pushes). */
  void uploadBytes(long bytes);

  /**
   * A push ({@code action} {@code push}) or delete ({@code delete}) refused because it would move
   * or delete an immutable tag, or asked for an override it may not have ({@code override}).
   */
  default void immutableTagRefused(String action) {}

  /** An immutable tag moved ({@code push}) or deleted ({@code delete}) under a granted override. */
  default void immutableTagOverridden(String action) {}

  /** A manifest push refused because it would take a quota ({@code policies.quotas}) past it. */
  default void quotaRefused(String quota) {}
}
