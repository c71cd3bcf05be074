package dev.lading.server.http;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.model.Digest;
import dev.lading.core.model.DigestAlgorithm;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.UploadId;
import dev.lading.core.registry.BlobInfo;
import dev.lading.core.registry.Registry;
import dev.lading.core.registry.UploadStatus;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Blob uploads: {@code POST /v2/<name>/blobs/uploads/} (monolithic with {@code ?digest=}, mount
 * with {@code ?mount=} and an optional {@code &from=}, otherwise a session; each may name the
 * blob's algorithm ahead with {@code ?digest-algorithm=}) and {@code /v2/<name>/blobs/uploads/<id>}
 * GET, PATCH, PUT, DELETE. Every parameter and header is validated before the first body byte is
 * read; the body streams into the registry through the exchange's bounded hand-off.
 */
final class UploadHandler implements ResourceHandler {
  private final Registry registry;
  private final PolicyGuard policies;

  /**
   * {@code policies} audits and counts an upload a quota refused: before it streamed, or (a chunk
   * of a session, whose digest is unknown until it closes) as soon as its size could fit no quota.
   */
  UploadHandler(Registry registry, PolicyGuard policies) {
    this.registry = registry;
    this.policies = policies;
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
      case "GET" ->
          accepted(exchange, HttpResponseStatus.NO_CONTENT, registry.uploadStatus(repo, id));
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
    Optional<DigestAlgorithm> algorithm = digestAlgorithm(exchange);
    Optional<String> mount = exchange.query("mount").filter(s -> !s.isEmpty());
    Optional<String> digest = exchange.query("digest");
    if (mount.isPresent()) {
      Digest d = sameAlgorithm(Digest.parse(mount.get()), algorithm);
      // A from that is not a repository name (Ollama sends one) is taken as no from at all.
      Optional<RepositoryName> from =
          exchange.query("from").filter(RepositoryName::isValid).map(RepositoryName::parse);
      Optional<BlobInfo> mounted =
          from.isPresent()
              ? mountFrom(exchange, repo, d, from.get())
              : mountFromAnywhereReadable(exchange, repo, d);
      if (mounted.isPresent()) {
        created(exchange, repo, mounted.get().digest());
      } else {
        accepted(exchange, HttpResponseStatus.ACCEPTED, registry.startUpload(repo));
      }
    } else if (digest.isPresent()) {
      Digest d = sameAlgorithm(Digest.parse(digest.get()), algorithm);
      BlobInfo blob;
      try {
        blob = registry.putBlob(repo, d, exchange.body(), bodyLength(exchange, Optional.empty()));
      } catch (RegistryException e) {
        throw policies.quotaRefused(exchange, e);
      }
      created(exchange, repo, blob.digest());
    } else {
      accepted(exchange, HttpResponseStatus.ACCEPTED, registry.startUpload(repo));
    }
  }

  /**
   * {@code ?digest-algorithm=<algorithm>} (distribution-spec, end-4c): the algorithm the client
   * will name the blob by, which clients SHOULD send for any but sha256 so a registry can refuse an
   * algorithm it does not take before a byte moves. One this registry does not take (unknown, or
   * blake3 with {@code digests.allow_blake3} off) is refused as the spec asks for "an unsupported
   * algorithm", {@code 400 DIGEST_INVALID}, before any session exists. The hint changes nothing
   * else: sessions keep SHA-256 state between requests whatever it says, and the closing digest
   * decides (a session closed under another algorithm is read back once at its close).
   */
  private Optional<DigestAlgorithm> digestAlgorithm(Exchange exchange) {
    Optional<String> name = exchange.query(DIGEST_ALGORITHM);
    if (name.isEmpty()) {
      return Optional.empty();
    }
    Optional<DigestAlgorithm> algorithm =
        DigestAlgorithm.fromWireName(name.get()).filter(registry::acceptsAlgorithm);
    if (algorithm.isEmpty()) {
      throw ErrorCode.DIGEST_INVALID
          .exception("unsupported digest algorithm")
          .withDetail(
              Map.of(
                  DIGEST_ALGORITHM,
                  name.get(),
                  "reason",
                  "this registry does not accept digests of that algorithm"));
    }
    return algorithm;
  }

  /**
   * {@code digest} when {@code algorithm} (the request's {@code digest-algorithm}) is absent or
   * names its algorithm; a request that names two algorithms for one blob is refused.
   */
  private static Digest sameAlgorithm(Digest digest, Optional<DigestAlgorithm> algorithm) {
    if (algorithm.isPresent() && algorithm.get() != digest.algorithm()) {
      throw ErrorCode.DIGEST_INVALID
          .exception("digest-algorithm does not match the digest")
          .withDetail(
              Map.of("digest", digest.toString(), DIGEST_ALGORITHM, algorithm.get().wireName()));
    }
    return digest;
  }

  static final String DIGEST_ALGORITHM = "digest-algorithm";

  /** With auth on, a mount needs pull on its source; without it, a plain upload follows. */
  private Optional<BlobInfo> mountFrom(
      Exchange exchange, RepositoryName repo, Digest d, RepositoryName from) {
    return exchange.caller().mayPull(from)
        ? registry.mountBlob(repo, d, Optional.of(from))
        : Optional.empty();
  }

  /**
   * A mount without {@code from} (automatic mount). Auth off: from any repository linking the blob.
   * Auth on: only from a repository the caller may pull, so a blob the caller cannot read is never
   * linked (nor revealed) by knowing its digest. There is no digest-to-repositories index (blob
   * records are per digest, links per repository), and listing the store per request is out, so the
   * candidates are the repositories the caller's token names with pull ({@link
   * RequestAuthorizer.Caller#mountCandidates}), at most {@link #MOUNT_CANDIDATES}, each one link
   * check. When none links the blob the answer is the one for an unknown blob: 202 and a new
   * session, indistinguishable from "not found anywhere".
   */
  private Optional<BlobInfo> mountFromAnywhereReadable(
      Exchange exchange, RepositoryName repo, Digest d) {
    RequestAuthorizer.Caller caller = exchange.caller();
    if (caller.unrestricted()) {
      return registry.mountBlob(repo, d, Optional.empty());
    }
    for (RepositoryName candidate : caller.mountCandidates(MOUNT_CANDIDATES)) {
      if (!caller.mayPull(candidate)) {
        continue;
      }
      Optional<BlobInfo> mounted = registry.mountBlob(repo, d, Optional.of(candidate));
      if (mounted.isPresent()) {
        return mounted;
      }
    }
    return Optional.empty();
  }

  /** How many repositories an automatic mount under auth checks, at most: one link stat each. */
  static final int MOUNT_CANDIDATES = 16;

  private void patch(Exchange exchange, RepositoryName repo, UploadId id) {
    Optional<UploadRangeHeader> range = contentRange(exchange);
    OptionalLong start = range.map(r -> OptionalLong.of(r.start())).orElse(OptionalLong.empty());
    try {
      UploadStatus status =
          registry.appendToUpload(repo, id, start, exchange.body(), bodyLength(exchange, range));
      accepted(exchange, HttpResponseStatus.ACCEPTED, status);
    } catch (RegistryException e) {
      throw withOffset(repo, id, policies.quotaRefused(exchange, e));
    }
  }

  private void put(Exchange exchange, RepositoryName repo, UploadId id) {
    Digest digest =
        Digest.parse(
            exchange
                .query("digest")
                .orElseThrow(
                    () ->
                        ErrorCode.DIGEST_INVALID.exception(
                            "the digest query parameter is required")));
    Optional<UploadRangeHeader> range = contentRange(exchange);
    OptionalLong start = range.map(r -> OptionalLong.of(r.start())).orElse(OptionalLong.empty());
    try {
      BlobInfo blob =
          registry.completeUpload(
              repo, id, digest, start, exchange.body(), bodyLength(exchange, range));
      created(exchange, repo, blob.digest());
    } catch (RegistryException e) {
      throw withOffset(repo, id, policies.quotaRefused(exchange, e));
    }
  }

  /**
   * An out-of-order chunk is answered 416 with where the session stands, so the client can resume.
   */
  private RegistryException withOffset(RepositoryName repo, UploadId id, RegistryException e) {
    if (e.code() != ErrorCode.CHUNK_OUT_OF_ORDER) {
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
      throw ErrorCode.SIZE_INVALID
          .exception("Content-Length does not match Content-Range")
          .withDetail(
              "Content-Length "
                  + declared.getAsLong()
                  + ", Content-Range spans "
                  + range.get().length());
    }
    if (declared.isPresent()) {
      return declared;
    }
    if (range.isPresent()) {
      return OptionalLong.of(range.get().length());
    }
    String te = exchange.header(HttpHeaderNames.TRANSFER_ENCODING);
    return te != null && te.toLowerCase(Locale.ROOT).contains("chunked")
        ? OptionalLong.empty()
        : OptionalLong.of(0);
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
