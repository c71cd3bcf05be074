package dev.lading.bench;

import dev.lading.bench.Ledger.BlobFact;
import dev.lading.bench.Ledger.ManifestFact;
import dev.lading.core.model.Digest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** An OCI image manifest of a config and layers, as the ledger's {@link ManifestFact}. */
final class OciImages {

  static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  private static final String CONFIG = "application/vnd.oci.image.config.v1+json";
  private static final String LAYER = "application/vnd.oci.image.layer.v1.tar";

  private OciImages() {}

  /** {@code label} goes into an annotation, so two images of the same blobs still differ. */
  static ManifestFact image(BlobFact config, List<BlobFact> layers, String label) {
    StringBuilder json =
        new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + MANIFEST + "\",")
            .append("\"config\":")
            .append(descriptor(CONFIG, config))
            .append(",\"layers\":[");
    List<Digest> blobs = new ArrayList<>();
    blobs.add(config.digest());
    for (int i = 0; i < layers.size(); i++) {
      json.append(i == 0 ? "" : ",").append(descriptor(LAYER, layers.get(i)));
      blobs.add(layers.get(i).digest());
    }
    json.append("],\"annotations\":{\"dev.lading.gcsoak\":\"").append(label).append("\"}}");
    byte[] body = json.toString().getBytes(StandardCharsets.UTF_8);
    return new ManifestFact(Digest.sha256(body), body, MANIFEST, blobs, List.of());
  }

  private static String descriptor(String mediaType, BlobFact b) {
    return descriptor(mediaType, b.digest(), b.size());
  }

  /** An OCI descriptor's JSON: media type, digest, size. */
  static String descriptor(String mediaType, Digest digest, long size) {
    return "{\"mediaType\":\""
        + mediaType
        + "\",\"digest\":\""
        + digest
        + "\",\"size\":"
        + size
        + "}";
  }
}
