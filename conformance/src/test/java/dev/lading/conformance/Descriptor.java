package dev.lading.conformance;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/** An image-spec descriptor as the tests write it into manifests and indexes. */
public record Descriptor(
    String mediaType,
    String digest,
    long size,
    String artifactType,
    Map<String, String> annotations,
    Map<String, String> platform) {

  public static Descriptor of(String mediaType, String digest, long size) {
    return new Descriptor(mediaType, digest, size, null, Map.of(), Map.of());
  }

  public Descriptor withAnnotation(String key, String value) {
    Map<String, String> all = new LinkedHashMap<>(annotations);
    all.put(key, value);
    return new Descriptor(mediaType, digest, size, artifactType, all, platform);
  }

  public Descriptor withArtifactType(String type) {
    return new Descriptor(mediaType, digest, size, type, annotations, platform);
  }

  public Descriptor withPlatform(String os, String architecture) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("architecture", architecture);
    p.put("os", os);
    return new Descriptor(mediaType, digest, size, artifactType, annotations, p);
  }

  ObjectNode toJson() {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("mediaType", mediaType);
    node.put("digest", digest);
    node.put("size", size);
    if (artifactType != null) {
      node.put("artifactType", artifactType);
    }
    if (!annotations.isEmpty()) {
      ObjectNode a = node.putObject("annotations");
      annotations.forEach(a::put);
    }
    if (!platform.isEmpty()) {
      ObjectNode p = node.putObject("platform");
      platform.forEach(p::put);
    }
    return node;
  }
}
