package dev.lading.server.http;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.model.ByteRange;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.storage.BlobSource;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.SocketAddress;
import java.nio.channels.FileChannel;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request and its single response. Handlers read the request through it and answer through it,
 * from their virtual thread; every response gets the API version header, and a response sent before
 * the request body was fully received closes the connection (the unread body would otherwise be
 * parsed as the next request).
 */
public final class Exchange {
  private static final Logger log = LoggerFactory.getLogger(Exchange.class);
  static final String API_VERSION_HEADER = "Docker-Distribution-API-Version";
  static final String REQUEST_ID_HEADER = "X-Request-Id";
  private static final int STREAM_CHUNK_BYTES = 64 << 10;

  private final Channel channel;
  private final HttpRequest request;
  private final QueryStringDecoder uri;
  private final RequestBodyStream body;
  private final WritabilityGate gate;
  private final BiConsumer<Exchange, Boolean> onDone;

  /**
   * Who sent this request and which URL it used, resolved once from the peer and a trusted proxy's
   * headers.
   */
  private final ForwardedRequest forwarded;

  private final long startNanos = System.nanoTime();

  /**
   * Names this request in its access line, its audit lines and the {@code X-Request-Id} response
   * header.
   */
  private final String requestId = newRequestId();

  private final AtomicBoolean responded = new AtomicBoolean();
  private final AtomicBoolean done = new AtomicBoolean();
  private volatile Routes.Match match;
  private volatile RequestAuthorizer.Caller caller = RequestAuthorizer.Caller.UNRESTRICTED;
  private volatile String auditDigest;
  private volatile int rangesServed;

  /** Runs once, on the responding thread, when the status is known and before any byte goes out. */
  private volatile Runnable beforeResponse;

  private volatile String auditReplacedDigest;
  private volatile String adminAction;
  private volatile Map<String, Object> adminFacts = Map.of();
  private volatile int status;
  private volatile long bytesSent;
  private volatile long bytesReceived;

  /** Decided with the response head: whether the connection ends after this exchange. */
  private volatile boolean closesConnection;

  Exchange(
      Channel channel,
      HttpRequest request,
      RequestBodyStream body,
      WritabilityGate gate,
      BiConsumer<Exchange, Boolean> onDone) {
    this(channel, request, body, gate, onDone, ForwardedHeaders.NONE);
  }

  Exchange(
      Channel channel,
      HttpRequest request,
      RequestBodyStream body,
      WritabilityGate gate,
      BiConsumer<Exchange, Boolean> onDone,
      ForwardedHeaders forwardedHeaders) {
    this.channel = channel;
    this.request = request;
    this.forwarded = forwardedHeaders.resolve(channel, request.headers());
    this.uri = new QueryStringDecoder(request.uri());
    this.body = body;
    this.gate = gate;
    this.onDone = onDone;
  }

  // ---- the request --------------------------------------------------------------------------

  public HttpMethod method() {
    return request.method();
  }

  public boolean isHead() {
    return HttpMethod.HEAD.equals(request.method());
  }

  /** The path as sent, still percent-encoded, without the query. */
  public String rawPath() {
    return uri.rawPath();
  }

  public String header(CharSequence name) {
    return request.headers().get(name);
  }

  /** Every value of a header, in the order received (repeated lines, as proxies may add them). */
  public List<String> headerValues(CharSequence name) {
    return request.headers().getAll(name);
  }

