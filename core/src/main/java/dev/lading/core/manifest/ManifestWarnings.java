package dev.lading.core.manifest;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a push is accepted with but told about: the deprecated parts of image-spec a manifest uses.
 * The registry answers them as distribution-spec's {@code Warning} headers, which clients report to
 * the user and never act on, so a warning never changes what is stored or refused.
 *
 * <p>Only one thing qualifies today: non-distributable layers ({@code
 * application/vnd.oci.image.layer.nondistributable.v1.tar} and its {@code +gzip} and {@code +zstd}
 * forms), which image-spec 1.1 deprecated ("not recommended for future use; implementations SHOULD
 * NOT produce new non-distributable layers", image-spec PR 965). Docker's foreign layers are not
 * deprecated by any spec and get no warning. One message per media type, however many layers use
 * it, so the answer stays far below the spec's 4096 bytes of warnings.
 */
public final class ManifestWarnings {
  static final String NON_DISTRIBUTABLE = "application/vnd.oci.image.layer.nondistributable.";

  private ManifestWarnings() {}

  /** The warnings for {@code manifest}, in the order its layers name them; usually none. */
  public static List<String> of(ParsedManifest manifest) {
    Set<String> deprecated = new LinkedHashSet<>();
    for (ManifestDescriptor layer : manifest.layers()) {
      if (layer.mediaType().startsWith(NON_DISTRIBUTABLE)) {
        deprecated.add(layer.mediaType());
      }
    }
    List<String> out = new ArrayList<>(deprecated.size());
    for (String mediaType : deprecated) {
      out.add(
          "layer media type "
              + mediaType
              + " is deprecated (image-spec 1.1: non-distributable layers are not recommended;"
              + " push the layer with the distributable media type instead)");
    }
    return List.copyOf(out);
  }
}
