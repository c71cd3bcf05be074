package dev.lading.server.http;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One per connection, on the event loop: turns decoded HTTP messages into {@link Exchange}s, feeds
 * body chunks to the exchange's {@link RequestBodyStream}, and serialises requests: after a
 * request's last chunk the channel stops reading until its response is out, so a pipelined request
 * waits in {@code FlowControlHandler}.
 *
 * <p>It also decides when the connection ends ({@link Exchange#closesConnection()}), and ends it in
 * stages (RFC 9112 §9.6): a refusal sent while the client is still sending its body (a manifest
 * over the limit, a chunk out of order) would, on an immediate close, make the kernel answer the
 * client's next bytes with a reset, and a reset can destroy the refusal in the client's receive
 * buffer before the client read it. So the response is followed by a FIN, the client's remaining
 * bytes are read and discarded, and the connection closes when the client closes its side or after
 * {@link #LINGER_MILLIS}, whichever comes first.
 */
final class RegistryConnectionHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(RegistryConnectionHandler.class);

  /** How long a closing connection keeps discarding what the client still sends. */
  static final long LINGER_MILLIS = 2_000;

  private final RequestDispatcher dispatcher;
  private final InFlightRequests inFlight;
  private final AccessLog accessLog;
  private final ConnectionDeadlines deadlines;

  /** True on a connection beyond the ceiling: its first request is answered 503, then it ends. */
  private final boolean overCeiling;

  private final ForwardedHeaders forwardedHeaders;
  private WritabilityGate gate;
  private Exchange current;

  /** Set once the connection is ending: whatever still arrives is discarded. */
  private boolean closing;

  RegistryConnectionHandler(
      RequestDispatcher dispatcher,
      InFlightRequests inFlight,
      AccessLog accessLog,
      ConnectionDeadlines deadlines,
      boolean overCeiling) {
    this(dispatcher, inFlight, accessLog, deadlines, overCeiling, ForwardedHeaders.NONE);
  }

  RegistryConnectionHandler(
      RequestDispatcher dispatcher,
      InFlightRequests inFlight,
      AccessLog accessLog,
      ConnectionDeadlines deadlines,
      boolean overCeiling,
      ForwardedHeaders forwardedHeaders) {
    this.forwardedHeaders = forwardedHeaders;
    this.dispatcher = dispatcher;
    this.inFlight = inFlight;
    this.accessLog = accessLog;
    this.deadlines = deadlines;
    this.overCeiling = overCeiling;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    gate = new WritabilityGate(ctx.channel());
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (closing) {
        return;
      }
      if (msg instanceof HttpRequest request) {
        onRequest(ctx, request);
      }
      if (msg instanceof HttpContent content) {
        onContent(ctx, content);
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void onRequest(ChannelHandlerContext ctx, HttpRequest request) {
    if (current != null) {
      // Cannot happen while reads are held between requests; refuse rather than interleave.
      ctx.close();
      return;
    }
    if (request.decoderResult().isFailure()) {
      Throwable cause = request.decoderResult().cause();
      String why =
          cause instanceof TooLongFrameException
              ? "request line or headers too long"
              : "malformed request";
      refuse(ctx, ErrorCode.BAD_REQUEST.exception(why));
      return;
    }
    if (overCeiling) {
      // Answered only once a request arrived, so that a client is waiting for the answer. The
      // one 503 code there is: the message says what is short.
      refuse(
          ctx,
          ErrorCode.STORAGE_UNAVAILABLE
              .exception("too many open connections, retry later")
              .withHeader("Retry-After", Integer.toString(ConnectionCeiling.RETRY_AFTER_SECONDS)));
      return;
    }
    boolean expectsBody;
    try {
      RequestTarget.normalise(request);
      String length = request.headers().get("Content-Length");
      expectsBody =
          HttpUtil.isTransferEncodingChunked(request)
              || length != null && HeaderValues.nonNegativeLong(length, "Content-Length") > 0;
    } catch (RegistryException e) {
      refuse(ctx, e);
      return;
    }
    RequestBodyStream body =
        new RequestBodyStream(
            ctx.channel(),
            expectsBody,
            () -> {
              if (HttpUtil.is100ContinueExpected(request)) {
                ctx.channel()
                    .writeAndFlush(
                        new DefaultFullHttpResponse(
                            HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
              }
            });
    Exchange exchange =
        new Exchange(ctx.channel(), request, body, gate, this::done, forwardedHeaders);
    current = exchange;
    inFlight.started();
    if (expectsBody) {
      ctx.channel().config().setAutoRead(false);
    }
    // Before dispatching: the response may be out (and the next request wanted) before it returns.
    deadlines.headReceived(expectsBody);
    dispatcher.dispatch(exchange);
  }

  private void onContent(ChannelHandlerContext ctx, HttpContent content) {
    Exchange exchange = current;
    if (exchange == null) {
      return; // the end marker of a body-less request whose response is already out
    }
    if (content.decoderResult().isFailure()) {
      // The decoder discards the rest of the connection; the response to this request closes it.
      log.debug(
          "malformed request body from {}",
          ctx.channel().remoteAddress(),
          content.decoderResult().cause());
      exchange.body().fail(RequestBodyException.malformed(content.decoderResult().cause()));
      return;
    }
    boolean last = content instanceof LastHttpContent;
    exchange.received(content.content().readableBytes());
    exchange.body().offer(content.content().retain(), last);
    if (last) {
      ctx.channel().config().setAutoRead(false);
      deadlines.bodyEnded();
    }
  }

  /** The response is written (or failed); runs on the event loop. */
  private void done(Exchange exchange, boolean success) {
    accessLog.log(exchange, dispatcher.routeLabel(exchange), success);
    dispatcher.finished(exchange, success);
    inFlight.finished();
    if (current == exchange) {
      current = null;
    }
    var channel = exchange.channel();
    if (!success) {
      exchange.body().close();
      channel.close();
      return;
    }
    if (exchange.closesConnection()) {
      exchange.body().close();
      closeInStages(channel);
      return;
    }
    // Before reading resumes, which may hand over a pipelined request at once.
    deadlines.responded();
    channel.config().setAutoRead(true);
  }

  /**
   * Answers a request that is not handed to the dispatcher (it did not parse, or the server is over
   * its connection ceiling) with {@code e} as {@link ErrorResponses} renders it, headers included,
   * then ends the connection.
   */
  private void refuse(ChannelHandlerContext ctx, RegistryException e) {
    ErrorResponses.Rendered r = ErrorResponses.render(e);
    r.headers()
        .setInt("Content-Length", r.body().length)
        .set(Exchange.API_VERSION_HEADER, "registry/2.0")
        .set("Connection", "close");
    var response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            r.status(),
            ctx.alloc().buffer(r.body().length).writeBytes(r.body()),
            r.headers(),
            new DefaultHttpHeaders());
    ctx.writeAndFlush(response)
        .addListener(
            f -> {
              if (f.isSuccess()) {
                closeInStages(ctx.channel());
              } else {
                ctx.close();
              }
            });
    log.debug("refused a request from {}: {}", ctx.channel().remoteAddress(), e.getMessage());
  }

  /**
   * Ends a connection whose last response is written: FIN now, then discard until the client closes
   * (the channel closes itself on end of input) or the linger time runs out.
   */
  private void closeInStages(Channel channel) {
    closing = true;
    deadlines.ending();
    if (!(channel instanceof DuplexChannel duplex)) {
      channel.close();
      return;
    }
    duplex
        .shutdownOutput()
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                channel.close();
              }
            });
    channel.eventLoop().schedule((Runnable) channel::close, LINGER_MILLIS, TimeUnit.MILLISECONDS);
    channel.config().setAutoRead(true);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    gate.signal();
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    Exchange exchange = current;
    if (exchange != null) {
      exchange
          .body()
          .fail(
              ShutdownCut.isCut(ctx.channel())
                  ? RequestBodyException.cutByShutdown()
                  : RequestBodyException.connectionLost());
    }
    gate.signal();
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("connection {} failed", ctx.channel().remoteAddress(), cause);
    ctx.close();
  }
}
