package dev.lading.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** One answer of the registry, body read whole (tests only read small bodies this way). */
public record Reply(String method, URI uri, int status, HttpHeaders headers, byte[] body) {
  static final ObjectMapper JSON = new ObjectMapper();

  public Optional<String> header(String name) {
    return headers.firstValue(name);
  }

  /** The header's value, or {@code null}: reads well inside AssertJ's {@code assertThat}. */
  public String headerOrNull(String name) {
    return headers.firstValue(name).orElse(null);
  }

  public String text() {
    return new String(body, StandardCharsets.UTF_8);
  }

  public JsonNode json() {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      throw new UncheckedIOException("not JSON: " + this, e);
    }
  }

  /** The codes of the spec's {@code {"errors":[{"code":...}]}} body, in order. */
  public List<String> errorCodes() {
    JsonNode errors = json().path("errors");
    List<String> codes = new ArrayList<>();
    for (JsonNode error : errors) {
      codes.add(error.path("code").asText());
    }
    return codes;
  }

  /** Where {@code Location} points, resolved against the request's URI (it may be relative). */
  public URI location() {
    String location =
        header("Location").orElseThrow(() -> new AssertionError("no Location header in " + this));
    return uri.resolve(location);
  }

  @Override
  public String toString() {
    String shown = body.length > 2000 ? text().substring(0, 2000) + "..." : text();
    return method + " " + uri + " -> " + status + " " + headers.map() + " " + shown;
  }
}
