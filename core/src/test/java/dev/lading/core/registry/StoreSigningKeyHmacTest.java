package dev.lading.core.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The HMAC-SHA256 that signs upload ids and blob URLs, each signature from a clone of one keyed
 * Mac.
 */
class StoreSigningKeyHmacTest {
  private static final byte[] JEFE = "Jefe".getBytes(StandardCharsets.US_ASCII);

  /** RFC 4231, test case 2. */
  private static final String WHAT_DO_YA_WANT =
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

  @Test
  void signsAsRfc4231SaysAndAgainAndAgain() {
    StoreSigningKey.Hmac hmac = new StoreSigningKey.Hmac(() -> JEFE);

    for (int i = 0; i < 3; i++) {
      assertThat(HexFormat.of().formatHex(hmac.sign("what do ya want for nothing?")))
          .isEqualTo(WHAT_DO_YA_WANT);
    }
  }

  @Test
  void concurrentSignaturesNeverMixTheirMessages() throws Exception {
    StoreSigningKey.Hmac shared = new StoreSigningKey.Hmac(() -> JEFE);
    List<Callable<Boolean>> signers =
        IntStream.range(0, 8)
            .<Callable<Boolean>>mapToObj(
                t ->
                    () -> {
                      for (int i = 0; i < 2_000; i++) {
                        String message = "message " + t + "/" + i;
                        byte[] alone = new StoreSigningKey.Hmac(() -> JEFE).sign(message);
                        if (!java.util.Arrays.equals(shared.sign(message), alone)) {
                          return false;
                        }
                      }
                      return true;
                    })
            .toList();
    try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
      for (Future<Boolean> f : pool.invokeAll(signers)) {
        assertThat(f.get()).isTrue();
      }
    }
  }

  @Test
  void theKeyIsAskedForOnceAtTheFirstSignature() {
    AtomicInteger asked = new AtomicInteger();
    StoreSigningKey.Hmac hmac =
        new StoreSigningKey.Hmac(
            () -> {
              asked.incrementAndGet();
              return JEFE;
            });
    assertThat(asked).hasValue(0);

    hmac.sign("a");
    hmac.sign("b");

    assertThat(asked).hasValue(1);
  }
}