  /** The first value of a query parameter, percent-decoded. */
  public Optional<String> query(String name) {
    List<String> values = uri.parameters().get(name);
    return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  void route(Routes.Match match) {
    this.match = match;
  }

  public Routes.Match match() {
    return match;
  }

  public RepositoryName repository() {
    return match.repository().orElseThrow();
  }

  /** The route's path parameter: digest, reference or upload id, percent-decoded. */
  public String param() {
    return match.param();
  }

  /** Who the request acts for, as the authorizer decided. */
  public RequestAuthorizer.Caller caller() {
    return caller;
  }

  void caller(RequestAuthorizer.Caller caller) {
    this.caller = caller;
  }

  /**
   * For the audit log: what an admin request other than a GC trigger did ({@code action}, and facts
   * as key-value pairs in the order given), set by its handler before it answers.
   */
  public void noteAdminAction(String action, Map<String, Object> facts) {
    this.adminFacts = Collections.unmodifiableMap(new LinkedHashMap<>(facts));
    this.adminAction = action;
  }

  String adminAction() {
    return adminAction;
  }

  /** The facts of {@link #noteAdminAction}, in their order. */
  Map<String, Object> adminFacts() {
    return adminFacts;
  }

  /** For the audit log: the digest a tag pointed at before this request moved it. */
  void noteReplacedDigest(String digest) {
    this.auditReplacedDigest = digest;
  }

  String auditReplacedDigest() {
    return auditReplacedDigest;
  }

  /** The {@code Docker-Content-Digest} this exchange answered with, if any. */
  String auditDigest() {
    return auditDigest;
  }

  /** Byte ranges of a blob this exchange answered with (0 for a whole body or none). */
  int rangesServed() {
    return rangesServed;
  }

  /** Noted by the blob download: how many byte ranges its {@code 206} holds. */
  void noteRangesServed(int ranges) {
    rangesServed = ranges;
  }

  /**
   * All values of a query parameter, percent-decoded (the token endpoint's repeated {@code scope}).
   */
  public List<String> queryAll(String name) {
    List<String> values = uri.parameters().get(name);
    return values == null ? List.of() : List.copyOf(values);
  }

  public RequestBodyStream body() {
    return body;
  }

  /** The TCP peer: the client itself, or the proxy in front of the registry. */
  public SocketAddress remote() {
    return channel.remoteAddress();
  }

  /**
   * The client's address and the origin it addressed, as far as they can be trusted (see {@link
   * ForwardedHeaders}): what the logs, login throttling and absolute URLs must use.
   */
  public ForwardedRequest forwarded() {
    return forwarded;
  }

  /** The declared body length, empty for a chunked body; {@code SIZE_INVALID} when malformed. */
  public OptionalLong contentLength() {
    String value = header(HttpHeaderNames.CONTENT_LENGTH);
    if (value == null) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(HeaderValues.nonNegativeLong(value, "Content-Length"));
  }

  // ---- the response -------------------------------------------------------------------------

  /**
   * Runs {@code hook} when this exchange answers, after its status and headers are settled and
   * before the response is written: the audit line of a push is written before the client can see
   * the push acknowledged.
   */
  void beforeResponse(Runnable hook) {
    this.beforeResponse = hook;
  }

  private void runBeforeResponse() {
    Runnable hook = beforeResponse;
    beforeResponse = null;
    if (hook != null) {
      hook.run();
    }
  }

  /** A header set to fill for a response. */
  public static HttpHeaders headers() {
    return new DefaultHttpHeaders();
  }

  /** Answers with no body ({@code Content-Length: 0} unless the handler set it, as HEAD does). */
  public void respond(HttpResponseStatus status, HttpHeaders headers) {
    respond(status, headers, new byte[0]);
  }

  /** Answers with a small body held in memory (JSON, manifests); HEAD sends only the headers. */
  public void respond(HttpResponseStatus status, HttpHeaders headers, byte[] content) {
    claim();
    if (!headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
      headers.setInt(HttpHeaderNames.CONTENT_LENGTH, content.length);
    }
    ByteBuf buf =
        isHead() || content.length == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(content);
    DefaultFullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, status, buf, decorate(headers), new DefaultHttpHeaders());
    this.status = status.code();
    this.bytesSent = buf.readableBytes();
    runBeforeResponse();
    channel.writeAndFlush(response).addListener(f -> finish(f.isSuccess()));
  }

