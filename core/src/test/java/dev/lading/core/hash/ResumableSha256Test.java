package dev.lading.core.hash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lading.core.model.Digest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ResumableSha256Test {

  private static byte[] data(int size) {
    byte[] bytes = new byte[size];
    new Random(42).nextBytes(bytes);
    return bytes;
  }

  @Test
  void theSurefireArgLineOpensTheJdkDigest() {
    // Surefire runs with --add-opens java.base/sun.security.provider; without it the resumable
    // path would silently never be tested.
    assertThat(ResumableSha256.resumableAvailable()).isTrue();
    assertThat(ResumableSha256.create().isResumable()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 55, 63, 64, 65, 1000, 4096, 100_003})
  void restoredStateGivesTheDigestOfTheWholeInput(int split) {
    assumeTrue(ResumableSha256.resumableAvailable(), "sun.security.provider is not opened");
    byte[] data = data(200_000);
    ResumableSha256 first = ResumableSha256.create();
    first.update(data, 0, split);
    byte[] state = first.exportState().orElseThrow();
    assertThat(state.length).isLessThan(200);

    ResumableSha256 resumed = ResumableSha256.restore(state).orElseThrow();
    assertThat(resumed.bytesHashed()).hasValue((long) split);
    resumed.update(ByteBuffer.wrap(data, split, data.length - split));
    assertThat(resumed.digest()).isEqualTo(Digest.sha256(data));
  }

  @Test
  void stateCanBeRestoredManyTimesInARow() {
    assumeTrue(ResumableSha256.resumableAvailable(), "sun.security.provider is not opened");
    byte[] data = data(10_000);
    byte[] state = ResumableSha256.create().exportState().orElseThrow();
    for (int offset = 0; offset < data.length; offset += 777) {
      ResumableSha256 step = ResumableSha256.restore(state).orElseThrow();
      step.update(data, offset, Math.min(777, data.length - offset));
      state = step.exportState().orElseThrow();
    }
    assertThat(ResumableSha256.restore(state).orElseThrow().digest())
        .isEqualTo(Digest.sha256(data));
  }

  @Test
  void directBuffersAreHashedToo() {
    byte[] data = data(300_000);
    ByteBuffer direct = ByteBuffer.allocateDirect(data.length).put(data).flip();
    ResumableSha256 digest = ResumableSha256.create();
    digest.update(direct);
    assertThat(direct.position()).isZero();
    assertThat(digest.digest()).isEqualTo(Digest.sha256(data));
  }

  @Test
  void plainFallbackHashesCorrectlyButExportsNothing() {
    byte[] data = data(5000);
    ResumableSha256 plain = ResumableSha256.createPlain();
    plain.update(data, 0, data.length);
    assertThat(plain.isResumable()).isFalse();
    assertThat(plain.exportState()).isEmpty();
    assertThat(plain.bytesHashed()).isEmpty();
    assertThat(plain.digest()).isEqualTo(Digest.sha256(data));
  }

  @Test
  void withoutTheOpenedPackageHashingStillWorksButIsNotResumable() throws Exception {
    String java = ProcessHandle.current().info().command().orElse(null);
    assumeTrue(java != null, "cannot tell which java runs this test");
    Process child =
        new ProcessBuilder(
                java, "-cp", System.getProperty("java.class.path"), ClosedJdkProbe.class.getName())
            .redirectErrorStream(true)
            .start();
    String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(output).contains("resumable=false exported=false correct=true");
  }

  @Test
  void corruptStateIsRefused() {
    assumeTrue(ResumableSha256.resumableAvailable(), "sun.security.provider is not opened");
    assertThatThrownBy(() -> ResumableSha256.restore(new byte[10]))
        .isInstanceOf(IllegalArgumentException.class);
    byte[] state = ResumableSha256.create().exportState().orElseThrow();
    state[state.length - 1] = 5; // bytesProcessed no longer matches the pending buffer
    assertThatThrownBy(() -> ResumableSha256.restore(state))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
