package dev.lading.server.http;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a request is aimed, checked as RFC 9112 §3.2 demands before anything else looks at it:
 * exactly one {@code Host} header with a valid value (none at all only in HTTP/1.0, which had no
 * such rule), and a target in absolute form ({@code GET http://host:5000/v2/ HTTP/1.1}, what a
 * client talking through a proxy sends) rewritten to the origin form the routes match, its
 * authority replacing the {@code Host} header (§3.2.2: the target's host wins). Everything after
 * this (routes, the token challenge's realm, the access log) sees one path and one host.
 */
final class RequestTarget {
  /**
   * RFC 3986's {@code host [ ":" port ]}: an IP literal in brackets, or a reg-name (which covers
   * IPv4 addresses) of unreserved characters, sub-delims and percent-escapes; possibly empty.
   */
  private static final Pattern AUTHORITY =
      Pattern.compile(
          "(?:\\[(?:[0-9A-Fa-f:.]+|[vV][0-9A-Fa-f]+\\.[A-Za-z0-9\\-._~!$&'()*+,;=:]+)\\]"
              + "|(?:[A-Za-z0-9\\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)"
              + "(?::[0-9]*)?");

  /** An absolute-form target of the http(s) schemes: the authority, then path and query. */
  private static final Pattern ABSOLUTE = Pattern.compile("(?i:https?)://([^/?#]*)([^#]*)");

  private RequestTarget() {}

  /**
   * Checks the request's {@code Host} and, for an absolute-form target, rewrites the target and the
   * {@code Host} header in place.
   *
   * @throws RegistryException {@code BAD_REQUEST} for no {@code Host} in HTTP/1.1, more than one,
   *     an invalid one, or an absolute-form target without a valid host
   */
  static void normalise(HttpRequest request) {
    List<String> hosts = request.headers().getAll(HttpHeaderNames.HOST);
    if (hosts.size() > 1) {
      throw ErrorCode.BAD_REQUEST.exception("more than one Host header");
    }
    if (hosts.isEmpty() && !request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
      throw ErrorCode.BAD_REQUEST.exception("no Host header");
    }
    if (!hosts.isEmpty() && !AUTHORITY.matcher(hosts.get(0)).matches()) {
      throw ErrorCode.BAD_REQUEST
          .exception("invalid Host header")
          .withDetail(HeaderValues.shown(hosts.get(0)));
    }
    String uri = request.uri();
    if (uri.startsWith("/")) {
      return;
    }
    Matcher absolute = ABSOLUTE.matcher(uri);
    if (!absolute.matches()) {
      return; // asterisk or authority form: no route matches them, they get the usual 404
    }
    String authority = absolute.group(1);
    // RFC 9110 §4.2.1: an http(s) URI with an empty host is invalid; §4.2.4: and one with userinfo.
    if (!AUTHORITY.matcher(authority).matches()
        || authority.isEmpty()
        || authority.startsWith(":")) {
      throw ErrorCode.BAD_REQUEST
          .exception("invalid host in the request target")
          .withDetail(HeaderValues.shown(uri));
    }
    String rest = absolute.group(2);
    request.setUri(rest.startsWith("/") ? rest : "/" + rest);
    request.headers().set(HttpHeaderNames.HOST, authority);
  }
}
