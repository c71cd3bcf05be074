package dev.lading.server.http;

import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.UploadId;

/**
 * Every URL the server hands out, in one place. Written relative to the host; a {@code Location} is
 * made absolute as the response leaves ({@code Exchange}), at the origin the client used (or the
 * trusted proxy's forwarded one), so it works behind any proxy and on any instance (an upload's
 * state lives in the store, not in this process). Names, digests and upload ids are validated
 * values made of URL-safe characters only.
 */
final class Locations {
  private Locations() {}

  static String blob(RepositoryName repo, Digest digest) {
    return "/v2/" + repo + "/blobs/" + digest;
  }

  static String upload(RepositoryName repo, UploadId id) {
    return "/v2/" + repo + "/blobs/uploads/" + id;
  }

  static String manifest(RepositoryName repo, Digest digest) {
    return "/v2/" + repo + "/manifests/" + digest;
  }

  static String tags(RepositoryName repo) {
    return "/v2/" + repo + "/tags/list";
  }

  static String catalog() {
    return "/v2/_catalog";
  }
}
