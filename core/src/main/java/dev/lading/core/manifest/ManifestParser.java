package dev.lading.core.manifest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.model.Digest;
import dev.lading.core.model.MediaTypes;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Parses and checks the shape of the four manifest formats the registry interprets (OCI image
 * manifest and index, Docker schema 2 manifest and manifest list), as image-spec manifest.md,
 * image-index.md and descriptor.md define them. Whether referenced blobs exist is the {@link
 * ManifestValidator}'s business; this class looks only at the bytes.
 *
 * <p>Every refusal is {@code MANIFEST_INVALID} with a detail that says what is wrong.
 */
public final class ManifestParser {
  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  static {
    JSON.getFactory()
        .setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build());
  }

  private ManifestParser() {}

  /**
   * The {@code mediaType} a manifest's bytes name at their top level, read without parsing the rest
   * (most manifests name it among their first fields); empty when they name none or do not read as
   * a JSON object. For bytes {@link #parse} accepted, a type named here is the one they were
   * accepted as.
   */
  public static Optional<String> ownMediaType(byte[] body) {
    try (JsonParser parser = JSON.getFactory().createParser(body)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return Optional.empty();
      }
      for (JsonToken token = parser.nextToken();
          token == JsonToken.FIELD_NAME;
          token = parser.nextToken()) {
        String field = parser.currentName();
        JsonToken value = parser.nextToken();
        if (field.equals("mediaType")) {
          return value == JsonToken.VALUE_STRING ? Optional.of(parser.getText()) : Optional.empty();
        }
        parser.skipChildren();
      }
      return Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * Parses {@code body} pushed with {@code contentType}. The body's {@code mediaType}, when
   * present, must equal the Content-Type; the Content-Type (or, when the request had none, the
   * body's media type) must be one of {@link MediaTypes#MANIFESTS}.
   */
  public static ParsedManifest parse(String contentType, byte[] body) {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw invalid("manifest is not well-formed JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw invalid("manifest is not well-formed JSON");
    }
    if (root == null || !root.isObject()) {
      throw invalid("manifest must be a JSON object");
    }
    JsonNode schemaVersion = root.get("schemaVersion");
    if (schemaVersion == null || !schemaVersion.isIntegralNumber() || schemaVersion.asLong() != 2) {
      throw invalid("schemaVersion must be 2");
    }
    Optional<String> bodyType = optionalString(root, "mediaType", "mediaType");
    Optional<String> requestType = normalise(contentType);
    String mediaType;
    if (requestType.isPresent()) {
      mediaType = requestType.get();
      if (bodyType.isPresent() && !bodyType.get().equals(mediaType)) {
        throw invalid(
            "manifest mediaType " + bodyType.get() + " does not match Content-Type " + mediaType);
      }
    } else {
      mediaType = bodyType.orElseThrow(() -> invalid("no Content-Type and no mediaType"));
    }
    if (!MediaTypes.MANIFESTS.contains(mediaType)) {
      throw invalid("unsupported manifest media type " + mediaType);
    }
    Optional<String> artifactType = optionalString(root, "artifactType", "artifactType");
    artifactType.ifPresent(t -> requireMediaType(t, "artifactType"));
    Map<String, String> annotations = annotations(root, "annotations");
    Optional<ManifestDescriptor> subject =
        root.hasNonNull("subject")
            ? Optional.of(descriptor(root.get("subject"), "subject"))
            : Optional.empty();
    if (root.has("subject") && !root.hasNonNull("subject")) {
      throw invalid("subject must be a descriptor");
    }
    if (MediaTypes.INDEXES.contains(mediaType)) {
      if (root.has("config") || root.has("layers")) {
        throw invalid("an index has no config or layers");
      }
      List<ManifestDescriptor> manifests = descriptors(root, "manifests", true);
      return new ParsedManifest(
          mediaType,
          bodyType.isPresent(),
          Optional.empty(),
          List.of(),
          manifests,
          subject,
          artifactType,
          annotations);
    }
    if (root.has("manifests")) {
      throw invalid("an image manifest has no manifests list");
    }
    JsonNode configNode = root.get("config");
    if (configNode == null) {
      throw invalid("config is required");
    }
    ManifestDescriptor config = descriptor(configNode, "config");
    // image-spec: artifactType MUST be set when config is the empty descriptor; clients in the
    // wild push such manifests without it, so that is accepted rather than refused.
    List<ManifestDescriptor> layers = descriptors(root, "layers", true);
    return new ParsedManifest(
        mediaType,
        bodyType.isPresent(),
        Optional.of(config),
        layers,
        List.of(),
        subject,
        artifactType,
        annotations);
  }

  /** The media type part of a Content-Type header: parameters dropped, lower-cased, trimmed. */
  static Optional<String> normalise(String contentType) {
    if (contentType == null) {
      return Optional.empty();
    }
    int semicolon = contentType.indexOf(';');
    String type = (semicolon >= 0 ? contentType.substring(0, semicolon) : contentType).trim();
    return type.isEmpty() ? Optional.empty() : Optional.of(type.toLowerCase(Locale.ROOT));
  }

  private static List<ManifestDescriptor> descriptors(
      JsonNode root, String field, boolean required) {
    JsonNode array = root.get(field);
    if (array == null || array.isNull()) {
      if (required) {
        throw invalid(field + " is required");
      }
      return List.of();
    }
    if (!array.isArray()) {
      throw invalid(field + " must be an array");
    }
    List<ManifestDescriptor> out = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      out.add(descriptor(array.get(i), field + "[" + i + "]"));
    }
    return out;
  }

  static ManifestDescriptor descriptor(JsonNode node, String where) {
    if (node == null || !node.isObject()) {
      throw invalid(where + " must be a descriptor object");
    }
    String mediaType =
        optionalString(node, "mediaType", where + ".mediaType")
            .orElseThrow(() -> invalid(where + ".mediaType is required"));
    requireMediaType(mediaType, where + ".mediaType");
    String digestText =
        optionalString(node, "digest", where + ".digest")
            .orElseThrow(() -> invalid(where + ".digest is required"));
    Digest digest;
    try {
      digest = Digest.parse(digestText);
    } catch (RegistryException e) {
      throw invalid(where + ".digest is not a valid digest");
    }
    JsonNode sizeNode = node.get("size");
    if (sizeNode == null
        || !sizeNode.isIntegralNumber()
        || !sizeNode.canConvertToLong()
        || sizeNode.asLong() < 0) {
      throw invalid(where + ".size must be an integer of at least zero");
    }
    long size = sizeNode.asLong();
    List<String> urls = new ArrayList<>();
    JsonNode urlsNode = node.get("urls");
    if (urlsNode != null && !urlsNode.isNull()) {
      if (!urlsNode.isArray()) {
        throw invalid(where + ".urls must be an array of strings");
      }
      for (JsonNode url : urlsNode) {
        if (!url.isTextual()) {
          throw invalid(where + ".urls must be an array of strings");
        }
        urls.add(url.asText());
      }
    }
    Optional<String> artifactType = optionalString(node, "artifactType", where + ".artifactType");
    artifactType.ifPresent(t -> requireMediaType(t, where + ".artifactType"));
    Optional<String> data = optionalString(node, "data", where + ".data");
    if (data.isPresent()) {
      byte[] decoded;
      try {
        decoded = Base64.getDecoder().decode(data.get());
      } catch (IllegalArgumentException e) {
        throw invalid(where + ".data is not base64");
      }
      if (decoded.length != size || !Digest.compute(digest.algorithm(), decoded).equals(digest)) {
        throw invalid(where + ".data does not match its digest and size");
      }
    }
    return new ManifestDescriptor(
        mediaType, digest, size, urls, annotations(node, where + ".annotations"), artifactType);
  }

  private static Map<String, String> annotations(JsonNode node, String where) {
    String field = where.contains(".") ? "annotations" : where;
    JsonNode annotations = node.get(field);
    if (annotations == null || annotations.isNull()) {
      return Map.of();
    }
    if (!annotations.isObject()) {
      throw invalid(where + " must be an object of strings");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> entry : annotations.properties()) {
      if (!entry.getValue().isTextual()) {
        throw invalid(where + " must be an object of strings");
      }
      out.put(entry.getKey(), entry.getValue().asText());
    }
    return out;
  }

  private static Optional<String> optionalString(JsonNode node, String field, String where) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      return Optional.empty();
    }
    if (!value.isTextual()) {
      throw invalid(where + " must be a string");
    }
    return Optional.of(value.asText());
  }

  private static void requireMediaType(String value, String where) {
    if (!isMediaType(value)) {
      throw invalid(where + " is not a valid media type");
    }
  }

  /**
   * RFC 6838 section 4.2 {@code type/subtype}, as image-spec's JSON schema checks it: each a
   * restricted name of 1 to 127 characters, {@code [A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}}. A loop,
   * not a regex: every descriptor of every pushed manifest has one.
   */
  static boolean isMediaType(String value) {
    int slash = value.indexOf('/');
    return slash >= 0
        && isRestrictedName(value, 0, slash)
        && isRestrictedName(value, slash + 1, value.length());
  }

  private static boolean isRestrictedName(String value, int from, int to) {
    int length = to - from;
    if (length < 1 || length > 127 || !isAsciiAlphanumeric(value.charAt(from))) {
      return false;
    }
    for (int i = from + 1; i < to; i++) {
      char c = value.charAt(i);
      if (!isAsciiAlphanumeric(c) && "!#$&^_.+-".indexOf(c) < 0) {
        return false;
      }
    }
    return true;
  }

  private static boolean isAsciiAlphanumeric(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }

  private static RegistryException invalid(String detail) {
    return ErrorCode.MANIFEST_INVALID.exception().withDetail(detail);
  }
}
