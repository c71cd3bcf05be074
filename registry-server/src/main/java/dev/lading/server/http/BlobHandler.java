package dev.lading.server.http;

import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
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
 * {@code /v2/<name>/blobs/<digest>}: HEAD, GET (whole, one range, several ranges as {@code
 * multipart/byteranges}, or a {@code 307} to a presigned store URL when configured) and DELETE. A
 * blob addressed by digest never changes, so it is cacheable forever and its ETag is its digest.
 */
final class BlobHandler implements ResourceHandler {
  private final Registry registry;
  private final Optional<Duration> redirect;
  private final BlobDownload download;
  private final SignedBlobUrls signed;

  BlobHandler(Registry registry, Optional<Duration> redirect) {
    this(registry, redirect, ByteRangeHeader.DEFAULT_MAX_RANGES);
  }

  /** {@code maxRanges}: the most ranges one request may name ({@code limits.max_ranges}). */
  BlobHandler(Registry registry, Optional<Duration> redirect, int maxRanges) {
    this(registry, redirect, maxRanges, new SignedBlobUrls());
  }

  /**
   * {@code signed}: issues the URLs clients that need a redirect are sent to (see {@link
   * #needsRedirect}).
   */
  BlobHandler(
      Registry registry, Optional<Duration> redirect, int maxRanges, SignedBlobUrls signed) {
    this.registry = registry;
    this.redirect = redirect;
    this.download = new BlobDownload(registry, maxRanges);
    this.signed = signed;
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
    if (redirect.isPresent()
        && HttpMethod.GET.equals(exchange.method())
        && !BlobDownload.asksForSeveralRanges(exchange, digest)) {
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
    if (needsRedirect(exchange) && !BlobDownload.asksForSeveralRanges(exchange, digest)) {
      registry.statBlobForRead(repo, digest); // an unknown blob is a 404 here, not at the location
      HttpHeaders headers = Exchange.headers();
      headers.set("Docker-Content-Digest", digest.toString());
      headers.set(HttpHeaderNames.LOCATION, signed.issue(repo, digest));
      headers.set(HttpHeaderNames.CACHE_CONTROL, "no-store");
      exchange.respond(HttpResponseStatus.TEMPORARY_REDIRECT, headers);
      return;
    }
    HttpHeaders headers = Exchange.headers();
    headers.set(HttpHeaderNames.CACHE_CONTROL, "max-age=31536000, immutable");
    download.serve(exchange, repo, digest, headers);
  }

  /**
   * Whether this client needs its blob GET answered with a {@code 307} even without a store that
   * presigns: ollama ({@code User-Agent: ollama/<version> ...}, ollama {@code server/images.go}
   * {@code makeRequest}), which fails on a {@code 200} (see {@link SignedBlobUrls}). Every other
   * client gets the blob itself, as before.
   */
  static boolean needsRedirect(Exchange exchange) {
    String agent = exchange.header(HttpHeaderNames.USER_AGENT);
    return HttpMethod.GET.equals(exchange.method())
        && agent != null
        && agent.regionMatches(true, 0, "ollama/", 0, 7);
  }
}
