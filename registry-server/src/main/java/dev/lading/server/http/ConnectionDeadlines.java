package dev.lading.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How long a connection may keep the server waiting, one deadline at a time, closed when it passes
 * (and counted by {@link Kind}):
 *
 * <ul>
 *   <li>{@link Kind#HEADER}: a request head must be decoded within {@code header} of its first byte
 *       (the connection's first request: of the connection's start), however the bytes trickle in;
 *   <li>{@link Kind#IDLE}: after a response on a kept-alive connection, the next request must begin
 *       within {@code idle};
 *   <li>{@link Kind#BODY_STALL}: while a body is expected and the server is reading, a byte must
 *       arrive at least every {@code bodyStall}. Time during which the server holds reading off
 *       (autoRead off: before the handler asks for the body, or while the store is behind) does not
 *       count: the clock restarts whenever reading resumes, so a slow store never kills a healthy
 *       upload.
 * </ul>
 *
 * While the server works on a request (routing, the store, writing the response) no deadline runs:
 * those are the server's own time, and a download to a slow reader is paced by writability.
 *
 * <p>It sits first in the pipeline, before the codec, so it sees raw bytes (the first byte of a
 * head, a body byte) and every {@code read()} the channel asks for: setting autoRead on issues one,
 * which is how it knows reading resumed. {@link RegistryConnectionHandler} tells it where a request
 * stands. All of it runs on the channel's event loop, with one scheduled task at a time that
 * re-checks when it fires instead of being moved on every byte or request.
 */
final class ConnectionDeadlines extends ChannelDuplexHandler {
  private static final Logger log = LoggerFactory.getLogger(ConnectionDeadlines.class);

  /** What a connection took too long for; its name is the metric's label. */
  enum Kind {
    HEADER,
    IDLE,
    BODY_STALL;

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The three limits; each positive. */
  record Timeouts(Duration header, Duration idle, Duration bodyStall) {
    Timeouts {
      for (Duration d : new Duration[] {header, idle, bodyStall}) {
        if (!Objects.requireNonNull(d).isPositive()) {
          throw new IllegalArgumentException("timeouts must be positive: " + d);
        }
      }
    }
  }

  /** Where the connection stands; {@code BUSY}: the server's turn, nothing to wait for. */
  private enum Phase {
    HEAD,
    IDLE,
    BODY,
    BUSY
  }

  private final long headerNanos;
  private final long idleNanos;
  private final long stallNanos;
  private final ConnectionMetrics metrics;
  private ChannelHandlerContext ctx;
  private Phase phase;

  /** When the head (HEAD) or the next request's first byte (IDLE) is due. */
  private long dueNanos;

  /** BODY: the last body byte, or the last time reading (re)started, whichever is later. */
  private long progressNanos;

  private ScheduledFuture<?> timer;
  private long timerNanos;

  ConnectionDeadlines(Timeouts timeouts, ConnectionMetrics metrics) {
    this.headerNanos = timeouts.header().toNanos();
    this.idleNanos = timeouts.idle().toNanos();
    this.stallNanos = timeouts.bodyStall().toNanos();
    this.metrics = metrics;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    if (ctx.channel().isActive()) {
      start();
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    start();
    ctx.fireChannelActive();
  }

  private void start() {
    if (phase == null) {
      phase = Phase.HEAD;
      dueNanos = System.nanoTime() + headerNanos;
      arm(dueNanos);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf bytes && bytes.isReadable()) {
      long now = System.nanoTime();
      if (phase == Phase.IDLE) {
        phase = Phase.HEAD;
        dueNanos = now + headerNanos;
        arm(dueNanos);
      } else if (phase == Phase.BODY) {
        progressNanos = now;
      }
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void read(ChannelHandlerContext ctx) {
    if (phase == Phase.BODY) {
      // Reading (re)starts now: a stall is measured from here, not from before a pause.
      progressNanos = System.nanoTime();
    }
    ctx.read();
  }

  // ---- told by the connection handler, on the event loop -------------------------------------

  /** A request head was decoded; its body, if any, is what the connection waits for next. */
  void headReceived(boolean expectsBody) {
    if (expectsBody) {
      phase = Phase.BODY;
      progressNanos = System.nanoTime();
      arm(progressNanos + stallNanos);
    } else {
      phase = Phase.BUSY;
    }
  }

  /** The request's body has all arrived. */
  void bodyEnded() {
    if (phase == Phase.BODY) {
      phase = Phase.BUSY;
    }
  }

  /**
   * The connection is ending (its last response is out, what the client still sends is discarded
   * for a moment): the close is already under way, nothing is waited for.
   */
  void ending() {
    phase = Phase.BUSY;
  }

  /** The response is out and the connection stays open for the next request. */
  void responded() {
    phase = Phase.IDLE;
    dueNanos = System.nanoTime() + idleNanos;
    arm(dueNanos);
  }

  // ---- the timer -----------------------------------------------------------------------------

  /**
   * Makes sure a check runs by {@code due}; an earlier pending check re-arms itself when it fires.
   */
  private void arm(long due) {
    if (timer != null && timerNanos - due <= 0) {
      return;
    }
    if (timer != null) {
      timer.cancel(false);
    }
    timerNanos = due;
    timer =
        ctx.executor()
            .schedule(this::check, Math.max(0, due - System.nanoTime()), TimeUnit.NANOSECONDS);
  }

  private void check() {
    timer = null;
    if (!ctx.channel().isActive()) {
      return;
    }
    long now = System.nanoTime();
    long due;
    switch (phase) {
      case BUSY -> {
        return; // the next phase arms a check of its own
      }
      case HEAD, IDLE -> due = dueNanos;
      case BODY -> {
        if (!ctx.channel().config().isAutoRead()) {
          // The server holds reading off: not the client's stall. Resuming restarts the clock.
          arm(now + stallNanos);
          return;
        }
        due = progressNanos + stallNanos;
      }
      default -> throw new IllegalStateException("unknown phase " + phase);
    }
    if (now - due < 0) {
      arm(due);
      return;
    }
    Kind kind =
        switch (phase) {
          case HEAD -> Kind.HEADER;
          case IDLE -> Kind.IDLE;
          default -> Kind.BODY_STALL;
        };
    metrics.timedOut(kind.label());
    log.debug(
        "closing the connection from {}: {} timeout", ctx.channel().remoteAddress(), kind.label());
    ctx.close();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
    ctx.fireChannelInactive();
  }
}
