package dev.lading.bench;

import dev.lading.core.model.Digest;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Map;

/**
 * The distribution-spec operations the bench needs, each on a connection of its own (or one the
 * caller passes in for load loops). Every answer is checked against the status the spec prescribes,
 * so a bench number is never the speed of an error.
 */
final class RegistryClient {

  static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  private static final String OCTETS = "application/octet-stream";

  private final String host;
  private final int port;

  RegistryClient(String host, int port) {
    this.host = host;
    this.port = port;
  }

  HttpConnection connect() throws IOException {
    return new HttpConnection(host, port);
  }

  /** True when {@code GET /v2/} answers at all (200, or 401 from a registry with auth). */
  boolean answers() {
    try (HttpConnection c = connect()) {
      int status = c.exchange("GET", "/v2/", Map.of(), true).status();
      return status == 200 || status == 401;
    } catch (IOException e) {
      return false;
    }
  }

  /** POST to start an upload, then one PUT carrying the whole blob and its digest. */
  void pushMonolithic(String repository, GeneratedBlob blob) throws IOException {
    try (HttpConnection c = connect()) {
      String location = startUpload(c, repository);
      HttpConnection.Response done =
          c.exchange(
              "PUT",
              withDigest(location, blob.digest()),
              Map.of("Content-Type", OCTETS),
              blob.size(),
              out -> blob.writeTo(out, 0, blob.size()),
              true);
      expect(done, 201, "monolithic PUT");
    }
  }

  /** POST, then PATCHes of {@code chunkSize} bytes with Content-Range, then a closing PUT. */
  void pushChunked(String repository, GeneratedBlob blob, long chunkSize) throws IOException {
    try (HttpConnection c = connect()) {
      String location = startUpload(c, repository);
      for (long offset = 0; offset < blob.size(); offset += chunkSize) {
        long start = offset;
        long length = Math.min(chunkSize, blob.size() - offset);
        HttpConnection.Response patched =
            c.exchange(
                "PATCH",
                location,
                Map.of("Content-Type", OCTETS, "Content-Range", start + "-" + (start + length - 1)),
                length,
                out -> blob.writeTo(out, start, length),
                true);
        expect(patched, 202, "PATCH at " + start);
        location = pathOf(patched.header("Location"));
      }
      HttpConnection.Response done =
          c.exchange(
              "PUT",
              withDigest(location, blob.digest()),
              Map.of(),
              0,
              HttpConnection.Body.EMPTY,
              true);
      expect(done, 201, "closing PUT");
    }
  }

  /** Pushes a small blob (a config) in one POST + PUT. */
  void pushSmall(String repository, byte[] content) throws IOException {
    try (HttpConnection c = connect()) {
      String location = startUpload(c, repository);
      HttpConnection.Response done =
          c.exchange(
              "PUT",
              withDigest(location, Digest.sha256(content)),
              Map.of("Content-Type", OCTETS),
              content.length,
              out -> out.write(content),
              true);
      expect(done, 201, "small blob PUT");
    }
  }

  void putManifest(String repository, String tag, byte[] manifest) throws IOException {
    try (HttpConnection c = connect()) {
      HttpConnection.Response put =
          c.exchange(
              "PUT",
              "/v2/" + repository + "/manifests/" + tag,
              Map.of("Content-Type", OCI_MANIFEST),
              manifest.length,
              out -> out.write(manifest),
              true);
      expect(put, 201, "manifest PUT");
    }
  }

  /** GETs a whole blob, discarding it; returns the number of bytes received. */
  long pull(String repository, Digest digest) throws IOException {
    try (HttpConnection c = connect()) {
      HttpConnection.Response got =
          c.exchange("GET", blobPath(repository, digest), Map.of(), false);
      expect(got, 200, "blob GET");
      return got.bodyLength();
    }
  }

  /** GETs bytes {@code [first, last]} of a blob; returns the number of bytes received. */
  long pullRange(String repository, Digest digest, long first, long last) throws IOException {
    try (HttpConnection c = connect()) {
      HttpConnection.Response got =
          c.exchange(
              "GET",
              blobPath(repository, digest),
              Map.of("Range", "bytes=" + first + "-" + last),
              false);
      expect(got, 206, "ranged blob GET");
      if (got.bodyLength() != last - first + 1) {
        throw new IOException(
            "range " + first + "-" + last + " returned " + got.bodyLength() + " bytes");
      }
      return got.bodyLength();
    }
  }

  /**
   * GETs several ranges ({@code [first, last]} pairs) of a blob in one request, reading the {@code
   * multipart/byteranges} answer as it streams; checks it is a 206 whose parts are exactly the
   * ranges asked, in the order asked. Returns the bytes the parts carried.
   */
  long pullRanges(String repository, Digest digest, List<long[]> ranges) throws IOException {
    List<String> asked = ranges.stream().map(r -> r[0] + "-" + r[1]).toList();
    try (HttpConnection c = connect()) {
      MultipartParts parts = new MultipartParts();
      HttpConnection.Response got =
          c.exchange(
              "GET",
              blobPath(repository, digest),
              Map.of("Range", "bytes=" + String.join(",", asked)),
              parts);
      expect(got, 206, "multi-range blob GET");
      String type = got.header("Content-Type");
      if (type == null
          || !type.startsWith("multipart/byteranges")
          || !parts.complete()
          || !type.contains("boundary=" + parts.boundary())) {
        throw new IOException(
            "multi-range GET answered " + type + ", body complete: " + parts.complete());
      }
      if (!parts.ranges().equals(asked)) {
        throw new IOException("multi-range GET answered parts " + parts.ranges() + " for " + asked);
      }
      return parts.payloadBytes();
    }
  }

  static String blobPath(String repository, Digest digest) {
    return "/v2/" + repository + "/blobs/" + digest;
  }

  static String manifestPath(String repository, String tag) {
    return "/v2/" + repository + "/manifests/" + tag;
  }

  private static String startUpload(HttpConnection c, String repository) throws IOException {
    HttpConnection.Response started =
        c.exchange("POST", "/v2/" + repository + "/blobs/uploads/", Map.of(), true);
    expect(started, 202, "upload POST");
    return pathOf(started.header("Location"));
  }

  static String withDigest(String location, Digest digest) {
    return location + (location.contains("?") ? "&" : "?") + "digest=" + digest;
  }

  /** A Location may be absolute or relative; the bench always talks to the same server. */
  static String pathOf(String location) throws IOException {
    if (location == null || location.isEmpty()) {
      throw new IOException("answer without a Location header");
    }
    URI uri = URI.create(location);
    String path = uri.getRawPath();
    return uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
  }

  static void expect(HttpConnection.Response response, int status, String what) throws IOException {
    if (response.status() != status) {
      throw new IOException(what + ": expected " + status + ", got " + response);
    }
  }
}
