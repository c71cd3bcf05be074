package dev.lading.core.registry;

import dev.lading.core.model.Digest;
import dev.lading.core.model.DigestAlgorithm;
import java.util.function.Predicate;

/**
 * Which digest a manifest pushed by tag is stored and answered under.
 *
 * <p>A push by tag carries no digest, so the registry computes the canonical sha256. But a client
 * that works in another algorithm (the conformance suite's {@code tag-param-sha512} data with
 * {@code OCI_VERSION=dev}, a blake3 or sha512 toolchain) first pushes the manifest by its own
 * digest, then, when the registry did not confirm its {@code ?tag=} parameters with {@code
 * OCI-Tag}, pushes the same bytes by tag and checks that {@code Docker-Content-Digest} is the
 * digest it computed. So: when the repository does not link the bytes under sha256 but does under
 * another registered algorithm, the tag points at that digest and the response names it. A new
 * manifest, or one linked under sha256, stays sha256. At most one extra link read per registered
 * algorithm other than sha256, on a push by tag only.
 */
final class ManifestDigests {
  private ManifestDigests() {}

  static Digest asTheClientPushedIt(
      Digest sha256, byte[] body, Predicate<DigestAlgorithm> taken, Predicate<Digest> linked) {
    // The other algorithms first: for the usual push (bytes new to the repository, or linked
    // under sha256 only) that is one link stat per other algorithm and no sha256 check at all.
    // An algorithm the registry does not take (blake3 when off) has no links to find.
    for (DigestAlgorithm algorithm : DigestAlgorithm.values()) {
      if (algorithm == sha256.algorithm() || !taken.test(algorithm)) {
        continue;
      }
      Digest other = Digest.compute(algorithm, body);
      if (linked.test(other)) {
        return linked.test(sha256) ? sha256 : other;
      }
    }
    return sha256;
  }
}
