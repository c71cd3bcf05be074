package dev.lading.server.http;

import io.netty.handler.codec.http.HttpMethod;
import java.util.Set;

/**
 * The values metrics and logs use to say which route and method a request took: the route's
 * template ({@code /v2/{name}/manifests/{reference}}), never a repository name, digest or upload
 * id, so a label has a dozen values whatever the traffic; and the method, with anything a client
 * invents folded into {@code OTHER}.
 */
public final class RouteLabels {
  /** A request no route matched (404, a 400 for a malformed head, a 503 at the ceiling). */
  public static final String UNMATCHED = "unmatched";

  private static final Set<String> METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

  private RouteLabels() {}

  /** The template of an API route. */
  public static String of(Routes.Resource resource) {
    return switch (resource) {
      case BASE -> "/v2/";
      case CATALOG -> "/v2/_catalog";
      case TAGS -> "/v2/{name}/tags/list";
      case MANIFEST -> "/v2/{name}/manifests/{reference}";
      case BLOB -> "/v2/{name}/blobs/{digest}";
      case UPLOADS -> "/v2/{name}/blobs/uploads/";
      case UPLOAD -> "/v2/{name}/blobs/uploads/{uuid}";
      case REFERRERS -> "/v2/{name}/referrers/{digest}";
      case FILES -> FileRoutes.LABEL;
      case SIGNED_BLOB -> SignedBlobUrls.LABEL;
    };
  }

  /** The method as a label value. */
  public static String method(HttpMethod method) {
    String name = method.name();
    return METHODS.contains(name) ? name : "OTHER";
  }

  /**
   * True for the requests that carry an upload's bytes or start one (counted as uploads in flight).
   */
  static boolean isUpload(Routes.Match match) {
    return match.resource() == Routes.Resource.UPLOADS
        || match.resource() == Routes.Resource.UPLOAD
            && (HttpMethod.PATCH.equals(match.method()) || HttpMethod.PUT.equals(match.method()));
  }
}
