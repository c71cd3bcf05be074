package dev.lading.server.http;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.registry.Page;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The {@code n} and {@code last} query parameters of tag and catalog listings, and the {@code Link}
 * header pointing at the next page. {@code n} above {@link #MAX_PAGE} is cut to it (the spec lets a
 * registry return fewer; the {@code Link} header leads to the rest).
 */
record Pagination(int limit, Optional<String> last) {
  static final int MAX_PAGE = 10_000;

  static Pagination of(Exchange exchange) {
    int limit = MAX_PAGE;
    Optional<String> n = exchange.query("n");
    if (n.isPresent()) {
      String v = n.get();
      if (v.isEmpty() || v.length() > 9 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw ErrorCode.PARAMETER_INVALID
            .exception("n must be a non-negative number")
            .withDetail(HeaderValues.shown(v));
      }
      limit = Math.min(MAX_PAGE, Integer.parseInt(v));
    }
    Optional<String> last = exchange.query("last");
    if (last.isPresent() && last.get().length() > 1024) {
      throw ErrorCode.PARAMETER_INVALID.exception("last is too long");
    }
    return new Pagination(limit, last.filter(s -> !s.isEmpty()));
  }

  /** Adds {@code Link: <path?n=N&last=X>; rel="next"} when the page says more follow. */
  void link(HttpHeaders headers, String path, Page page) {
    if (page.more() && !page.items().isEmpty()) {
      String last =
          URLEncoder.encode(page.items().get(page.items().size() - 1), StandardCharsets.UTF_8);
      headers.set("Link", "<" + path + "?n=" + limit + "&last=" + last + ">; rel=\"next\"");
    }
  }
}
