package dev.lading.core.manifest;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.model.Digest;
import dev.lading.core.model.Reference;
import java.util.Map;

/**
 * The registry's rules for accepting a pushed manifest document: a size limit, a well-formed body
 * ({@link ManifestParser}) and a digest that matches when pushed by digest. That its references
 * resolve in the repository (an image manifest's config and layers linked there, except foreign
 * layers with {@code urls}; an index's children; never the {@code subject}, which referrers may
 * precede) the registry checks once, under GC's fence.
 */
public final class ManifestValidator {

  private final long maxManifestBytes;

  public ManifestValidator(long maxManifestBytes) {
    if (maxManifestBytes <= 0) {
      throw new IllegalArgumentException("maxManifestBytes must be positive");
    }
    this.maxManifestBytes = maxManifestBytes;
  }

  /** A manifest accepted for storage: what it says, and its digest. */
  public record Accepted(ParsedManifest manifest, Digest digest) {}

  /**
   * Checks the document itself: its size, its grammar and, for a push by digest, that the bytes are
   * that digest. Whether the repository holds what it references is the registry's check, made
   * once, under GC's fence ({@link ParsedManifest#requiredBlobs}).
   */
  public Accepted validate(Reference reference, String contentType, byte[] body) {
    if (body.length > maxManifestBytes) {
      throw ErrorCode.MANIFEST_TOO_LARGE
          .exception(
              "manifest of "
                  + body.length
                  + " bytes above the limit of "
                  + maxManifestBytes
                  + " bytes")
          .withDetail(Map.of("size", body.length, "limit", maxManifestBytes));
    }
    ParsedManifest manifest = ManifestParser.parse(contentType, body);
    Digest digest;
    if (reference instanceof Digest expected) {
      digest = Digest.compute(expected.algorithm(), body);
      if (!digest.equals(expected)) {
        throw ErrorCode.DIGEST_INVALID
            .exception("manifest digest does not match the reference")
            .withDetail(Map.of("expected", expected.toString(), "actual", digest.toString()));
      }
    } else {
      digest = Digest.sha256(body);
    }
    return new Accepted(manifest, digest);
  }
}
