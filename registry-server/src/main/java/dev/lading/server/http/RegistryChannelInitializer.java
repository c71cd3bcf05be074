package dev.lading.server.http;

import dev.lading.server.config.LadingConfig;
import dev.lading.server.tls.ServerTls;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flow.FlowControlHandler;

/**
 * The pipeline: deadlines (header, idle and body-stall timeouts; first, so it sees raw bytes) → TLS
 * when configured → codec (bounded request line and headers) → flow control (holds decoded messages
 * while autoRead is off) → the registry, which also decides keep-alive: Netty's {@code
 * HttpServerKeepAliveHandler} closes at once after a closing response, and an immediate close loses
 * refusals sent mid-body (see {@link RegistryConnectionHandler}). No aggregator: bodies stream, and
 * the manifest handler bounds what it reads itself. No {@code ChunkedWriteHandler} either: files go
 * out as {@code FileRegion}s (over TLS, as chunks read on the request's thread) and streamed blobs
 * are paced by the writer waiting on writability.
 *
 * <p>A connection beyond the {@link ConnectionCeiling} gets the same pipeline, so that its first
 * request is answered (503) as HTTP and its timeouts still apply, but it is never served.
 */
public final class RegistryChannelInitializer extends ChannelInitializer<SocketChannel> {
  private final RequestDispatcher dispatcher;
  private final InFlightRequests inFlight;
  private final ChannelGroup channels;
  private final int maxInitialLineBytes;
  private final int maxHeaderBytes;
  private final ConnectionDeadlines.Timeouts timeouts;
  private final ForwardedHeaders forwardedHeaders;
  private final ServerTls tls;
  private final ConnectionCeiling ceiling;
  private final ConnectionMetrics metrics;
  private final AccessLog accessLog = new AccessLog();
  private final WireBytes wireBytes;

  /**
   * Connections set up by {@code http}'s parsing bounds, timeouts (those of {@link
   * ConnectionDeadlines}) and trusted proxies, served over {@code tls}'s current certificate
   * ({@code null}: plain HTTP), every connection's bytes counted in {@code wireBytes}.
   */
  public RegistryChannelInitializer(
      RequestDispatcher dispatcher,
      InFlightRequests inFlight,
      ChannelGroup channels,
      LadingConfig.Http http,
      ServerTls tls,
      ConnectionCeiling ceiling,
      ConnectionMetrics metrics,
      WireBytes wireBytes) {
    this.dispatcher = dispatcher;
    this.inFlight = inFlight;
    this.channels = channels;
    this.maxInitialLineBytes = http.maxInitialLineBytes();
    this.maxHeaderBytes = http.maxHeaderBytes();
    this.timeouts =
        new ConnectionDeadlines.Timeouts(
            http.headerTimeout(), http.idleTimeout(), http.bodyStallTimeout());
    this.forwardedHeaders = new ForwardedHeaders(http.trustedProxies());
    this.tls = tls;
    this.ceiling = ceiling;
    this.metrics = metrics;
    this.wireBytes = wireBytes;
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    channels.add(ch);
    boolean admitted = ceiling.admit(ch);
    ConnectionDeadlines deadlines = new ConnectionDeadlines(timeouts, metrics);
    ch.pipeline()
        // At the socket end, so it counts what crosses the wire (heads, bodies, file regions).
        .addLast("wire-bytes", wireBytes)
        .addLast("deadlines", deadlines);
    if (tls != null) {
      // After the deadlines, which thus see the raw bytes: a handshake that never completes is
      // a request head that never arrives, cut off by the header timeout.
      ch.pipeline().addLast("tls", tls.newHandler(ch.alloc()));
    }
    ch.pipeline()
        .addLast(
            "codec",
            new HttpServerCodec(
                new HttpDecoderConfig()
                    .setMaxInitialLineLength(maxInitialLineBytes)
                    .setMaxHeaderSize(maxHeaderBytes)
                    .setMaxChunkSize(64 << 10)))
        .addLast("flow-control", new FlowControlHandler())
        .addLast(
            "registry",
            new RegistryConnectionHandler(
                dispatcher, inFlight, accessLog, deadlines, !admitted, forwardedHeaders));
  }
}
