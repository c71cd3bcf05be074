package dev.lading.server.auth;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/** The audit trail ({@code lading.audit}) kept in memory from construction until closed. */
final class AuditCapture implements AutoCloseable {
  private final Logger logger = (Logger) LoggerFactory.getLogger("lading.audit");
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  AuditCapture() {
    logger.setLevel(Level.INFO);
    appender.start();
    logger.addAppender(appender);
  }

  /** The lines written since the last call (or since the capture began). */
  List<String> drain() {
    List<String> out = new ArrayList<>();
    // Server threads append while the test reads.
    synchronized (appender.list) {
      appender.list.forEach(e -> out.add(e.getFormattedMessage()));
      appender.list.clear();
    }
    return out;
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
  }
}
