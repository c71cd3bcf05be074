package dev.lading.server;

import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process signals the server acts on: SIGTERM drains (readiness 503, serving on for the drain
 * delay, then a graceful close, exit status 0) and SIGHUP reloads the configuration.
 *
 * <p>Why {@code sun.misc.Signal}: the JDK has no supported API for signals. A shutdown hook runs on
 * SIGTERM, but it cannot tell SIGTERM from Ctrl-C or {@code System.exit}, it makes the exit status
 * 143, and the JVM ignores SIGHUP entirely. {@code sun.misc.Signal} (module {@code
 * jdk.unsupported}, present in every JDK) is the one way, and it is kept to this class. When a
 * handler cannot be installed (a JVM started with {@code -Xrs}), the server still stops gracefully
 * through its shutdown hook and reloads by polling the file.
 */
final class ProcessSignals {
  private static final Logger log = LoggerFactory.getLogger(ProcessSignals.class);

  private ProcessSignals() {}

  /**
   * Installs {@code action} for signal {@code name} ({@code TERM}, {@code HUP}); false when
   * refused.
   */
  static boolean on(String name, Runnable action) {
    try {
      sun.misc.Signal.handle(
          new sun.misc.Signal(name),
          signal -> {
            log.info("SIG{} received", name);
            // The JVM's signal thread must return quickly: the work runs on its own thread.
            Thread.ofPlatform().name("lading-sig" + name.toLowerCase(Locale.ROOT)).start(action);
          });
      return true;
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      log.warn(
          "cannot handle SIG{} here ({}); {}",
          name,
          e.getMessage(),
          name.equals("TERM")
              ? "stopping through the shutdown hook instead (no drain delay)"
              : "the configuration is still reloaded when its file changes");
      return false;
    }
  }
}
