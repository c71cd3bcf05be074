package dev.lading.server.http;

import static io.netty.handler.codec.http.HttpMethod.GET;
import static io.netty.handler.codec.http.HttpMethod.HEAD;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.registry.StoreSigningKey;
import dev.lading.core.storage.ObjectStore;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Short-lived blob URLs of Lading's own, for clients that insist on a redirect before they read a
 * blob: {@code /signed/<repository>/-/<digest>?expires=<epoch seconds>&signature=<base64url>}. The
 * signature is HMAC-SHA256 over the repository, the digest and the expiry, compared in constant
 * time. The key is kept in the store ({@code auth/url-signing-key}, created by the first instance
 * that needs it, see {@link #shared}), so a URL one instance issued is good on every instance
 * behind the same load balancer and across restarts, until it expires. Such a URL is the
 * authorization: it needs no {@code Authorization} header (the dispatcher does not ask the
 * authorizer for this route), and it was only issued to a caller allowed to pull the blob.
 *
 * <p>Why: {@code ollama pull} takes the blob's {@code GET} answer's {@code Location} as a "direct
 * URL" and fetches its parts from there with plain, unauthenticated ranged GETs (ollama {@code
 * server/download.go}, {@code blobDownload.run} and {@code downloadChunk}); on a {@code 200}
 * without {@code Location} it fails with "no Location header in response" (ollama issue #7244). It
 * also follows a redirect to the same host name itself, so the signed URL's own answers carry
 * {@code Location: <themselves>} too (Go's {@code Response.Location} reads the header whatever the
 * status).
 */
final class SignedBlobUrls {
  static final String PREFIX = "/signed/";
  static final String LABEL = "/signed/{name}/-/{digest}";

  /** Long enough for a multi-GB part and its retries, which reuse the same URL. */
  static final Duration TTL = Duration.ofMinutes(20);

  /** Asks for the key when first needed: a server nobody asks for a signed URL never makes one. */
  private final StoreSigningKey.Hmac hmac;

  private final Clock clock;

  /** With a key of this process alone: its URLs are good only on this instance until it stops. */
  SignedBlobUrls() {
    this(StoreSigningKey.random(), Clock.systemUTC());
  }

  SignedBlobUrls(byte[] key, Clock clock) {
    byte[] copy = key.clone();
    this.hmac = new StoreSigningKey.Hmac(() -> copy);
    this.clock = clock;
  }

  private SignedBlobUrls(Supplier<byte[]> keySource, Clock clock) {
    this.hmac = new StoreSigningKey.Hmac(keySource);
    this.clock = clock;
  }

  /**
   * With the store's key, read when the first URL is issued or checked, and created there
   * (create-if-absent: instances racing agree on the first one written) when missing and {@code
   * mayCreate}. A read-only instance on a store without the key keeps a key of its own, said in the
   * log; a store that fails is a {@code 503} for that request, and the next one reads again.
   */
  static SignedBlobUrls shared(ObjectStore store, boolean mayCreate) {
    return new SignedBlobUrls(() -> StoreSigningKey.load(store, mayCreate), Clock.systemUTC());
  }

  /** The path and query of a URL good for {@link #TTL} (made absolute as a {@code Location}). */
  String issue(RepositoryName repo, Digest digest) {
    long expires = clock.instant().plus(TTL).getEpochSecond();
    return path(repo, digest) + "?expires=" + expires + "&signature=" + sign(repo, digest, expires);
  }

  static String path(RepositoryName repo, Digest digest) {
    return PREFIX + repo + "/-/" + digest;
  }

  /**
   * Checks a request's {@code expires} and {@code signature}: {@code 403 DENIED} when either is
   * missing, malformed, wrong or expired (the same answer for each, so nothing is learned).
   */
  void verify(
      RepositoryName repo, Digest digest, Optional<String> expires, Optional<String> signature) {
    if (expires.isEmpty() || signature.isEmpty() || !expires.get().matches("\\d{1,12}")) {
      throw denied();
    }
    long at = Long.parseLong(expires.get());
    byte[] expected = sign(repo, digest, at).getBytes(StandardCharsets.US_ASCII);
    byte[] given = signature.get().getBytes(StandardCharsets.US_ASCII);
    boolean valid = MessageDigest.isEqual(expected, given);
    if (!valid || clock.instant().getEpochSecond() > at) {
      throw denied();
    }
  }

  private static RegistryException denied() {
    return ErrorCode.DENIED.exception("signed blob URL invalid or expired");
  }

  private String sign(RepositoryName repo, Digest digest, long expires) {
    byte[] sig = hmac.sign("lading-signed-blob\n" + repo + "\n" + digest + "\n" + expires);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
  }

  /** {@code /signed/<repository>/-/<digest>}, GET and HEAD. */
  static Routes.Match match(HttpMethod method, String rawPath) {
    String rest = rawPath.substring(PREFIX.length());
    int separator = rest.lastIndexOf("/-/");
    if (separator < 1) {
      throw ErrorCode.NOT_FOUND.exception();
    }
    RepositoryName repo = RepositoryName.parse(Routes.percentDecode(rest.substring(0, separator)));
    String digest = rest.substring(separator + 3);
    if (digest.isEmpty() || digest.indexOf('/') >= 0) {
      throw ErrorCode.NOT_FOUND.exception();
    }
    if (!method.equals(GET) && !method.equals(HEAD)) {
      throw Exchange.methodNotAllowed(method, "GET, HEAD");
    }
    return new Routes.Match(Routes.Resource.SIGNED_BLOB, method, Optional.of(repo), digest);
  }

  /** The caller the audit log names for a request on a signed URL. */
  static final RequestAuthorizer.Caller CALLER =
      new RequestAuthorizer.Caller() {
        @Override
        public String name() {
          return "signed-url";
        }

        @Override
        public String kind() {
          return "signed";
        }

        @Override
        public boolean mayPull(RepositoryName repository) {
          return false;
        }

        @Override
        public boolean unrestricted() {
          return false;
        }
      };

  /** Serves a blob on a valid signed URL, through the blob download code (ranges, zero-copy). */
  static final class Handler implements ResourceHandler {
    private final SignedBlobUrls urls;
    private final BlobDownload download;

    Handler(SignedBlobUrls urls, BlobDownload download) {
      this.urls = urls;
      this.download = download;
    }

    @Override
    public void handle(Exchange exchange) throws Exception {
      RepositoryName repo = exchange.repository();
      Digest digest = Digest.parse(exchange.param());
      urls.verify(repo, digest, exchange.query("expires"), exchange.query("signature"));
      var headers = Exchange.headers();
      headers.set(HttpHeaderNames.CACHE_CONTROL, "private, no-store");
      headers.set(
          HttpHeaderNames.LOCATION,
          path(repo, digest)
              + "?expires="
              + exchange.query("expires").get()
              + "&signature="
              + exchange.query("signature").get());
      download.serve(exchange, repo, digest, headers);
    }
  }
}
