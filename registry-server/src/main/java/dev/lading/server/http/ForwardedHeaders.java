package dev.lading.server.http;

import dev.lading.server.config.TrustedProxy;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Resolves a request's {@link ForwardedRequest}: the one place {@code Forwarded} (RFC 7239) and
 * {@code X-Forwarded-*} are read.
 *
 * <p>Only when the TCP peer is one of {@code http.trusted_proxies} are the headers looked at at
 * all; anyone else can write them, so from other peers they are ignored entirely.
 *
 * <p>{@code Forwarded}, when a trusted peer sends one that parses, wins over {@code X-Forwarded-*}
 * (Envoy, Traefik and HAProxy can send either; a proxy sending both means the same thing):
 *
 * <ul>
 *   <li>its elements are read from the right (the nearest proxy appends the last one); while the
 *       element's {@code for} is a trusted proxy the walk goes on to the element to its left. The
 *       element where it stops was written by the proxy the client spoke to: its {@code for} is the
 *       client, its {@code proto} and {@code host} the scheme and authority the client used. A
 *       {@code for} that is not an IP literal ({@code unknown}, an obfuscated {@code _name}) stops
 *       the walk at the last address known good, still taking that element's {@code proto} and
 *       {@code host}.
 * </ul>
 *
 * Otherwise:
 *
 * <ul>
 *   <li>{@code X-Forwarded-For} is read from the right (the entry the nearest proxy appended) and
 *       the first address that is not itself a trusted proxy is the client. Entries further left
 *       were written by whoever sent the request and are never believed. An entry that is not an IP
 *       literal ends the walk at the last address known good.
 *   <li>{@code X-Forwarded-Proto}: one value, {@code http} or {@code https}.
 *   <li>{@code X-Forwarded-Host}: one {@code host[:port]} (a DNS name, an IPv4 address or a
 *       bracketed IPv6 one); {@code X-Forwarded-Port} adds the port when that host has none
 *       (ingress-nginx sends both, and nginx's {@code $host} carries no port).
 * </ul>
 *
 * A value that does not parse is ignored (the request is served as if the header were absent, never
 * refused: a proxy's quirk must not take the registry down), so a host or scheme that reaches a
 * header the server writes is always one of these validated forms.
 */
public final class ForwardedHeaders {
  /** No proxy is trusted: the peer is the client, this listener the origin. */
  public static final ForwardedHeaders NONE = new ForwardedHeaders(List.of());

  private static final String FORWARDED = "Forwarded";
  private static final String X_FORWARDED_FOR = "X-Forwarded-For";
  private static final String X_FORWARDED_PROTO = "X-Forwarded-Proto";
  private static final String X_FORWARDED_HOST = "X-Forwarded-Host";
  private static final String X_FORWARDED_PORT = "X-Forwarded-Port";

  /**
   * A host the server may write into a header: a DNS name or IPv4 address, or an IPv6 literal in
   * brackets, with an optional port. No quotes, spaces or commas, so it cannot break out of a
   * quoted challenge parameter.
   */
  private static final Pattern HOST =
      Pattern.compile(
          "(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\\[[0-9A-Fa-f:.]{2,45}\\])(?::[0-9]{1,5})?");

  private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");
  private static final String FALLBACK_HOST = "localhost";
  private static final InetAddress UNKNOWN =
      NetUtil.createInetAddressFromIpAddressString("0.0.0.0");

  private final List<IpSubnetFilterRule> trusted;

  public ForwardedHeaders(List<TrustedProxy> trustedProxies) {
    this.trusted = trustedProxies.stream().map(TrustedProxy::rule).toList();
  }

  static boolean isHost(String host) {
    return host != null && HOST.matcher(host).matches() && portInRange(host);
  }

  /** The request on {@code channel}: TLS on the listener makes the direct scheme {@code https}. */
  ForwardedRequest resolve(Channel channel, HttpHeaders headers) {
    boolean tls = channel.pipeline().get(SslHandler.class) != null;
    return resolve(channel.remoteAddress(), tls, headers);
  }

  /**
   * @param peer the connection's remote address
   * @param tls whether the connection to this server is TLS
   * @param headers the request's headers ({@code Host} already checked by {@link RequestTarget})
   */
  ForwardedRequest resolve(SocketAddress peer, boolean tls, HttpHeaders headers) {
    InetSocketAddress in =
        peer instanceof InetSocketAddress a && a.getAddress() != null
            ? a
            // A TCP peer always has an address; should a closing channel have lost it, the request
            // is still served (and logged as from nowhere) rather than failed.
            : new InetSocketAddress(UNKNOWN, 0);
    peer = in;
    String host = headers.get(HttpHeaderNames.HOST);
    if (!isHost(host)) {
      // HTTP/1.0 without Host, or a valid reg-name this stricter form does not take.
      host = FALLBACK_HOST;
    }
    String scheme = tls ? "https" : "http";
    if (!isTrusted(in.getAddress())) {
      return new ForwardedRequest(peer, in.getAddress(), scheme, host);
    }
    List<String> forwardedLines = headers.getAll(FORWARDED);
    if (!forwardedLines.isEmpty()) {
      Optional<List<Map<String, String>>> elements = ForwardedElements.parse(forwardedLines);
      if (elements.isPresent()) {
        return fromForwarded(in, elements.get(), scheme, host);
      }
    }
    InetAddress client = client(in.getAddress(), headers.getAll(X_FORWARDED_FOR));
    String proto = single(headers, X_FORWARDED_PROTO);
    if (proto != null) {
      scheme = scheme(proto, scheme);
    }
    String forwardedHost = single(headers, X_FORWARDED_HOST);
    if (isHost(forwardedHost)) {
      host = forwardedHost;
    }
    String port = single(headers, X_FORWARDED_PORT);
    if (port != null && PORT.matcher(port).matches() && !hasPort(host)) {
      int p = Integer.parseInt(port);
      boolean defaultPort = p == 443 && scheme.equals("https") || p == 80 && scheme.equals("http");
      if (p > 0 && p <= 65_535 && !defaultPort) {
        host = host + ":" + p;
      }
    }
    return new ForwardedRequest(peer, client, scheme, host);
  }

  /**
   * RFC 7239 elements from a trusted peer: walk from the right while the hop is a trusted proxy.
   */
  private ForwardedRequest fromForwarded(
      InetSocketAddress peer, List<Map<String, String>> elements, String scheme, String host) {
    InetAddress client = peer.getAddress();
    Map<String, String> facingClient = null;
    for (int i = elements.size() - 1; i >= 0 && isTrusted(client); i--) {
      Map<String, String> element = elements.get(i);
      facingClient = element;
      String hop = element.get("for");
      InetAddress address =
          hop == null ? null : NetUtil.createInetAddressFromIpAddressString(stripPort(hop));
      if (address == null) {
        break;
      }
      client = address;
    }
    if (facingClient != null) {
      String proto = facingClient.get("proto");
      if (proto != null) {
        scheme = scheme(proto, scheme);
      }
      String forwardedHost = facingClient.get("host");
      if (isHost(forwardedHost)) {
        host = forwardedHost;
      }
    }
    return new ForwardedRequest(peer, client, scheme, host);
  }

  private static String scheme(String proto, String otherwise) {
    String p = proto.toLowerCase(Locale.ROOT);
    return p.equals("http") || p.equals("https") ? p : otherwise;
  }

  private InetAddress client(InetAddress peer, List<String> forwardedFor) {
    InetAddress client = peer;
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

  /**
   * The header's one value, stripped; null when absent, repeated or a list (which proxy wrote which
   * is unknowable).
   */
  private static String single(HttpHeaders headers, String name) {
    List<String> values = headers.getAll(name);
    if (values.size() != 1) {
      return null;
    }
    String v = values.get(0).strip();
    return v.isEmpty() || v.indexOf(',') >= 0 ? null : v;
  }

  private boolean isTrusted(InetAddress address) {
    if (trusted.isEmpty()) {
      return false;
    }
    InetSocketAddress a = new InetSocketAddress(address, 0);
    for (IpSubnetFilterRule r : trusted) {
      if (r.matches(a)) {
        return true;
      }
    }
    return false;
  }

  private static boolean hasPort(String host) {
    int close = host.lastIndexOf(']');
    return host.indexOf(':', close + 1) >= 0;
  }

  private static boolean portInRange(String host) {
    int close = host.lastIndexOf(']');
    int colon = host.indexOf(':', close + 1);
    return colon < 0 || Integer.parseInt(host.substring(colon + 1)) <= 65_535;
  }

  /**
   * Some proxies write {@code [2001:db8::1]:443} or {@code 192.0.2.1:443}; the port is not the
   * client.
   */
  private static String stripPort(String hop) {
    if (hop.startsWith("[")) {
      int close = hop.indexOf(']');
      return close < 0 ? hop : hop.substring(1, close);
    }
    int colon = hop.indexOf(':');
    return colon > 0 && colon == hop.lastIndexOf(':') ? hop.substring(0, colon) : hop;
  }
}
