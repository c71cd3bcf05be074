package dev.lading.server.http;

import static io.netty.handler.codec.http.HttpMethod.DELETE;
import static io.netty.handler.codec.http.HttpMethod.GET;
import static io.netty.handler.codec.http.HttpMethod.HEAD;
import static io.netty.handler.codec.http.HttpMethod.PATCH;
import static io.netty.handler.codec.http.HttpMethod.POST;
import static io.netty.handler.codec.http.HttpMethod.PUT;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.model.RepositoryName;
import io.netty.handler.codec.http.HttpMethod;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Every route of the distribution-spec on one screen. A route is a suffix of path segments after
 * {@code /v2/<name>/}; since names contain slashes, a path is matched from the RIGHT and whatever
 * precedes the suffix is the name. The first route whose suffix fits wins, so the order below
 * matters ({@code blobs/uploads/} before {@code blobs/<digest>}).
 */
public final class Routes {

  /** The API resources, one handler class each. */
  public enum Resource {
    BASE,
    CATALOG,
    TAGS,
    MANIFEST,
    BLOB,
    UPLOADS,
    UPLOAD,
    REFERRERS,
    FILES,
    SIGNED_BLOB
  }

  private static final String PARAM = "{}";

  /** {@code named}: whether a repository name precedes the suffix. */
  private record Route(
      Resource resource, boolean named, List<String> suffix, Set<HttpMethod> methods) {}

  private static final List<Route> TABLE =
      List.of(
          route(Resource.BASE, false, "", GET, HEAD),
          route(Resource.CATALOG, false, "_catalog", GET),
          route(Resource.TAGS, true, "tags/list", GET),
          route(Resource.MANIFEST, true, "manifests/{}", GET, HEAD, PUT, DELETE),
          route(Resource.UPLOADS, true, "blobs/uploads/", POST),
          route(Resource.UPLOADS, true, "blobs/uploads", POST),
          route(Resource.UPLOAD, true, "blobs/uploads/{}", GET, PATCH, PUT, DELETE),
          route(Resource.BLOB, true, "blobs/{}", GET, HEAD, DELETE),
          route(Resource.REFERRERS, true, "referrers/{}", GET));

  /** Methods that change the registry (refused in read-only mode). */
  private static final Set<HttpMethod> WRITES = Set.of(POST, PUT, PATCH, DELETE);

  /**
   * A matched request: the resource, the repository (absent for the base and catalog routes) and
   * the one path parameter (digest, reference or upload id; empty string when none).
   */
  public record Match(
      Resource resource, HttpMethod method, Optional<RepositoryName> repository, String param) {
    public boolean writes() {
      return WRITES.contains(method);
    }
  }

  private Routes() {}

  /**
   * Matches a request by its path as sent: the route is found on the still-encoded segments, and
   * only then are the name's segments and the parameter percent-decoded, so an encoded {@code %2F}
   * never moves the boundary between name and route (the decoded name is still held to the name
   * grammar).
   *
   * @param rawPath the request path without the query, still percent-encoded
   * @throws RegistryException {@code NOT_FOUND}, {@code 405 UNSUPPORTED} (with the {@code Allow}
   *     header; detail: the allowed methods) or {@code NAME_INVALID}
   */
  public static Match match(HttpMethod method, String rawPath) {
    if (rawPath.startsWith(FileRoutes.PREFIX)) {
      return FileRoutes.match(method, rawPath);
    }
    if (rawPath.startsWith(SignedBlobUrls.PREFIX)) {
      return SignedBlobUrls.match(method, rawPath);
    }
    String rest;
    if (rawPath.equals("/v2")) {
      rest = "";
    } else if (rawPath.startsWith("/v2/")) {
      rest = rawPath.substring(4);
    } else {
      throw ErrorCode.NOT_FOUND.exception();
    }
    String[] segments = rest.split("/", -1);
    for (Route r : TABLE) {
      Optional<Match> m = tryRoute(r, method, segments);
      if (m.isPresent()) {
        return m.get();
      }
    }
    throw ErrorCode.NOT_FOUND.exception();
  }

  /** The methods a resource answers, for the {@code Allow} header of a 405. */
  public static String allowed(Resource resource) {
    if (resource == Resource.FILES || resource == Resource.SIGNED_BLOB) {
      return FileRoutes.ALLOWED;
    }
    Set<HttpMethod> all = new LinkedHashSet<>();
    for (Route r : TABLE) {
      if (r.resource == resource) {
        all.addAll(r.methods);
      }
    }
    return all.stream().map(HttpMethod::name).collect(Collectors.joining(", "));
  }

  private static Optional<Match> tryRoute(Route r, HttpMethod method, String[] segments) {
    List<String> suffix = r.suffix;
    int nameLength = segments.length - suffix.size();
    if (r.named ? nameLength < 1 : nameLength != 0) {
      return Optional.empty();
    }
    String param = "";
    for (int i = 0; i < suffix.size(); i++) {
      String expected = suffix.get(i);
      String actual = segments[nameLength + i];
      if (expected.equals(PARAM)) {
        if (actual.isEmpty()) {
          return Optional.empty();
        }
        param = percentDecode(actual);
      } else if (!expected.equals(actual)) {
        return Optional.empty();
      }
    }
    Optional<RepositoryName> name = Optional.empty();
    if (r.named) {
      String joined =
          Arrays.stream(segments, 0, nameLength)
              .map(Routes::percentDecode)
              .collect(Collectors.joining("/"));
      name = Optional.of(RepositoryName.parse(joined));
    }
    if (!r.methods.contains(method)) {
      throw Exchange.unsupportedMethod(method, allowed(r.resource));
    }
    return Optional.of(new Match(r.resource, method, name, param));
  }

  private static Route route(
      Resource resource, boolean named, String suffix, HttpMethod... methods) {
    List<String> parts = suffix.isEmpty() && !named ? List.of("") : List.of(suffix.split("/", -1));
    // Declared order, not Set.of's per-JVM order: the Allow header of a 405 must not vary by run.
    return new Route(
        resource, named, parts, Collections.unmodifiableSet(new LinkedHashSet<>(List.of(methods))));
  }

  /**
   * Percent-decoding of one path segment (RFC 3986: {@code +} is not a space in a path). Malformed
   * escapes and non-UTF-8 bytes are {@code NOT_FOUND}: no route has such a path.
   */
  static String percentDecode(String segment) {
    if (segment.indexOf('%') < 0) {
      return segment;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(segment.length());
    for (int i = 0; i < segment.length(); i++) {
      char c = segment.charAt(i);
      if (c == '%') {
        if (i + 2 >= segment.length()) {
          throw malformed();
        }
        int hi = Character.digit(segment.charAt(i + 1), 16);
        int lo = Character.digit(segment.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw malformed();
        }
        out.write(hi << 4 | lo);
        i += 2;
      } else {
        out.write(c);
      }
    }
    byte[] bytes = out.toByteArray();
    var decoder = StandardCharsets.UTF_8.newDecoder();
    try {
      return decoder.decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw malformed();
    }
  }

  private static RegistryException malformed() {
    return ErrorCode.NOT_FOUND.exception("malformed percent-encoding in path");
  }
}
