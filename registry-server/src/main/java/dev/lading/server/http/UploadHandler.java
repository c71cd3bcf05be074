package dev.lading.server.http;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.UploadId;
import dev.lading.core.registry.BlobInfo;
import dev.lading.core.registry.Registry;
import dev.lading.core.registry.UploadStatus;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Blob uploads: {@code POST /v2/<name>/blobs/uploads/} (monolithic with {@code ?digest=}, mount
 * with {@code ?mount=&from=}, otherwise a session) and {@code /v2/<name>/blobs/uploads/<id>}
 * GET, PATCH, PUT, DELETE. Every parameter and header is validated before the first body byte
 * is read; the body streams into the registry through the exchange's bounded hand-off.
 */
final class UploadHandler implements ResourceHandler {
  private final Registry registry;

  UploadHandler(Registry registry) {
    this.registry = registry;
  }

  @Override
  public void handle(Exchange exchange) throws Exception {
    RepositoryName repo = exchange.repository();
    if (exchange.match().resource() == Routes.Resource.UPLOADS) {
      post(exchange, repo);
      return;
    }
    UploadId id = UploadId.parse(exchange.param());
    switch (exchange.method().name()) {
      case "GET" -> accepted(exchange, HttpResponseStatus.NO_CONTENT, registry.uploadStatus(repo, id));
      case "PATCH" -> patch(exchange, repo, id);
      case "PUT" -> put(exchange, repo, id);
      case "DELETE" -> {
        registry.cancelUpload(repo, id);
        exchange.respond(HttpResponseStatus.NO_CONTENT, Exchange.headers());
      }
      default -> throw new IllegalStateException("routed " + exchange.method() + " to uploads");
    }
  }

  private void post(Exchange exchange, RepositoryName repo) {
    Optional<String> mount = exchange.query("mount").filter(s -> !s.isEmpty());
    Optional<String> digest = exchange.query("digest");
    if (mount.isPresent()) {
      Digest d = Digest.parse(mount.get());
      Optional<RepositoryName> from = exchange.query("from").filter(s -> !s.isEmpty()).map(RepositoryName::parse);
      // With auth on, a mount needs pull on its source, and a mount without a source (which
      // would link the blob from ANY repository) is not offered: both become plain uploads,
      // as the spec allows, so an unreadable blob cannot be linked by knowing its digest.
      boolean mayMount = from.isPresent() ? exchange.caller().mayPull(from.get()) : exchange.caller().unrestricted();
      Optional<BlobInfo> mounted = mayMount ? registry.mountBlob(repo, d, from) : Optional.empty();
      if (mounted.isPresent()) {
        created(exchange, repo, mounted.get().digest());
      } else {
        accepted(exchange, HttpResponseStatus.ACCEPTED, registry.startUpload(repo));
      }
    } else if (digest.isPresent()) {
      Digest d = Digest.parse(digest.get());
      BlobInfo blob = registry.putBlob(repo, d, exchange.body(), bodyLength(exchange, Optional.empty()));
      created(exchange, repo, blob.digest());
    } else {
      accepted(exchange, HttpResponseStatus.ACCEPTED, registry.startUpload(repo));
    }
  }

  private void patch(Exchange exchange, RepositoryName repo, UploadId id) {
    Optional<UploadRangeHeader> range = contentRange(exchange);
    OptionalLong start = range.map(r -> OptionalLong.of(r.start())).orElse(OptionalLong.empty());
    try {
      UploadStatus status =
          registry.appendToUpload(repo, id, start, exchange.body(), bodyLength(exchange, range));
      accepted(exchange, HttpResponseStatus.ACCEPTED, status);
    } catch (RegistryException e) {
      throw withOffset(repo, id, e);
    }
  }

  private void put(Exchange exchange, RepositoryName repo, UploadId id) {
    Digest digest = Digest.parse(exchange.query("digest").orElseThrow(
        () -> ErrorCode.DIGEST_INVALID.exception("the digest query parameter is required")));
    Optional<UploadRangeHeader> range = contentRange(exchange);
    OptionalLong start = range.map(r -> OptionalLong.of(r.start())).orElse(OptionalLong.empty());
    try {
      BlobInfo blob = registry.completeUpload(
          repo, id, digest, start, exchange.body(), bodyLength(exchange, range));
      created(exchange, repo, blob.digest());
    } catch (RegistryException e) {
      throw withOffset(repo, id, e);
    }
  }

  /** An out-of-order chunk is answered 416 with where the session stands, so the client can resume. */
  private RegistryException withOffset(RepositoryName repo, UploadId id, RegistryException e) {
    if (e.code() != ErrorCode.RANGE_INVALID) {
      return e;
    }
    UploadStatus status;
    try {
      status = registry.uploadStatus(repo, id);
    } catch (RegistryException gone) {
      return e; // The session ended meanwhile; the 416 alone still tells the truth.
    }
    return e.withHeader(HttpHeaderNames.LOCATION.toString(), Locations.upload(repo, id))
        .withHeader(HttpHeaderNames.RANGE.toString(), rangeOf(status))
        .withHeader("Docker-Upload-UUID", id.value());
  }

  private static Optional<UploadRangeHeader> contentRange(Exchange exchange) {
    String header = exchange.header(HttpHeaderNames.CONTENT_RANGE);
    return header == null ? Optional.empty() : Optional.of(UploadRangeHeader.parse(header));
  }

  /**
   * The body's length when known: {@code Content-Length}, else the {@code Content-Range}'s span,
   * else unknown for a chunked body, else zero (a request without either has no body).
   */
  private static OptionalLong bodyLength(Exchange exchange, Optional<UploadRangeHeader> range) {
    OptionalLong declared = exchange.contentLength();
    if (declared.isPresent() && range.isPresent() && declared.getAsLong() != range.get().length()) {
      throw ErrorCode.SIZE_INVALID.exception("Content-Length does not match Content-Range")
          .withDetail("Content-Length " + declared.getAsLong() + ", Content-Range spans " + range.get().length());
    }
    if (declared.isPresent()) {
      return declared;
    }
    if (range.isPresent()) {
      return OptionalLong.of(range.get().length());
    }
    String te = exchange.header(HttpHeaderNames.TRANSFER_ENCODING);
    return te != null && te.toLowerCase(java.util.Locale.ROOT).contains("chunked")
        ? OptionalLong.empty() : OptionalLong.of(0);
  }

  private static void created(Exchange exchange, RepositoryName repo, Digest digest) {
    HttpHeaders headers = Exchange.headers();
    headers.set(HttpHeaderNames.LOCATION, Locations.blob(repo, digest));
    headers.set("Docker-Content-Digest", digest.toString());
    exchange.respond(HttpResponseStatus.CREATED, headers);
  }

  private static void accepted(Exchange exchange, HttpResponseStatus status, UploadStatus upload) {
    HttpHeaders headers = Exchange.headers();
    headers.set(HttpHeaderNames.LOCATION, Locations.upload(upload.repository(), upload.id()));
    headers.set(HttpHeaderNames.RANGE, rangeOf(upload));
    headers.set("Docker-Upload-UUID", upload.id().value());
    exchange.respond(status, headers);
  }

  /** {@code 0-<offset-1>}, and {@code 0-0} for an empty session as Distribution answers. */
  static String rangeOf(UploadStatus upload) {
    return "0-" + Math.max(0, upload.offset() - 1);
  }
}
