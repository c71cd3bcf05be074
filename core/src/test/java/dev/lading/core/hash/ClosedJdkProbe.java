package dev.lading.core.hash;

import dev.lading.core.model.Digest;
import java.nio.charset.StandardCharsets;

/**
 * Run in a child JVM started without {@code --add-opens}: prints whether the digest is resumable
 * and whether it still hashes correctly.
 */
public final class ClosedJdkProbe {
  private ClosedJdkProbe() {}

  public static void main(String[] args) {
    byte[] data = "hashed without the opened package".getBytes(StandardCharsets.US_ASCII);
    ResumableSha256 digest = ResumableSha256.create();
    digest.update(data, 0, data.length);
    boolean exported = digest.exportState().isPresent();
    boolean correct = digest.digest().equals(Digest.sha256(data));
    System.out.println(
        "resumable="
            + ResumableSha256.resumableAvailable()
            + " exported="
            + exported
            + " correct="
            + correct);
  }
}
