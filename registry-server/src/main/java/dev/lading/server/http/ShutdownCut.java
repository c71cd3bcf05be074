package dev.lading.server.http;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

/**
 * Marks the connections the server closes itself when the shutdown timeout runs out, before it
 * closes them, so a request whose body is cut there is reported as interrupted by shutdown (a 503
 * in the audit and access lines, an info line in the log) and not as a client whose body broke (a
 * 400). An upload cut this way keeps what it received, as any broken body does.
 */
public final class ShutdownCut {
  private static final AttributeKey<Boolean> CUT = AttributeKey.valueOf("lading.shutdownCut");

  private ShutdownCut() {}

  /** Call before closing {@code channel} for shutdown. */
  public static void mark(Channel channel) {
    channel.attr(CUT).set(Boolean.TRUE);
  }

  static boolean isCut(Channel channel) {
    return Boolean.TRUE.equals(channel.attr(CUT).get());
  }
}
