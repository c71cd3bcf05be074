package dev.lading.events;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP endpoint on a loopback socket that records every POST (body and headers) and answers
 * {@code status} ({@code failFirst} times {@code failWith} before that).
 */
final class WebhookReceiver implements AutoCloseable {
  record Received(byte[] body, Map<String, List<String>> headers) {
    String header(String name) {
      return headers.entrySet().stream()
          .filter(e -> e.getKey().equalsIgnoreCase(name))
          .map(e -> e.getValue().get(0))
          .findFirst()
          .orElse(null);
    }
  }

  final List<Received> received = new CopyOnWriteArrayList<>();
  final AtomicInteger attempts = new AtomicInteger();
  private final HttpServer server;
  private volatile int failFirst;
  private volatile int failWith = 503;
  private volatile int status = 200;

  WebhookReceiver() throws IOException {
    this(0);
  }

  WebhookReceiver(int port) throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    server.createContext(
        "/hook",
        exchange -> {
          byte[] body = exchange.getRequestBody().readAllBytes();
          int n = attempts.incrementAndGet();
          int answer = n <= failFirst ? failWith : status;
          if (answer >= 200 && answer < 300) {
            received.add(new Received(body, Map.copyOf(exchange.getRequestHeaders())));
          }
          exchange.sendResponseHeaders(answer, -1);
          exchange.close();
        });
    server.start();
  }

  WebhookReceiver failingFirst(int times, int status) {
    this.failFirst = times;
    this.failWith = status;
    return this;
  }

  WebhookReceiver answering(int status) {
    this.status = status;
    return this;
  }

  int port() {
    return server.getAddress().getPort();
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + port() + "/hook");
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
