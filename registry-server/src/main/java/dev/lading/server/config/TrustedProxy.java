package dev.lading.server.config;

import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import io.netty.util.NetUtil;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * One entry of {@code http.trusted_proxies}: a block of peers whose {@code X-Forwarded-For} is
 * believed. Only IP literals parse (a host name would make trust depend on DNS); the matching is
 * Netty's {@link IpSubnetFilterRule}.
 */
public record TrustedProxy(InetAddress network, int prefix) {
  public TrustedProxy {
    Objects.requireNonNull(network, "network");
    int bits = network instanceof Inet4Address ? 32 : 128;
    if (prefix < 0 || prefix > bits) {
      throw new IllegalArgumentException(
          "prefix /" + prefix + " out of range for " + network.getHostAddress());
    }
  }

  /**
   * {@code 10.0.0.0/8}, {@code fd00::/8}, or one address ({@code 192.0.2.7}: /32, /128 for IPv6).
   */
  public static TrustedProxy parse(String text) {
    String s = text.strip();
    int slash = s.indexOf('/');
    String literal = slash < 0 ? s : s.substring(0, slash);
    InetAddress address = NetUtil.createInetAddressFromIpAddressString(literal);
    if (address == null) {
      throw new IllegalArgumentException(text + " is not an IP address or CIDR block");
    }
    int bits = address instanceof Inet4Address ? 32 : 128;
    int prefix;
    try {
      prefix = slash < 0 ? bits : Integer.parseInt(s.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(text + " has no valid prefix length");
    }
    return new TrustedProxy(address, prefix);
  }

  /** The rule that matches peers in this block. */
  public IpSubnetFilterRule rule() {
    return new IpSubnetFilterRule(network, prefix, IpFilterRuleType.ACCEPT);
  }

  @Override
  public String toString() {
    return network.getHostAddress() + "/" + prefix;
  }
}
