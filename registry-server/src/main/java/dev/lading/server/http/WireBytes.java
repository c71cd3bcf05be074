package dev.lading.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import java.util.concurrent.atomic.LongAdder;

/**
 * Bytes that went over the wire, both ways, counted at the socket end of every connection's
 * pipeline: request heads and bodies as read, responses as written, zero-copy file regions by what
 * the kernel actually transferred. Counting here, below the HTTP codec, is what makes a {@code
 * sendfile} download count the same as a streamed one, and a download cut off halfway count only
 * the half that left.
 *
 * <p>One instance serves every connection (the adders are the only state); it runs on the event
 * loops and never blocks.
 */
@ChannelHandler.Sharable
public final class WireBytes extends ChannelDuplexHandler {
  private final LongAdder received = new LongAdder();
  private final LongAdder sent = new LongAdder();

  /** Bytes read from clients' connections so far. */
  public long received() {
    return received.sum();
  }

  /** Bytes written to clients' connections so far. */
  public long sent() {
    return sent.sum();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf buf) {
      received.add(buf.readableBytes());
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof FileRegion region) {
      if (promise.isVoid()) {
        sent.add(region.count());
      } else {
        // transferred() after the write ends: what sendfile moved, also when the client left early.
        promise.addListener(f -> sent.add(region.transferred()));
      }
    } else {
      long size =
          switch (msg) {
            case ByteBuf buf -> buf.readableBytes();
            case ByteBufHolder holder -> holder.content().readableBytes();
            default -> 0;
          };
      if (size > 0) {
        if (promise.isVoid()) {
          sent.add(size);
        } else {
          promise.addListener(
              f -> {
                if (f.isSuccess()) {
                  sent.add(size);
                }
              });
        }
      }
    }
    ctx.write(msg, promise);
  }
}
