package dev.lading.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A request body as a blocking {@link InputStream}, fed by the event loop with the chunks Netty
 * decodes and read by the handler's virtual thread. The hand-off is bounded in bytes: above {@link
 * #HIGH_WATER_BYTES} buffered the channel stops reading from the socket (autoRead off; {@code
 * FlowControlHandler} holds what the decoder already produced), below {@link #LOW_WATER_BYTES} it
 * reads again, so a slow store slows the client down instead of filling the heap (the shape of
 * Armeria's {@code InboundTrafficController}).
 *
 * <p>Nothing is read from the socket until the handler first asks for a byte: routing, access
 * checks and validation happen before any body byte is accepted, and that first demand is when a
 * {@code 100 Continue} is sent to a client that expects one.
 *
 * <p>When the connection dies or the body's framing does not decode, the stream fails with a {@link
 * RequestBodyException}, so the registry call reading it fails and commits nothing, and the answer
 * is the client's error, never a storage failure.
 */
public final class RequestBodyStream extends InputStream {
  public static final int HIGH_WATER_BYTES = 1 << 20;
  public static final int LOW_WATER_BYTES = 256 << 10;

  private final Channel channel;
  private final Runnable onFirstDemand;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<ByteBuf> chunks = new ArrayDeque<>();
  private long buffered;
  private long received;
  private long consumed;
  private volatile boolean ended;
  private boolean demanded;

  /** True while this stream holds the channel's autoRead off. */
  private boolean paused;

  private IOException failure;
  private boolean closed;

  /**
   * @param channel the connection; its autoRead is switched by this stream
   * @param expectsBody false when the request has no body (it only waits for its end marker)
   * @param onFirstDemand run once, on the reading thread, before the first byte is asked for
   */
  public RequestBodyStream(Channel channel, boolean expectsBody, Runnable onFirstDemand) {
    this.channel = channel;
    this.onFirstDemand = onFirstDemand;
    this.paused = expectsBody;
    this.demanded = !expectsBody;
    // A request without a body is complete as soon as its headers are: its end marker may come
    // after a quick response, and must not make the connection look like it has unread bytes.
    this.ended = !expectsBody;
  }

  // ---- event loop side ----------------------------------------------------------------------

  /** Hands a chunk over; takes ownership of {@code content} (releases it in every case). */
  public void offer(ByteBuf content, boolean last) {
    boolean pause = false;
    lock.lock();
    try {
      int n = content.readableBytes();
      if (closed || failure != null || ended || n == 0) {
        content.release();
      } else {
        chunks.add(content);
        buffered += n;
        received += n;
        if (buffered >= HIGH_WATER_BYTES && !paused) {
          paused = true;
          pause = true;
        }
      }
      if (last) {
        ended = true;
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    if (pause) {
      channel.config().setAutoRead(false);
    }
  }

  /** The connection died or sent a malformed body: the reader gets {@code cause}. */
  public void fail(RequestBodyException cause) {
    lock.lock();
    try {
      if (!ended && failure == null) {
        failure = cause;
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** True once the body's end arrived: the connection can carry another request. */
  public boolean ended() {
    return ended;
  }

  /** Bytes received from the client so far. */
  public long received() {
    lock.lock();
    try {
      return received;
    } finally {
      lock.unlock();
    }
  }

  // ---- reader side --------------------------------------------------------------------------

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) {
      return 0;
    }
    demand();
    boolean resume = false;
    int n;
    lock.lock();
    try {
      while (chunks.isEmpty() && !ended && failure == null && !closed) {
        try {
          changed.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while waiting for the request body");
        }
      }
      if (closed) {
        throw new IOException("request body stream closed");
      }
      if (failure != null && chunks.isEmpty()) {
        throw failure;
      }
      if (chunks.isEmpty()) {
        return -1;
      }
      ByteBuf head = chunks.peek();
      n = Math.min(len, head.readableBytes());
      head.readBytes(b, off, n);
      if (!head.isReadable()) {
        chunks.poll().release();
      }
      buffered -= n;
      consumed += n;
      if (paused && buffered < LOW_WATER_BYTES && !ended) {
        paused = false;
        resume = true;
      }
    } finally {
      lock.unlock();
    }
    if (resume) {
      resumeReading();
    }
    return n;
  }

  @Override
  public int available() {
    lock.lock();
    try {
      return (int) Math.min(Integer.MAX_VALUE, buffered);
    } finally {
      lock.unlock();
    }
  }

  /** Bytes handed to the reader so far. */
  public long consumed() {
    lock.lock();
    try {
      return consumed;
    } finally {
      lock.unlock();
    }
  }

  /** Drops what is buffered; the rest of the body, if any, is never read. */
  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      ByteBuf b;
      while ((b = chunks.poll()) != null) {
        b.release();
      }
      buffered = 0;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void demand() {
    boolean first;
    lock.lock();
    try {
      first = !demanded;
      demanded = true;
      if (first) {
        paused = false;
      }
    } finally {
      lock.unlock();
    }
    if (first) {
      onFirstDemand.run();
      resumeReading();
    }
  }

  private void resumeReading() {
    channel
        .eventLoop()
        .execute(
            () -> {
              // The body may have ended meanwhile; then autoRead stays off until the response is
              // out.
              if (!ended && !closedOrPaused()) {
                channel.config().setAutoRead(true);
              }
            });
  }

  private boolean closedOrPaused() {
    lock.lock();
    try {
      return closed || paused;
    } finally {
      lock.unlock();
    }
  }
}
