package dev.lading.server.http;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.model.ByteRange;
import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.registry.BlobContent;
import dev.lading.core.registry.BlobInfo;
import dev.lading.core.registry.Registry;
import dev.lading.core.storage.BlobSource;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * {@code /v2/<name>/blobs/<digest>}: HEAD, GET (whole, one range, several ranges as
 * {@code multipart/byteranges}, or a {@code 307} to a presigned store URL when configured) and
 * DELETE. A blob addressed by digest never changes, so it is cacheable forever and its ETag is
 * its digest.
 */
final class BlobHandler implements ResourceHandler {
  private final Registry registry;
  private final Optional<Duration> redirect;
  private final int maxRanges;

  BlobHandler(Registry registry, Optional<Duration> redirect) {
    this(registry, redirect, ByteRangeHeader.DEFAULT_MAX_RANGES);
  }

  /** {@code maxRanges}: the most ranges one request may name ({@code limits.max_ranges}). */
  BlobHandler(Registry registry, Optional<Duration> redirect, int maxRanges) {
    this.registry = registry;
    this.redirect = redirect;
    this.maxRanges = maxRanges;
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
    if (redirect.isPresent() && HttpMethod.GET.equals(exchange.method()) && !asksForSeveralRanges(exchange, digest)) {
      // HEAD is never redirected: clients use it to decide whether to push, and it costs S3
      // nothing extra here. The client re-sends its Range to the Location, which S3 honours for
      // one range; several are served here (S3 answers them with the whole object).
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

    Optional<ByteRangeHeader.Ranges> ranges = Optional.empty();
    String rangeHeader = exchange.header(HttpHeaderNames.RANGE);
    if (rangeHeader != null && ifRangeAllows(exchange.header(HttpHeaderNames.IF_RANGE), etag)) {
      try {
        ranges = ByteRangeHeader.resolve(rangeHeader, blob.size(), maxRanges);
      } catch (RegistryException e) {
        throw e.withHeader(HttpHeaderNames.CONTENT_RANGE.toString(), "bytes */" + blob.size());
      }
    }
    if (ranges.isPresent() && ranges.get().multipart()) {
      respondMultipart(exchange, repo, digest, blob, headers, ranges.get());
      return;
    }
    Optional<ByteRange> range = ranges.map(ByteRangeHeader.Ranges::single);
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
   * Several ranges: {@code 206} with a {@code multipart/byteranges} body of exactly the length
   * announced (a HEAD gets the same headers). The first part is opened to learn what the store
   * gives: a file (the filesystem store) is then opened once more over the range covering every
   * part, and all parts go out of that one descriptor; a stream (S3) is read part by part, one
   * bounded ranged GET each, never the gaps between them.
   */
  private void respondMultipart(
      Exchange exchange,
      RepositoryName repo,
      Digest digest,
      BlobInfo blob,
      HttpHeaders headers,
      ByteRangeHeader.Ranges ranges)
      throws IOException {
    MultipartByteranges body = new MultipartByteranges(ranges.parts(), blob.size());
    headers.set(HttpHeaderNames.CONTENT_TYPE, body.contentType());
    headers.set(HttpHeaderNames.CONTENT_LENGTH, body.contentLength());
    HttpResponseStatus status = HttpResponseStatus.PARTIAL_CONTENT;
    if (exchange.isHead()) {
      exchange.respond(status, headers);
      return;
    }
    ByteRange firstPart = ranges.parts().get(0);
    ByteRange covering = body.covering();
    BlobContent first = opened(registry.openBlob(repo, digest, Optional.of(firstPart)), firstPart);
    PartBytes bytes;
    if (!(first.source() instanceof BlobSource.FileSource file)) {
      bytes = new PartBytes.EachPart(first.source(), part -> openPart(repo, digest, part));
    } else if (covering.equals(firstPart)) {
      bytes = new PartBytes.OneFile(file, firstPart.first());
    } else {
      BlobContent all;
      try (first) {
        all = opened(registry.openBlob(repo, digest, Optional.of(covering)), covering);
      }
      if (all.source() instanceof BlobSource.FileSource coveringFile) {
        bytes = new PartBytes.OneFile(coveringFile, covering.first());
      } else {
        // A store that gave a file for one range and a stream for another: part by part.
        all.close();
        bytes = new PartBytes.EachPart(null, part -> openPart(repo, digest, part));
      }
    }
    exchange.respondParts(status, headers, body, bytes);
  }

  private BlobSource openPart(RepositoryName repo, Digest digest, ByteRange part) {
    return registry.openBlob(repo, digest, Optional.of(part)).source();
  }

  /** {@code content}, checked to hold exactly {@code range}; closed and refused otherwise. */
  private static BlobContent opened(BlobContent content, ByteRange range) throws IOException {
    if (content.source().length() != range.length()) {
      content.close();
      throw ErrorCode.BLOB_UNKNOWN.exception("blob changed while being opened");
    }
    return content;
  }

  /** True when the request names several byte ranges that apply (see {@link #ifRangeAllows}). */
  private static boolean asksForSeveralRanges(Exchange exchange, Digest digest) {
    String range = exchange.header(HttpHeaderNames.RANGE);
    return range != null
        && ByteRangeHeader.asksForSeveral(range)
        && ifRangeAllows(exchange.header(HttpHeaderNames.IF_RANGE), "\"" + digest + "\"");
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
