package dev.lading.server.auth;

import dev.lading.server.config.TrustedProxy;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Who the client is, as far as the server can trust it: the TCP peer, unless the peer is one of
 * {@code http.trusted_proxies}; then {@code X-Forwarded-For} is read from the right (the entry
 * the nearest proxy appended) and the first address that is not itself a trusted proxy is the
 * client. Entries further left were written by whoever sent the request and are never believed,
 * and a peer that is not a trusted proxy is never asked: anyone can send the header. An entry
 * that is not an IP literal ends the walk at the last address known good.
 */
final class ClientAddress {
  private static final String X_FORWARDED_FOR = "X-Forwarded-For";

  private final List<IpSubnetFilterRule> trusted;

  ClientAddress(List<TrustedProxy> trustedProxies) {
    this.trusted = trustedProxies.stream().map(TrustedProxy::rule).toList();
  }

  /**
   * @param peer the connection's remote address
   * @param forwardedFor every {@code X-Forwarded-For} line, in the order received
   */
  InetAddress resolve(SocketAddress peer, List<String> forwardedFor) {
    if (!(peer instanceof InetSocketAddress in) || in.getAddress() == null) {
      throw new IllegalStateException("a TCP connection has an IP peer, not " + peer);
    }
    InetAddress client = in.getAddress();
    if (!isTrusted(client)) {
      return client;
    }
    List<String> hops = new ArrayList<>();
    for (String line : forwardedFor) {
      for (String hop : line.split(",")) {
        hops.add(hop.strip());
      }
    }
    for (int i = hops.size() - 1; i >= 0 && isTrusted(client); i--) {
      InetAddress hop = NetUtil.createInetAddressFromIpAddressString(stripPort(hops.get(i)));
      if (hop == null) {
        break;
      }
      client = hop;
    }
    return client;
  }

  InetAddress resolve(dev.lading.server.http.Exchange exchange) {
    return resolve(exchange.remote(), trusted.isEmpty() ? List.of() : exchange.headerValues(X_FORWARDED_FOR));
  }

  private boolean isTrusted(InetAddress address) {
    InetSocketAddress a = new InetSocketAddress(address, 0);
    for (IpSubnetFilterRule r : trusted) {
      if (r.matches(a)) {
        return true;
      }
    }
    return false;
  }

  /** Some proxies write {@code [2001:db8::1]:443} or {@code 192.0.2.1:443}; the port is not the client. */
  private static String stripPort(String hop) {
    if (hop.startsWith("[")) {
      int close = hop.indexOf(']');
      return close < 0 ? hop : hop.substring(1, close);
    }
    int colon = hop.indexOf(':');
    return colon > 0 && colon == hop.lastIndexOf(':') ? hop.substring(0, colon) : hop;
  }
}