  /** Answers with JSON. */
  public void respondJson(HttpResponseStatus status, HttpHeaders headers, Object json) {
    headers.set(
        HttpHeaderNames.CONTENT_TYPE,
        headers.contains(HttpHeaderNames.CONTENT_TYPE)
            ? headers.get(HttpHeaderNames.CONTENT_TYPE)
            : HttpHeaderValues.APPLICATION_JSON);
    try {
      respond(status, headers, ErrorResponses.JSON.writeValueAsBytes(json));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Streams a blob's bytes: a file with zero-copy (over TLS, which must encrypt every byte, read
   * into chunks), anything else in chunks written only while the channel is writable. Takes
   * ownership of {@code source}. {@code Content-Length} must be set. Blocks the calling virtual
   * thread until a stream is written out.
   */
  public void respondBlob(HttpResponseStatus status, HttpHeaders headers, BlobSource source)
      throws IOException {
    claim();
    this.status = status.code();
    DefaultHttpResponse head =
        new DefaultHttpResponse(HttpVersion.HTTP_1_1, status, decorate(headers));
    runBeforeResponse();
    switch (source) {
      case BlobSource.FileSource file when encrypted() -> {
        // TLS must see the bytes to encrypt them, so a FileRegion (which SslHandler refuses)
        // cannot go out here: read the range into buffers on this thread instead.
        try (file) {
          channel.writeAndFlush(head);
          copyPaced(file);
          channel
              .writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
              .addListener(f -> finish(f.isSuccess()));
        } catch (IOException | RuntimeException e) {
          channel.close();
          finish(false);
          throw e;
        }
      }
      case BlobSource.FileSource file -> {
        channel.write(head);
        // The region owns the FileChannel from here on and closes it once written or discarded.
        if (file.length() > 0) {
          channel.write(new DefaultFileRegion(file.channel(), file.offset(), file.length()));
        } else {
          file.close();
        }
        bytesSent = file.length();
        channel
            .writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
            .addListener(f -> finish(f.isSuccess()));
      }
      case BlobSource.StreamSource stream -> {
        try (InputStream in = stream.stream()) {
          channel.writeAndFlush(head);
          streamPaced(in, stream.length());
          channel
              .writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
              .addListener(f -> finish(f.isSuccess()));
        } catch (IOException | RuntimeException e) {
          // Headers are out: the only honest way to fail now is to cut the connection.
          channel.close();
          finish(false);
          throw e;
        }
      }
    }
  }

  /**
   * True when the connection is TLS: bytes must pass through the encrypting handler, no zero-copy.
   */
  private boolean encrypted() {
    return channel.pipeline().get(SslHandler.class) != null;
  }

  /**
   * Writes a file's range in chunks read with positional reads (the channel's own position is never
   * moved), each only once the channel is writable, so a slow client holds at most the outbound
   * high water mark plus one chunk of memory.
   */
  private void copyPaced(BlobSource.FileSource file) throws IOException {
    copyPaced(file.channel(), file.offset(), file.length());
  }

  private void copyPaced(FileChannel file, long offset, long length) throws IOException {
    long position = offset;
    long end = offset + length;
    while (position < end) {
      gate.awaitWritable();
      int want = (int) Math.min(STREAM_CHUNK_BYTES, end - position);
      ByteBuf chunk = channel.alloc().directBuffer(want);
      try {
        while (chunk.writerIndex() < want) {
          int n =
              chunk.writeBytes(file, position + chunk.writerIndex(), want - chunk.writerIndex());
          if (n < 0) {
            throw new IOException(
                "blob file ended " + (end - position - chunk.writerIndex()) + " bytes early");
          }
        }
      } catch (IOException | RuntimeException e) {
        chunk.release();
        throw e;
      }
      position += want;
      bytesSent += want;
      channel.writeAndFlush(new DefaultHttpContent(chunk));
    }
  }

  /**
   * Writes exactly {@code length} bytes of {@code in} in chunks, each only once the channel is
   * writable, so a slow client slows the read instead of filling memory.
   */
  private void streamPaced(InputStream in, long length) throws IOException {
    long remaining = length;
    while (remaining > 0) {
      gate.awaitWritable();
      int want = (int) Math.min(STREAM_CHUNK_BYTES, remaining);
      ByteBuf chunk = channel.alloc().buffer(want);
      int n;
      try {
        n = chunk.writeBytes(in, want);
      } catch (IOException | RuntimeException e) {
        chunk.release();
        throw e;
      }
      if (n < 0) {
        chunk.release();
        throw new IOException("blob stream ended " + remaining + " bytes early");
      }
      remaining -= n;
      bytesSent += n;
      channel.writeAndFlush(new DefaultHttpContent(chunk));
    }
  }

  /**
   * Streams a {@code multipart/byteranges} body: for each part its head (delimiter and headers)
   * from {@code body}, then its bytes, then the close delimiter. Parts of one open file go out as
   * zero-copy regions of it (over TLS, read into chunks each written once the channel is writable);
   * parts opened one by one (a stream store: one bounded ranged read each) are streamed like {@link
   * #respondBlob}'s, one open at a time. Takes ownership of {@code bytes}. {@code Content-Length}
   * must be {@code body}'s; the bytes counted as sent are the whole body, framing included, as the
   * access log reports them. Blocks the calling virtual thread while parts it reads itself (over
   * TLS, or from a stream) are written out.
   */
  void respondParts(
      HttpResponseStatus status, HttpHeaders headers, MultipartByteranges body, PartBytes bytes)
      throws IOException {
    claim();
    this.status = status.code();
    DefaultHttpResponse head =
        new DefaultHttpResponse(HttpVersion.HTTP_1_1, status, decorate(headers));
    runBeforeResponse();
    boolean zeroCopy = bytes instanceof PartBytes.OneFile && !encrypted();
    try (bytes) {
      if (zeroCopy) {
        channel.write(head);
      } else {
        channel.writeAndFlush(head);
      }
      List<ByteRange> parts = body.parts();
      for (int i = 0; i < parts.size(); i++) {
        ByteRange part = parts.get(i);
        writeFraming(body.head(i), !zeroCopy);
        switch (bytes) {
          case PartBytes.OneFile file when zeroCopy -> {
            channel.write(file.region(part));
            bytesSent += part.length();
          }
          case PartBytes.OneFile file ->
              copyPaced(file.channel(), file.position(part), part.length());
          case PartBytes.EachPart each -> {
            try (BlobSource source = each.open(i, part)) {
              switch (source) {
                case BlobSource.FileSource file -> copyPaced(file);
                case BlobSource.StreamSource stream -> {
                  try (InputStream in = stream.stream()) {
                    streamPaced(in, stream.length());
                  }
                }
              }
            }
          }
        }
      }
      writeFraming(body.tail(), false);
      channel
          .writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
          .addListener(f -> finish(f.isSuccess()));
    } catch (IOException | RuntimeException e) {
      // Headers are out: the only honest way to fail now is to cut the connection.
      channel.close();
      finish(false);
      throw e;
    }
  }

  /** Writes framing bytes of a multipart body (flushed when a part's read may block next). */
  private void writeFraming(byte[] framing, boolean flush) {
    DefaultHttpContent content = new DefaultHttpContent(Unpooled.wrappedBuffer(framing));
    bytesSent += framing.length;
    if (flush) {
      channel.writeAndFlush(content);
    } else {
      channel.write(content);
    }
  }

  /**
   * Answers a failure as {@link ErrorResponses} renders it, with the headers the refusal carries
   * ({@link RegistryException#withHeader}). A failure caused by the request body breaking on the
   * client's side is the client's error, whatever the handler or the registry made of it (see
   * {@link RequestBodyException}).
   */
  public void fail(Throwable failure) {
    RequestBodyException broken = RequestBodyException.findIn(failure);
    if (broken != null && broken.byShutdown()) {
      // Not the client's fault: the shutdown timeout ran out. An upload's session has kept the
      // bytes received (UploadSessions.keepReceived), so the client resumes after the restart.
      log.info(
          "{} {} from {} interrupted by shutdown; an upload resumes from its saved offset"
              + " after the restart",
          method().name(),
          rawPath(),
          remote());
      failure = ErrorCode.SHUTTING_DOWN.exception(broken.getMessage());
    } else if (broken != null) {
      log.debug("request body from {} broke: {}", remote(), broken.getMessage());
      failure = brokenBodyCode().exception(broken.getMessage());
    }
    if (responded.get()) {
      // The response is already (partly) out; nothing sane can be added to it.
      if (!(failure instanceof IOException)) {
        ErrorResponses.render(failure, false); // for its log line of an unforeseen failure
      }
      channel.close();
      return;
    }
    ErrorResponses.Rendered r = ErrorResponses.render(failure, !isHead());
    if (isHead()) {
      r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
    }
    respond(r.status(), r.headers(), r.body());
  }

  /**
   * The code for a body that broke: on an API resource a spec code, the resource's own where one
   * fits (the upload or the manifest cannot be what the client meant to send), else {@code
   * SIZE_INVALID} (the body did not match its framing); {@code BAD_REQUEST} outside the API (the
   * token endpoint's form, a file route). Always a 400: the framing is HTTP's, the store never saw
   * a byte of the failure.
   */
  private ErrorCode brokenBodyCode() {
    Routes.Match m = match;
    if (m == null) {
      return ErrorCode.BAD_REQUEST;
    }
    return switch (m.resource()) {
      case UPLOAD, UPLOADS -> ErrorCode.BLOB_UPLOAD_INVALID;
      case MANIFEST -> ErrorCode.MANIFEST_INVALID;
      case FILES, SIGNED_BLOB -> ErrorCode.BAD_REQUEST;
      case BASE, CATALOG, TAGS, BLOB, REFERRERS -> ErrorCode.SIZE_INVALID;
    };
  }

  /**
   * The refusal of a method a resource outside the API does not serve: 405 with the {@code Allow}
   * header listing {@code allow}, e.g. {@code "GET, HEAD"}, which is also the error's detail.
   */
  public static RegistryException methodNotAllowed(HttpMethod method, String allow) {
    return methodNotAllowed(ErrorCode.METHOD_NOT_ALLOWED, allow);
  }

  /**
   * The same refusal by an API route ({@code /v2/...}): the spec's {@code UNSUPPORTED}, whose
   * status is 405 already.
   */
  public static RegistryException unsupportedMethod(HttpMethod method, String allow) {
    return methodNotAllowed(ErrorCode.UNSUPPORTED, allow);
  }

  private static RegistryException methodNotAllowed(ErrorCode code, String allow) {
    return code.exception().withDetail(allow).withHeader(HttpHeaderNames.ALLOW.toString(), allow);
  }

  /** True once a response started. */
  public boolean responded() {
    return responded.get();
  }

  int status() {
    return status;
  }

  long bytesSent() {
    return bytesSent;
  }

  long elapsedNanos() {
    return System.nanoTime() - startNanos;
  }

  /** This request's id: 16 hex digits, random, so ids from many instances do not collide. */
  public String requestId() {
    return requestId;
  }

  private static String newRequestId() {
    String hex = Long.toHexString(ThreadLocalRandom.current().nextLong());
    return "0".repeat(16 - hex.length()) + hex;
  }

  /** Body bytes the connection handed to this request (written on the event loop only). */
  long bytesReceived() {
    return bytesReceived;
  }

  void received(long bytes) {
    bytesReceived += bytes;
  }

  long elapsedMillis() {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  private void claim() {
    if (!responded.compareAndSet(false, true)) {
      throw new IllegalStateException("a response was already sent");
    }
  }

  private HttpHeaders decorate(HttpHeaders headers) {
    headers.set(API_VERSION_HEADER, "registry/2.0");
    // A client (or whoever reads its error) can quote it, and the operator finds the lines.
    headers.set(REQUEST_ID_HEADER, requestId);
    // Every Location absolute, at the origin the client used (a trusted proxy's forwarded one):
    // RFC 9110 §10.2.2 allows both forms, and ollama builds its next URL from the header without
    // resolving a relative one against the request (an empty host: "http:///v2/...").
    String location = headers.get(HttpHeaderNames.LOCATION);
    if (location != null && location.startsWith("/")) {
      headers.set(HttpHeaderNames.LOCATION, forwarded.origin() + location);
    }
    String digest = headers.get("Docker-Content-Digest");
    if (digest != null) {
      auditDigest = digest;
    }
    // A body not yet read to its end would be parsed as the next request: such a response ends
    // the connection, as does a client that asked for that (or an HTTP/1.0 one that did not ask
    // for keep-alive).
    closesConnection = !body.ended() || !HttpUtil.isKeepAlive(request);
    if (closesConnection) {
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
    return headers;
  }

  /** Hands the finished exchange to its connection, on the event loop. */
  private void finish(boolean success) {
    if (done.compareAndSet(false, true)) {
      if (channel.eventLoop().inEventLoop()) {
        onDone.accept(this, success);
      } else {
        channel.eventLoop().execute(() -> onDone.accept(this, success));
      }
    }
  }

  /** True when the response told the client that the connection ends after it. */
  boolean closesConnection() {
    return closesConnection;
  }

  Channel channel() {
    return channel;
  }

  String uri() {
    return request.uri();
  }
}
