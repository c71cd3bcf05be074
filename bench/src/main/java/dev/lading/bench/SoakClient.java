package dev.lading.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Map;

/**
 * Requests for the soak, one connection each (a restart kills every connection anyway). A request
 * the server could not finish (refused, reset, closed mid-answer) waits until the server answers
 * again and then throws {@link ServerGone}: the caller decides whether to retry, resynchronise or
 * give the write up as ambiguous. Every 5xx answer is counted, inside or outside a restart window.
 */
final class SoakClient {

  /** The request died with the server (or the connection); the server answers again now. */
  static final class ServerGone extends IOException {
    ServerGone(String request, IOException cause) {
      super(request + ": " + cause, cause);
    }
  }

  /** Longer than any commit may wait on a GC deletion intent, shorter than a hang we accept. */
  private static final int READ_TIMEOUT_MILLIS = 120_000;

  private static final Duration COME_BACK = Duration.ofMinutes(3);

  @FunctionalInterface
  private interface Exchange {
    HttpConnection.Response on(HttpConnection c) throws IOException;
  }

  private final SoakServer server;
  private final SoakStats stats;

  SoakClient(SoakServer server, SoakStats stats) {
    this.server = server;
    this.stats = stats;
  }

  /** A request with a body of {@code length} bytes (0 for none); the answer's body is kept. */
  HttpConnection.Response send(
      String method,
      String target,
      Map<String, String> headers,
      long length,
      HttpConnection.Body body)
      throws ServerGone {
    return call(
        method + " " + target, c -> c.exchange(method, target, headers, length, body, true));
  }

  /** A bodiless request; PUT, POST and PATCH send {@code Content-Length: 0}. */
  HttpConnection.Response send(String method, String target, Map<String, String> headers)
      throws ServerGone {
    return call(method + " " + target, c -> c.exchange(method, target, headers, true));
  }

  /** A GET whose body streams into {@code sink}. */
  HttpConnection.Response get(String target, Map<String, String> headers, OutputStream sink)
      throws ServerGone {
    return call("GET " + target, c -> c.exchange("GET", target, headers, sink));
  }

  private HttpConnection.Response call(String request, Exchange exchange) throws ServerGone {
    HttpConnection.Response response;
    try (HttpConnection c = new HttpConnection("127.0.0.1", server.port())) {
      c.readTimeout(READ_TIMEOUT_MILLIS);
      response = exchange.on(c);
    } catch (SocketTimeoutException e) {
      stats.anomaly(request + ": no answer within " + READ_TIMEOUT_MILLIS / 1000 + " s");
      throw gone(request, e);
    } catch (IOException e) {
      throw gone(request, e);
    }
    if (response.status() >= 500) {
      stats.fiveHundred(server.inRestartWindow(System.nanoTime()), request, response.toString());
    }
    return response;
  }

  private ServerGone gone(String request, IOException cause) {
    try {
      if (!server.awaitUp(COME_BACK)) {
        throw new IllegalStateException(
            "the server did not answer for "
                + COME_BACK
                + " after "
                + request
                + " failed ("
                + cause
                + "); its log ends:\n"
                + server.logTail());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the server", e);
    }
    return new ServerGone(request, cause);
  }
}
