package dev.lading.server.http;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Objects;

/**
 * Where a request came from and which URL the client used, as far as the server can trust it: the
 * TCP peer and this listener, or, when the peer is one of {@code http.trusted_proxies}, what that
 * proxy forwarded. Resolved once per request ({@link ForwardedHeaders}) and read by everything that
 * needs it: the token challenge's realm, the access and audit logs, login throttling. Nothing else
 * looks at {@code X-Forwarded-*}.
 *
 * @param peer the connection's remote address (a proxy, when one is in front)
 * @param client the client's IP address: the peer, or the one a trusted proxy named
 * @param scheme {@code http} or {@code https}, as the client spoke to the first trusted hop
 * @param host the authority the client addressed ({@code registry.example:443}), validated
 */
public record ForwardedRequest(SocketAddress peer, InetAddress client, String scheme, String host) {
  public ForwardedRequest {
    Objects.requireNonNull(peer, "peer");
    Objects.requireNonNull(client, "client");
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("scheme must be http or https, not " + scheme);
    }
    if (!ForwardedHeaders.isHost(host)) {
      throw new IllegalArgumentException("not a host[:port]: " + host);
    }
  }

  /**
   * {@code https://registry.example}: the origin the client used, for absolute URLs the server
   * hands out.
   */
  public String origin() {
    return scheme + "://" + host;
  }

  /** True when the client is not the TCP peer: a trusted proxy named it. */
  public boolean viaProxy() {
    return !(peer instanceof InetSocketAddress in && client.equals(in.getAddress()));
  }

  /**
   * The client as the access log shows it: the peer with its port when it is the client, {@code
   * <client> via <peer>} when a proxy named the client.
   */
  public String describe() {
    return viaProxy() ? client.getHostAddress() + " via " + peer : peer.toString();
  }
}
