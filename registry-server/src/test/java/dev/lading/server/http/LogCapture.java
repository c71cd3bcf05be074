package dev.lading.server.http;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/** What the server logs at WARN or above, kept in memory from construction until closed. */
final class LogCapture implements AutoCloseable {
  private final Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  LogCapture() {
    appender.start();
    root.addAppender(appender);
  }

  /** "LEVEL logger: message" of every event at WARN or above so far. */
  List<String> warnings() {
    List<String> out = new ArrayList<>();
    // Server threads append while the test reads; AppenderBase appends holding the appender.
    synchronized (appender) {
      for (ILoggingEvent e : appender.list) {
        if (e.getLevel().isGreaterOrEqual(Level.WARN)) {
          out.add(e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage());
        }
      }
    }
    return out;
  }

  /** Forgets what was logged so far (a server's start-up advice, say), to judge what follows. */
  void clear() {
    synchronized (appender) {
      appender.list.clear();
    }
  }

  @Override
  public void close() {
    root.detachAppender(appender);
  }
}
