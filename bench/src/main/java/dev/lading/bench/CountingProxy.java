package dev.lading.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A TCP forwarder on a loopback port in front of an HTTP server (an S3 endpoint) that counts the
 * requests passing through by method, with a {@link RequestCounter} reading the client's bytes on
 * their way. Bytes go through unchanged in both directions, one connection upstream per connection
 * accepted, each direction streamed by its own virtual thread: the Host header, and so the SigV4
 * signature over it, reach the server as the client signed them.
 */
final class CountingProxy implements AutoCloseable {

  private final ServerSocket listener;
  private final InetSocketAddress upstream;
  private final RequestCounter counter = new RequestCounter();
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();

  private CountingProxy(ServerSocket listener, InetSocketAddress upstream) {
    this.listener = listener;
    this.upstream = upstream;
  }

  /** Listens on a free loopback port and forwards to {@code upstream}'s host and port. */
  static CountingProxy start(URI upstream) throws IOException {
    int port = upstream.getPort() != -1 ? upstream.getPort() : 80;
    ServerSocket listener = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
    CountingProxy proxy =
        new CountingProxy(listener, new InetSocketAddress(upstream.getHost(), port));
    proxy.threads.submit(proxy::acceptLoop);
    return proxy;
  }

  /** The endpoint clients use instead of the upstream one. */
  URI endpoint() {
    return URI.create("http://127.0.0.1:" + listener.getLocalPort());
  }

  RequestCounter counter() {
    return counter;
  }

  private void acceptLoop() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        threads.submit(() -> connect(client));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void connect(Socket client) {
    Socket server = new Socket();
    sockets.add(client);
    sockets.add(server);
    try {
      client.setTcpNoDelay(true);
      server.setTcpNoDelay(true);
      server.connect(upstream, 5_000);
    } catch (IOException e) {
      closeBoth(client, server);
      return;
    }
    RequestCounter.Connection requests = counter.connection();
    threads.submit(() -> pump(client, server, requests));
    threads.submit(() -> pump(server, client, null));
  }

  /**
   * Copies {@code from} to {@code to} until the end of the stream, then half-closes {@code to} so
   * the other side sees it; closes both sockets on an error (or on the second end of stream).
   */
  private void pump(Socket from, Socket to, RequestCounter.Connection requests) {
    byte[] buffer = new byte[64 << 10];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      RequestCounter.Connection counting = requests;
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        if (counting != null) {
          try {
            counting.accept(buffer, 0, n);
          } catch (IOException notHttp) {
            // Counting stops on this connection; the traffic must not.
            counter.gaveUp();
            counting = null;
          }
        }
        out.write(buffer, 0, n);
        out.flush();
      }
      to.shutdownOutput();
      if (from.isOutputShutdown()) {
        closeBoth(from, to);
      }
    } catch (IOException e) {
      closeBoth(from, to);
    }
  }

  private void closeBoth(Socket a, Socket b) {
    for (Socket s : new Socket[] {a, b}) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing a loopback socket
      }
      sockets.remove(s);
    }
  }

  @Override
  public void close() {
    try {
      listener.close();
    } catch (IOException ignored) {
      // nothing to do
    }
    for (Socket s : sockets) {
      try {
        s.close();
      } catch (IOException ignored) {
        // nothing to do
      }
    }
    threads.shutdownNow();
  }
}
