package dev.lading.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.server.config.TrustedProxy;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClientAddressTest {
  private final ClientAddress clients = new ClientAddress(
      List.of(TrustedProxy.parse("10.0.0.0/8"), TrustedProxy.parse("fd00::/8")));

  private String resolve(String peer, String... forwardedFor) {
    return clients.resolve(new InetSocketAddress(peer, 40000), List.of(forwardedFor)).getHostAddress();
  }

  @Test
  void anUntrustedPeerIsTheClientWhateverItForwards() {
    assertThat(resolve("198.51.100.1", "203.0.113.9")).isEqualTo("198.51.100.1");
  }

  @Test
  void behindTrustedProxiesTheFirstUntrustedHopFromTheRightIsTheClient() {
    assertThat(resolve("10.0.0.5", "203.0.113.9")).isEqualTo("203.0.113.9");
    assertThat(resolve("10.0.0.5", "198.51.100.66, 203.0.113.9, 10.1.1.1")).isEqualTo("203.0.113.9");
    // Repeated header lines count in order received, the proxy's own line last.
    assertThat(resolve("10.0.0.5", "198.51.100.66", "203.0.113.9")).isEqualTo("203.0.113.9");
    assertThat(resolve("fd00::1", "[2001:db8::7]:443")).isEqualTo("2001:db8:0:0:0:0:0:7");
    assertThat(resolve("10.0.0.5", "203.0.113.9:5123")).isEqualTo("203.0.113.9");
  }

  @Test
  void garbageOrNothingForwardedLeavesTheLastAddressKnownGood() {
    assertThat(resolve("10.0.0.5")).isEqualTo("10.0.0.5");
    assertThat(resolve("10.0.0.5", "unknown, 10.2.2.2")).isEqualTo("10.2.2.2");
    assertThat(resolve("10.0.0.5", "203.0.113.9, evil.example")).isEqualTo("10.0.0.5");
  }
}
