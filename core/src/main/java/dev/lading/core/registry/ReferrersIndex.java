package dev.lading.core.registry;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lading.core.model.MediaTypes;

/**
 * The body of {@code GET /v2/<name>/referrers/<digest>}: an OCI image index whose
 * {@code manifests} are the referrers' descriptors (distribution-spec, "Listing Referrers"), so
 * the server writes bytes and knows nothing of JSON.
 */
public final class ReferrersIndex {
  private ReferrersIndex() {}

  /** Serialises {@code referrers} as an {@code application/vnd.oci.image.index.v1+json}. */
  public static byte[] toJson(Referrers referrers) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode index = f.objectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", MediaTypes.OCI_INDEX);
    ArrayNode manifests = index.putArray("manifests");
    for (Descriptor d : referrers.manifests()) {
      ObjectNode node = manifests.addObject();
      node.put("mediaType", d.mediaType());
      node.put("digest", d.digest().toString());
      node.put("size", d.size());
      d.artifactType().ifPresent(t -> node.put("artifactType", t));
      if (!d.annotations().isEmpty()) {
        ObjectNode annotations = node.putObject("annotations");
        d.annotations().entrySet().stream()
            .sorted(java.util.Map.Entry.comparingByKey())
            .forEach(e -> annotations.put(e.getKey(), e.getValue()));
      }
    }
    return StoredJson.write(index);
  }

  /** The media type to answer with. */
  public static String mediaType() {
    return MediaTypes.OCI_INDEX;
  }
}
