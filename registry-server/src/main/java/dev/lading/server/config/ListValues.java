package dev.lading.server.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The grammar every list-valued key shares ({@code auth.rules}, {@code policies.*}, {@code
 * events.endpoints}): the value arrives as JSON or YAML flow text (from the file, re-serialised, or
 * from the environment), is a list of mappings, and each mapping names only known fields. Each
 * message says where ({@code at}: "rule 0", "endpoint 1 (deploys)") and never holds a value, so a
 * secret never reaches a message.
 */
final class ListValues {
  private static final YAMLMapper YAML = new YAMLMapper();

  private ListValues() {}

  static List<JsonNode> list(String v) {
    JsonNode root;
    try {
      root = YAML.readTree(v.isEmpty() ? "[]" : v);
    } catch (JacksonException e) {
      throw new IllegalArgumentException("must be a list (YAML or JSON)");
    }
    if (root == null || root.isNull() || root.isMissingNode()) {
      return List.of();
    }
    if (!root.isArray()) {
      throw new IllegalArgumentException("must be a list");
    }
    List<JsonNode> out = new ArrayList<>();
    root.forEach(out::add);
    return out;
  }

  static void requireFields(JsonNode n, String at, Set<String> known) {
    if (!n.isObject()) {
      throw new IllegalArgumentException(at + ": must be a mapping");
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!known.contains(f)) {
        throw new IllegalArgumentException(
            at
                + ": unknown field "
                + f
                + " (known: "
                + String.join(", ", new TreeSet<>(known))
                + ")");
      }
    }
  }

  static String text(JsonNode n, String field, String at) {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual() || v.asText().isEmpty()) {
      throw new IllegalArgumentException(at + ": " + field + " must be a non-empty string");
    }
    return v.asText();
  }

  static List<String> strings(JsonNode n, String field, String at) {
    JsonNode v = n.get(field);
    if (v == null || !v.isArray() || v.isEmpty()) {
      throw new IllegalArgumentException(at + ": " + field + " must be a non-empty list");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode e : v) {
      if (!e.isTextual()) {
        throw new IllegalArgumentException(at + ": " + field + " must list strings");
      }
      out.add(e.asText());
    }
    return out;
  }

  /**
   * The non-empty list of strings {@code field}, each turned into a value by {@code parse} (a
   * repository or tag pattern); a value {@code parse} refuses names {@code at} and why.
   */
  static <T> List<T> parsed(JsonNode n, String field, String at, Function<String, T> parse) {
    List<T> out = new ArrayList<>();
    for (String p : strings(n, field, at)) {
      try {
        out.add(parse.apply(p));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(at + ": " + e.getMessage());
      }
    }
    return out;
  }
}
