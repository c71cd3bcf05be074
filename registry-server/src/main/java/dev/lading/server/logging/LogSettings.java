package dev.lading.server.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import dev.lading.server.config.LadingConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies {@code log.format} and {@code log.level} to the running Logback. Logback configures
 * itself (from {@code logback.xml}) before the server has read its configuration, so the format and
 * level are switched afterwards: the root level, and the one {@link LineEncoder} every appender
 * writes through. Lines logged before that (none, in a normal start) are text at INFO.
 *
 * <p>Only a Logback configured with the {@link LineEncoder} (the server's own {@code logback.xml})
 * is changed; under another configuration (tests', or an operator's own {@code
 * -Dlogback.configurationFile}) this does nothing, since that configuration decides.
 */
public final class LogSettings {
  private LogSettings() {}

  /** True when the settings were applied; false under a configuration without the encoder. */
  public static boolean apply(LadingConfig.Telemetry telemetry) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)
        || !(context.getObject(LineEncoder.CONTEXT_KEY) instanceof LineEncoder encoder)) {
      return false;
    }
    encoder.setJson(telemetry.logFormat() == LadingConfig.Telemetry.LogFormat.JSON);
    context
        .getLogger(Logger.ROOT_LOGGER_NAME)
        .setLevel(Level.toLevel(telemetry.logLevel(), Level.INFO));
    return true;
  }
}
