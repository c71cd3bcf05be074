package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.server.config.TrustedProxy;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class ForwardedHeadersTest {
  private final ForwardedHeaders forwarded =
      new ForwardedHeaders(
          List.of(TrustedProxy.parse("10.0.0.0/8"), TrustedProxy.parse("fd00::/8")));

  private String client(String peer, String... forwardedFor) {
    HttpHeaders h = new DefaultHttpHeaders().add("Host", "lading.internal:5000");
    for (String line : forwardedFor) {
      h.add("X-Forwarded-For", line);
    }
    return forwarded
        .resolve(new InetSocketAddress(peer, 40000), false, h)
        .client()
        .getHostAddress();
  }

  private ForwardedRequest resolve(String peer, boolean tls, String... headerPairs) {
    HttpHeaders h = new DefaultHttpHeaders().add("Host", "lading.internal:5000");
    for (int i = 0; i < headerPairs.length; i += 2) {
      h.add(headerPairs[i], headerPairs[i + 1]);
    }
    return forwarded.resolve(new InetSocketAddress(peer, 40000), tls, h);
  }

  @Test
  void anUntrustedPeerIsTheClientWhateverItForwards() {
    assertThat(client("198.51.100.1", "203.0.113.9")).isEqualTo("198.51.100.1");
  }

  @Test
  void behindTrustedProxiesTheFirstUntrustedHopFromTheRightIsTheClient() {
    assertThat(client("10.0.0.5", "203.0.113.9")).isEqualTo("203.0.113.9");
    assertThat(client("10.0.0.5", "198.51.100.66, 203.0.113.9, 10.1.1.1")).isEqualTo("203.0.113.9");
    // Repeated header lines count in order received, the proxy's own line last.
    assertThat(client("10.0.0.5", "198.51.100.66", "203.0.113.9")).isEqualTo("203.0.113.9");
    assertThat(client("fd00::1", "[2001:db8::7]:443")).isEqualTo("2001:db8:0:0:0:0:0:7");
    assertThat(client("10.0.0.5", "203.0.113.9:5123")).isEqualTo("203.0.113.9");
  }

  @Test
  void garbageOrNothingForwardedLeavesTheLastAddressKnownGood() {
    assertThat(client("10.0.0.5")).isEqualTo("10.0.0.5");
    assertThat(client("10.0.0.5", "unknown, 10.2.2.2")).isEqualTo("10.2.2.2");
    assertThat(client("10.0.0.5", "203.0.113.9, evil.example")).isEqualTo("10.0.0.5");
  }

  @Test
  void aTrustedProxyNamesTheSchemeAndHostTheClientUsed() {
    ForwardedRequest r =
        resolve(
            "10.0.0.5",
            false,
            "X-Forwarded-For",
            "203.0.113.9",
            "X-Forwarded-Proto",
            "https",
            "X-Forwarded-Host",
            "registry.example");
    assertThat(r.origin()).isEqualTo("https://registry.example");
    assertThat(r.client().getHostAddress()).isEqualTo("203.0.113.9");
    assertThat(r.describe()).isEqualTo("203.0.113.9 via /10.0.0.5:40000");
    assertThat(
            resolve(
                    "10.0.0.5",
                    false,
                    "X-Forwarded-Proto",
                    "HTTPS",
                    "X-Forwarded-Host",
                    "[2001:db8::1]:8443")
                .origin())
        .isEqualTo("https://[2001:db8::1]:8443");
  }

  @Test
  void xForwardedPortCompletesAHostWithoutOneUnlessItIsTheSchemesDefault() {
    assertThat(
            resolve(
                    "10.0.0.5",
                    false,
                    "X-Forwarded-Proto",
                    "https",
                    "X-Forwarded-Host",
                    "registry.example",
                    "X-Forwarded-Port",
                    "8443")
                .origin())
        .isEqualTo("https://registry.example:8443");
    assertThat(
            resolve(
                    "10.0.0.5",
                    false,
                    "X-Forwarded-Proto",
                    "https",
                    "X-Forwarded-Host",
                    "registry.example",
                    "X-Forwarded-Port",
                    "443")
                .origin())
        .isEqualTo("https://registry.example");
    assertThat(
            resolve(
                    "10.0.0.5",
                    false,
                    "X-Forwarded-Host",
                    "registry.example:9000",
                    "X-Forwarded-Port",
                    "8443")
                .origin())
        .isEqualTo("http://registry.example:9000");
  }

  @Test
  void anUntrustedPeersForwardedHeadersAreIgnoredEntirely() {
    ForwardedRequest r =
        resolve(
            "198.51.100.1",
            false,
            "X-Forwarded-For",
            "203.0.113.9",
            "X-Forwarded-Proto",
            "https",
            "X-Forwarded-Host",
            "evil.example",
            "X-Forwarded-Port",
            "1");
    assertThat(r.origin()).isEqualTo("http://lading.internal:5000");
    assertThat(r.client().getHostAddress()).isEqualTo("198.51.100.1");
    assertThat(r.viaProxy()).isFalse();
    assertThat(r.describe()).isEqualTo("/198.51.100.1:40000");
    assertThat(resolve("198.51.100.1", true).origin()).isEqualTo("https://lading.internal:5000");
  }

  @Test
  void malformedOrAmbiguousValuesFromATrustedProxyAreIgnoredNotFatal() {
    for (String[] bad :
        new String[][] {
          {"X-Forwarded-Proto", "gopher"},
          {"X-Forwarded-Proto", "https, http"},
          {"X-Forwarded-Host", "evil\".example"},
          {"X-Forwarded-Host", "a.example, b.example"},
          {"X-Forwarded-Host", "registry.example:99999"},
          {"X-Forwarded-Host", "registry.example/path"},
          {"X-Forwarded-Host", ""},
          {"X-Forwarded-Port", "-1"},
          {"X-Forwarded-Port", "99999"},
          {"X-Forwarded-Port", "80 80"},
        }) {
      assertThat(resolve("10.0.0.5", false, bad).origin())
          .as(String.join(": ", bad))
          .isEqualTo("http://lading.internal:5000");
    }
    // Two lines of one header: which proxy wrote which cannot be known.
    assertThat(
            resolve(
                    "10.0.0.5",
                    false,
                    "X-Forwarded-Host",
                    "a.example",
                    "X-Forwarded-Host",
                    "b.example")
                .origin())
        .isEqualTo("http://lading.internal:5000");
  }

  @Test
  void rfc7239ForwardedNamesTheClientAndTheUrlItUsedFromTheHopThatFacedIt() {
    ForwardedRequest r =
        resolve(
            "10.0.0.5",
            false,
            "Forwarded",
            "for=203.0.113.9;proto=https;host=registry.example, for=10.1.1.1;proto=http;host=lading:5000");
    assertThat(r.client().getHostAddress()).isEqualTo("203.0.113.9");
    assertThat(r.origin()).isEqualTo("https://registry.example");
    // Quoted values, an IPv6 client with a port, parameter names in any case, lines in order.
    r =
        resolve(
            "fd00::1",
            false,
            "Forwarded",
            "For=\"[2001:db8:cafe::17]:4711\";Proto=HTTPS;Host=\"registry.example:8443\"",
            "Forwarded",
            "for=10.2.2.2");
    assertThat(r.client().getHostAddress()).isEqualTo("2001:db8:cafe:0:0:0:0:17");
    assertThat(r.origin()).isEqualTo("https://registry.example:8443");
  }

  @Test
  void rfc7239ElementsLeftOfTheFirstUntrustedHopAreNeverBelieved() {
    ForwardedRequest r =
        resolve(
            "10.0.0.5",
            false,
            "Forwarded",
            "for=198.51.100.66;host=evil.example;proto=http, for=203.0.113.9;proto=https;host=registry.example");
    assertThat(r.client().getHostAddress()).isEqualTo("203.0.113.9");
    assertThat(r.origin()).isEqualTo("https://registry.example");
  }

  @Test
  void rfc7239UnknownOrObfuscatedForStopsAtTheLastAddressKnownGood() {
    ForwardedRequest r =
        resolve("10.0.0.5", false, "Forwarded", "for=unknown;proto=https;host=registry.example");
    assertThat(r.client().getHostAddress()).isEqualTo("10.0.0.5");
    assertThat(r.origin()).isEqualTo("https://registry.example");
    assertThat(
            resolve("10.0.0.5", false, "Forwarded", "for=_hidden, for=10.3.3.3")
                .client()
                .getHostAddress())
        .isEqualTo("10.3.3.3");
  }

  @Test
  void rfc7239WinsOverXForwardedAndABrokenOneFallsBackToIt() {
    ForwardedRequest r =
        resolve(
            "10.0.0.5",
            false,
            "Forwarded",
            "for=203.0.113.9;proto=https;host=registry.example",
            "X-Forwarded-For",
            "198.51.100.1",
            "X-Forwarded-Host",
            "other.example");
    assertThat(r.client().getHostAddress()).isEqualTo("203.0.113.9");
    assertThat(r.origin()).isEqualTo("https://registry.example");
    for (String broken :
        new String[] {
          "for=203.0.113.9;for=203.0.113.10",
          "for=\"203.0.113.9",
          "for 203.0.113.9",
          "=x",
          "for=a b"
        }) {
      r =
          resolve(
              "10.0.0.5",
              false,
              "Forwarded",
              broken,
              "X-Forwarded-For",
              "198.51.100.1",
              "X-Forwarded-Host",
              "other.example");
      assertThat(r.client().getHostAddress()).as(broken).isEqualTo("198.51.100.1");
      assertThat(r.origin()).as(broken).isEqualTo("http://other.example");
    }
  }

  @Test
  void rfc7239FromAnUntrustedPeerOrWithAnInvalidHostIsIgnored() {
    ForwardedRequest r =
        resolve(
            "198.51.100.1", false, "Forwarded", "for=203.0.113.9;proto=https;host=evil.example");
    assertThat(r.client().getHostAddress()).isEqualTo("198.51.100.1");
    assertThat(r.origin()).isEqualTo("http://lading.internal:5000");
    r = resolve("10.0.0.5", false, "Forwarded", "for=203.0.113.9;proto=gopher;host=\"a\\\"b\"");
    assertThat(r.client().getHostAddress()).isEqualTo("203.0.113.9");
    assertThat(r.origin()).isEqualTo("http://lading.internal:5000");
  }
}
