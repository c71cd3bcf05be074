package dev.lading.server.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code metrics.port}: {@code GET /metrics} on a listener of its own, so the scrape port can be
 * opened to the monitoring network only while the registry's port faces clients (and a flood on the
 * registry's port cannot starve the scrape). The JDK's HTTP server is enough for one request every
 * few seconds; it runs on its own thread, never on the registry's event loops. Every other path is
 * 404.
 */
public final class MetricsServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService thread;

  private MetricsServer(HttpServer server, ExecutorService thread) {
    this.server = server;
    this.thread = thread;
  }

  /** Listens on {@code host}:{@code port} (0: any free port) and serves {@code metrics}. */
  public static MetricsServer start(String host, int port, LadingMetrics metrics) {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 64);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen for metrics on " + host + ":" + port, e);
    }
    ExecutorService thread =
        Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("lading-metrics").daemon(true).factory());
    server.setExecutor(thread);
    server.createContext(
        "/",
        exchange -> {
          try (exchange) {
            answer(exchange, metrics);
          }
        });
    server.start();
    return new MetricsServer(server, thread);
  }

  private static void answer(HttpExchange exchange, LadingMetrics metrics) throws IOException {
    String method = exchange.getRequestMethod();
    if (!exchange.getRequestURI().getRawPath().equals(MetricsHandler.PATH)) {
      exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      send(exchange, 404, "not found\n".getBytes(StandardCharsets.UTF_8), method.equals("HEAD"));
      return;
    }
    if (!method.equals("GET") && !method.equals("HEAD")) {
      exchange.getResponseHeaders().set("Allow", "GET, HEAD");
      send(exchange, 405, new byte[0], true);
      return;
    }
    exchange.getResponseHeaders().set("Content-Type", MetricsHandler.CONTENT_TYPE);
    send(exchange, 200, metrics.scrape().getBytes(StandardCharsets.UTF_8), method.equals("HEAD"));
  }

  private static void send(HttpExchange exchange, int status, byte[] body, boolean headersOnly)
      throws IOException {
    if (headersOnly) {
      exchange.getResponseHeaders().set("Content-Length", Integer.toString(body.length));
      exchange.sendResponseHeaders(status, -1);
      return;
    }
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  /** The address the listener is bound to (its port when started on 0). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  @Override
  public void close() {
    server.stop(0);
    thread.shutdownNow();
  }
}
