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
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Sends a blob's bytes: HEAD, the whole blob, one range, or several as {@code
 * multipart/byteranges}, zero-copy from a file where the store gives one. The one place blob bytes
 * leave the server, shared by {@code /v2/<name>/blobs/<digest>}, the files endpoint ({@code
 * /files/<name>/-/<reference>/<path>}) and the signed blob URLs, so every way to read a blob
 * answers ranges, {@code If-Range} and errors alike.
 */
final class BlobDownload {
  private final Registry registry;
  private final int maxRanges;

  /** {@code maxRanges}: the most ranges one request may name ({@code limits.max_ranges}). */
  BlobDownload(Registry registry, int maxRanges) {
    this.registry = registry;
    this.maxRanges = maxRanges;
  }

  /** The blob's strong ETag: its digest, quoted. */
  static String etag(Digest digest) {
    return "\"" + digest + "\"";
  }

  /**
   * Answers the exchange with the blob. {@code headers} are the caller's representation headers
   * ({@code Content-Type}, {@code Cache-Control}, {@code Content-Disposition}...); a missing {@code
   * Content-Type} is {@code application/octet-stream}. The digest, ETag and {@code Accept-Ranges}
   * are added here.
   */
  void serve(Exchange exchange, RepositoryName repo, Digest digest, HttpHeaders headers)
      throws IOException {
    // HEAD answers what a pusher relies on to skip an upload (GC's fence takes part); GET is a
    // pull, which a running collection never makes fail.
    BlobInfo blob =
        exchange.isHead()
            ? registry.statBlob(repo, digest)
            : registry.statBlobForRead(repo, digest);
    String etag = etag(digest);
    headers.set("Docker-Content-Digest", digest.toString());
    headers.set(HttpHeaderNames.ETAG, etag);
    headers.set(HttpHeaderNames.ACCEPT_RANGES, "bytes");
    if (!headers.contains(HttpHeaderNames.CONTENT_TYPE)) {
      headers.set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream");
    }

    Optional<ByteRangeHeader.Ranges> ranges = Optional.empty();
    String rangeHeader = exchange.header(HttpHeaderNames.RANGE);
    if (rangeHeader != null && ifRangeAllows(exchange.header(HttpHeaderNames.IF_RANGE), etag)) {
      try {
        ranges = ByteRangeHeader.resolve(rangeHeader, blob.size(), maxRanges);
      } catch (RegistryException e) {
        throw e.withHeader(HttpHeaderNames.CONTENT_RANGE.toString(), "bytes */" + blob.size());
      }
    }
    ranges.ifPresent(r -> exchange.noteRangesServed(r.parts().size()));
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
      headers.set(
          HttpHeaderNames.CONTENT_RANGE, "bytes " + r.first() + "-" + r.last() + "/" + blob.size());
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
   * announced (a HEAD gets the same headers). The first part's read is opened to learn what the
   * store gives: a file (the filesystem store) is then opened once more over the range covering
   * every part, and all parts go out of that one descriptor; a stream (S3) is read in bounded
   * ranged reads, one per group of nearby parts ({@link PartGroups}: gaps under 64 KiB, 8 MiB at
   * most), the first being that first read; farther apart, never the bytes between them.
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
    List<ByteRange> groups = PartGroups.plan(ranges.parts());
    ByteRange firstRead = groups.get(0);
    ByteRange covering = body.covering();
    BlobContent first = opened(registry.openBlob(repo, digest, Optional.of(firstRead)), firstRead);
    PartBytes bytes;
    if (!(first.source() instanceof BlobSource.FileSource file)) {
      bytes = new PartBytes.EachPart(first.source(), groups, part -> openPart(repo, digest, part));
    } else if (covering.equals(firstRead)) {
      bytes = new PartBytes.OneFile(file, firstRead.first());
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
        bytes =
            new PartBytes.EachPart(
                null, PartGroups.eachAlone(ranges.parts()), part -> openPart(repo, digest, part));
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
  static boolean asksForSeveralRanges(Exchange exchange, Digest digest) {
    String range = exchange.header(HttpHeaderNames.RANGE);
    return range != null
        && ByteRangeHeader.asksForSeveral(range)
        && ifRangeAllows(exchange.header(HttpHeaderNames.IF_RANGE), etag(digest));
  }

  /**
   * RFC 9110 §13.1.5: the range applies only when {@code If-Range} is absent or names the current
   * representation by strong ETag. A date never matches: a blob has no modification time worth
   * comparing, and answering the whole blob is the safe side of that rule.
   */
  static boolean ifRangeAllows(String ifRange, String etag) {
    return ifRange == null || ifRange.strip().equals(etag);
  }
}
