package dev.lading.server.http;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.model.ByteRange;
import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.registry.BlobContent;
import dev.lading.core.registry.BlobInfo;
import dev.lading.core.registry.Registry;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * {@code /v2/<name>/blobs/<digest>}: HEAD, GET (whole or one range, or a {@code 307} to a
 * presigned store URL when configured) and DELETE. A blob addressed
 * by digest never changes, so it is cacheable forever and its ETag is its digest.
 */
final class BlobHandler implements ResourceHandler {
  private final Registry registry;
  private final Optional<Duration> redirect;

  BlobHandler(Registry registry, Optional<Duration> redirect) {
    this.registry = registry;
    this.redirect = redirect;
  }

  @Override
  public void handle(Exchange exchange) throws IOException {
    RepositoryName repo = exchange.repository();
    Digest digest = Digest.parse(exchange.param());
    if (HttpMethod.DELETE.equals(exchange.method())) {
      registry.deleteBlob(repo, digest);
      exchange.respond(HttpResponseStatus.ACCEPTED, Exchange.headers());
      return;
    }
    if (redirect.isPresent() && HttpMethod.GET.equals(exchange.method())) {
      // HEAD is never redirected: clients use it to decide whether to push, and it costs S3
      // nothing extra here. The client re-sends its Range to the Location, which S3 honours.
      Optional<URI> location = registry.blobRedirect(repo, digest, redirect.get());
      if (location.isPresent()) {
        HttpHeaders headers = Exchange.headers();
        headers.set("Docker-Content-Digest", digest.toString());
        headers.set(HttpHeaderNames.LOCATION, location.get().toASCIIString());
        headers.set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        exchange.respond(HttpResponseStatus.TEMPORARY_REDIRECT, headers);
        return;
      }
    }
    // HEAD answers what a pusher relies on to skip an upload (GC's fence takes part); GET is a
    // pull, which a running collection never makes fail.
    BlobInfo blob = exchange.isHead() ? registry.statBlob(repo, digest) : registry.statBlobForRead(repo, digest);
    String etag = "\"" + digest + "\"";
    HttpHeaders headers = Exchange.headers();
    headers.set("Docker-Content-Digest", digest.toString());
    headers.set(HttpHeaderNames.ETAG, etag);
    headers.set(HttpHeaderNames.CACHE_CONTROL, "max-age=31536000, immutable");
    headers.set(HttpHeaderNames.ACCEPT_RANGES, "bytes");
    headers.set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream");

    Optional<ByteRange> range = Optional.empty();
    String rangeHeader = exchange.header(HttpHeaderNames.RANGE);
    if (rangeHeader != null && ifRangeAllows(exchange.header(HttpHeaderNames.IF_RANGE), etag)) {
      try {
        range = ByteRangeHeader.resolve(rangeHeader, blob.size());
      } catch (RegistryException e) {
        throw e.withHeader(HttpHeaderNames.CONTENT_RANGE.toString(), "bytes */" + blob.size());
      }
    }
    HttpResponseStatus status = HttpResponseStatus.OK;
    long length = blob.size();
    if (range.isPresent()) {
      ByteRange r = range.get();
      status = HttpResponseStatus.PARTIAL_CONTENT;
      length = r.length();
      headers.set(HttpHeaderNames.CONTENT_RANGE, "bytes " + r.first() + "-" + r.last() + "/" + blob.size());
    }
    headers.set(HttpHeaderNames.CONTENT_LENGTH, length);
    if (exchange.isHead()) {
      exchange.respond(status, headers);
      return;
    }
    BlobContent content = registry.openBlob(repo, digest, range);
    if (content.source().length() != length) {
      content.close();
      throw ErrorCode.BLOB_UNKNOWN.exception("blob changed while being opened");
    }
    exchange.respondBlob(status, headers, content.source());
  }

  /**
   * RFC 9110 §13.1.5: the range applies only when {@code If-Range} is absent or names the current
   * representation by strong ETag. A date never matches: a blob has no modification time worth
   * comparing, and answering the whole blob is the safe side of that rule.
   */
  private static boolean ifRangeAllows(String ifRange, String etag) {
    return ifRange == null || ifRange.strip().equals(etag);
  }
}
