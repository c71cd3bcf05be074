/**
 * How the server's log lines are written: one encoder ({@link LineEncoder}) that writes either a
 * readable text line or one JSON object per line with every key-value pair a field of its own
 * ({@code log.format}), and {@link LogSettings}, which applies {@code log.format} and {@code
 * log.level} once the configuration is loaded. Lines still reach stdout through the asynchronous
 * appenders of {@code logback.xml}, so no request waits on a slow reader. Must not import Netty or
 * the registry.
 */
package dev.lading.server.logging;
