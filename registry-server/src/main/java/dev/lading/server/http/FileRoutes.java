package dev.lading.server.http;

import static io.netty.handler.codec.http.HttpMethod.GET;
import static io.netty.handler.codec.http.HttpMethod.HEAD;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.model.RepositoryName;
import io.netty.handler.codec.http.HttpMethod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The files endpoint's route, outside the distribution API: {@code
 * /files/<repository>/-/<reference>[/<path>]}. No component of a repository name can be {@code -},
 * so the first {@code -} segment ends the name; the segment after it is the reference (a tag or a
 * digest); the rest, when present, is the file's path. An empty path ({@code .../-/<ref>} or {@code
 * .../-/<ref>/}) or one ending in {@code /} asks for a listing.
 *
 * <p>The path is checked segment by segment after percent-decoding: an empty segment (a doubled
 * slash), {@code .} and {@code ..} are refused with {@code 404 BLOB_UNKNOWN} (no file can have such
 * a name, since layer names holding them are never served either), so no encoding of a traversal
 * reaches the handler.
 *
 * <p>The match's parameter is {@code <reference>} for a listing of the whole artifact and {@code
 * <reference>/<decoded path>} otherwise (a reference never holds {@code /}).
 */
final class FileRoutes {
  static final String PREFIX = "/files/";
  static final String LABEL = "/files/{name}/-/{reference}/{path}";
  static final String ALLOWED = "GET, HEAD";

  private FileRoutes() {}

  static Routes.Match match(HttpMethod method, String rawPath) {
    String[] segments = rawPath.substring(PREFIX.length()).split("/", -1);
    int separator = -1;
    for (int i = 0; i < segments.length; i++) {
      if (segments[i].equals("-")) {
        separator = i;
        break;
      }
    }
    if (separator < 1 || separator + 1 >= segments.length || segments[separator + 1].isEmpty()) {
      throw ErrorCode.NOT_FOUND.exception("expected /files/<repository>/-/<reference>/<path>");
    }
    List<String> name = new ArrayList<>();
    for (int i = 0; i < separator; i++) {
      name.add(Routes.percentDecode(segments[i]));
    }
    RepositoryName repository = RepositoryName.parse(String.join("/", name));
    String reference = Routes.percentDecode(segments[separator + 1]);
    if (reference.indexOf('/') >= 0) {
      throw ErrorCode.NOT_FOUND.exception("a reference holds no /");
    }
    List<String> path = new ArrayList<>();
    for (int i = separator + 2; i < segments.length; i++) {
      String segment = Routes.percentDecode(segments[i]);
      boolean last = i == segments.length - 1;
      if (last && segment.isEmpty()) {
        path.add(""); // a trailing slash: a directory listing
      } else if (!validSegment(segment)) {
        throw ErrorCode.BLOB_UNKNOWN
            .exception("invalid file name: empty, . or .. segment")
            .withDetail(Map.of("path", rawPath));
      } else {
        path.add(segment);
      }
    }
    if (!method.equals(GET) && !method.equals(HEAD)) {
      throw Exchange.methodNotAllowed(method, ALLOWED);
    }
    String param =
        path.isEmpty() || path.equals(List.of(""))
            ? reference
            : reference + "/" + String.join("/", path);
    return new Routes.Match(Routes.Resource.FILES, method, Optional.of(repository), param);
  }

  /**
   * A segment a file name may have: not empty, not {@code .} or {@code ..}, and without {@code /}
   * (a decoded {@code %2F}), {@code \} or NUL.
   */
  static boolean validSegment(String segment) {
    return !segment.isEmpty()
        && !segment.equals(".")
        && !segment.equals("..")
        && segment.indexOf('/') < 0
        && segment.indexOf('\\') < 0
        && segment.indexOf('\0') < 0;
  }

  /** A whole file name from a layer's annotation, held to the same rules as a requested path. */
  static boolean validName(String name) {
    if (name.isEmpty() || name.startsWith("/") || name.endsWith("/")) {
      return false;
    }
    for (String segment : name.split("/", -1)) {
      if (!validSegment(segment)) {
        return false;
      }
    }
    return true;
  }
}
