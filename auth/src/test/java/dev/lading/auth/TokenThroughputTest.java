package dev.lading.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Prints (never asserts) how fast tokens are signed and verified on this machine, for the closing
 * notes; the only assertion is that the work was done.
 */
class TokenThroughputTest {
  @Test
  void printsTokensAndVerificationsPerSecond() throws Exception {
    SigningKeys keys = SigningKeys.generate();
    TokenIssuer issuer =
        new TokenIssuer(
            keys, "lading", "bench", Duration.ofMinutes(5), Duration.ofDays(1), Clock.systemUTC());
    Principal robot = new Principal("ml-builder", Principal.Kind.ROBOT);
    List<Scope> scopes = List.of(Scope.parse("repository:ml/vllm:pull,push"));
    int n = 2_000;
    List<String> tokens = new ArrayList<>(n);
    for (int i = 0; i < 200; i++) {
      issuer.issue(robot, scopes); // warm-up
    }
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      tokens.add(issuer.issue(robot, scopes).token());
    }
    long t1 = System.nanoTime();
    TokenVerifier verifier = TokenVerifier.forKeys(keys, "lading", "bench", Clock.systemUTC());
    for (String t : tokens) {
      verifier.verify(t); // full ES256 verification: each token is new to the cache
    }
    long t2 = System.nanoTime();
    int hits = 0;
    for (int round = 0; round < 50; round++) {
      for (String t : tokens) {
        hits += verifier.verify(t).subject().length() > 0 ? 1 : 0;
      }
    }
    long t3 = System.nanoTime();
    BcryptHash hash = BcryptHash.of("secret".toCharArray(), BcryptHash.DEFAULT_COST);
    long t4 = System.nanoTime();
    for (int i = 0; i < 10; i++) {
      hash.verify("secret".toCharArray());
    }
    long t5 = System.nanoTime();
    System.out.printf(
        "ES256 tokens issued: %.0f/s; verified (signature): %.0f/s; verified (cached): %.0f/s;"
            + " bcrypt cost %d checks: %.1f/s (one thread)%n",
        n / ((t1 - t0) / 1e9),
        n / ((t2 - t1) / 1e9),
        hits / ((t3 - t2) / 1e9),
        BcryptHash.DEFAULT_COST,
        10 / ((t5 - t4) / 1e9));
    assertThat(hits).isEqualTo(50 * n);
  }
}
