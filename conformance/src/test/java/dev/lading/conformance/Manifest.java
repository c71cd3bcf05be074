package dev.lading.conformance;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A manifest or index exactly as pushed: its media type, its bytes and their digest. */
public record Manifest(String mediaType, byte[] bytes, String digest) {

  public static Manifest of(String mediaType, byte[] bytes) {
    return new Manifest(mediaType, bytes, Blob.sha256(bytes));
  }

  public Descriptor descriptor() {
    return Descriptor.of(mediaType, digest, bytes.length);
  }

  public static Builder oci() {
    return new Builder(MediaType.OCI_MANIFEST, "layers");
  }

  public static Builder ociIndex() {
    return new Builder(MediaType.OCI_INDEX, "manifests");
  }

  public static Builder docker() {
    return new Builder(MediaType.DOCKER_MANIFEST, "layers");
  }

  public static Builder dockerList() {
    return new Builder(MediaType.DOCKER_MANIFEST_LIST, "manifests");
  }

  /** Builds the JSON field by field, in the order a client would write it. */
  public static final class Builder {
    private final String mediaType;
    private final String childrenField;
    private Descriptor config;
    private final List<Descriptor> children = new ArrayList<>();
    private String artifactType;
    private Descriptor subject;
    private final Map<String, String> annotations = new LinkedHashMap<>();

    private Builder(String mediaType, String childrenField) {
      this.mediaType = mediaType;
      this.childrenField = childrenField;
    }

    public Builder config(Descriptor d) {
      this.config = d;
      return this;
    }

    /** A layer of an image manifest, or a manifest of an index. */
    public Builder add(Descriptor d) {
      children.add(d);
      return this;
    }

    public Builder artifactType(String type) {
      this.artifactType = type;
      return this;
    }

    public Builder subject(Descriptor d) {
      this.subject = d;
      return this;
    }

    public Builder annotation(String key, String value) {
      annotations.put(key, value);
      return this;
    }

    public Manifest build() {
      ObjectNode root = JsonNodeFactory.instance.objectNode();
      root.put("schemaVersion", 2);
      root.put("mediaType", mediaType);
      if (artifactType != null) {
        root.put("artifactType", artifactType);
      }
      if (config != null) {
        root.set("config", config.toJson());
      }
      ArrayNode list = root.putArray(childrenField);
      children.forEach(c -> list.add(c.toJson()));
      if (subject != null) {
        root.set("subject", subject.toJson());
      }
      if (!annotations.isEmpty()) {
        ObjectNode a = root.putObject("annotations");
        annotations.forEach(a::put);
      }
      try {
        return Manifest.of(
            mediaType, Reply.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
