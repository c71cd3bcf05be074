package dev.lading.core.registry;

import dev.lading.core.model.Digest;
import dev.lading.core.model.DigestAlgorithm;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
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
 * manifest, or one linked under sha256, stays sha256.
 *
 * <p>The links of the forms other than sha256 are read with the manifest's references, side by side
 * (one round trip on S3), so a push by tag pays for this with one more link read in a round it
 * makes anyway; the sha256 link only matters when one of them is linked, and is read only then.
 */
final class ManifestDigests {
  private ManifestDigests() {}

  /**
   * The digests a push of {@code body} by tag may be stored under: sha256 first, then the bytes
   * under each other algorithm the registry takes ({@code taken}; blake3 when off has no links).
   */
  static List<Digest> candidates(Digest sha256, byte[] body, Predicate<DigestAlgorithm> taken) {
    List<Digest> candidates = new ArrayList<>();
    candidates.add(sha256);
    for (DigestAlgorithm algorithm : DigestAlgorithm.values()) {
      if (algorithm != sha256.algorithm() && taken.test(algorithm)) {
        candidates.add(Digest.compute(algorithm, body));
      }
    }
    return List.copyOf(candidates);
  }

  /**
   * The digest to store and answer under, given whether the repository links each of {@link
   * #candidates} but the first ({@code othersLinked}, in their order) and, asked only when one of
   * them is, whether it links the first ({@code sha256Linked}): sha256 unless only another form is
   * linked, then the first such form.
   */
  static Digest chosen(
      List<Digest> candidates, List<Boolean> othersLinked, BooleanSupplier sha256Linked) {
    int linked = othersLinked.indexOf(true);
    if (linked < 0 || sha256Linked.getAsBoolean()) {
      return candidates.getFirst();
    }
    return candidates.get(linked + 1);
  }
}
