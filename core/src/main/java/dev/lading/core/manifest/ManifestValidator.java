package dev.lading.core.manifest;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.model.Digest;
import dev.lading.core.model.Reference;
import java.util.Map;

/**
 * The registry's rules for accepting a pushed manifest: a size limit, a well-formed body
 * ({@link ManifestParser}), a digest that matches when pushed by digest, and references that
 * resolve in the repository. An image manifest's config and layers must be blobs linked there
 * (except foreign layers with {@code urls}); an index's children must be manifests there. The
 * {@code subject} need not exist (distribution-spec: referrers may be pushed before their
 * subject).
 */
public final class ManifestValidator {

  /** What the validator asks of the repository the manifest is pushed to. */
  public interface RepositoryContents {
    boolean hasBlob(Digest digest);

    boolean hasManifest(Digest digest);
  }

  private final long maxManifestBytes;

  public ManifestValidator(long maxManifestBytes) {
    if (maxManifestBytes <= 0) {
      throw new IllegalArgumentException("maxManifestBytes must be positive");
    }
    this.maxManifestBytes = maxManifestBytes;
  }

  /** A manifest accepted for storage: what it says, and its digest. */
  public record Accepted(ParsedManifest manifest, Digest digest) {}

  public Accepted validate(
      Reference reference, String contentType, byte[] body, RepositoryContents contents) {
    if (body.length > maxManifestBytes) {
      throw new RegistryException(
          ErrorCode.MANIFEST_TOO_LARGE,
          "manifest too large",
          Map.of("size", body.length, "limit", maxManifestBytes));
    }
    ParsedManifest manifest = ManifestParser.parse(contentType, body);
    Digest digest;
    if (reference instanceof Digest expected) {
      digest = Digest.compute(expected.algorithm(), body);
      if (!digest.equals(expected)) {
        throw new RegistryException(
            ErrorCode.DIGEST_INVALID,
            "manifest digest does not match the reference",
            Map.of("expected", expected.toString(), "actual", digest.toString()));
      }
    } else {
      digest = Digest.sha256(body);
    }
    if (manifest.isIndex()) {
      for (ManifestDescriptor child : manifest.manifests()) {
        if (!contents.hasManifest(child.digest())) {
          throw blobUnknown(child.digest());
        }
      }
    } else {
      ManifestDescriptor config = manifest.config().orElseThrow();
      if (!contents.hasBlob(config.digest())) {
        throw blobUnknown(config.digest());
      }
      for (ManifestDescriptor layer : manifest.layers()) {
        if (!layer.isForeign() && !contents.hasBlob(layer.digest())) {
          throw blobUnknown(layer.digest());
        }
      }
    }
    return new Accepted(manifest, digest);
  }

  private static RegistryException blobUnknown(Digest digest) {
    return new RegistryException(
        ErrorCode.MANIFEST_BLOB_UNKNOWN,
        "manifest references a manifest or blob unknown to registry",
        Map.of("digest", digest.toString()));
  }
}
