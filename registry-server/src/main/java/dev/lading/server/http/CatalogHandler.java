package dev.lading.server.http;

import dev.lading.core.model.RepositoryName;
import dev.lading.core.registry.Page;
import dev.lading.core.registry.Registry;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code GET /v2/_catalog?n=&last=}: repository names, paginated with a {@code Link} header. With
 * auth on, only names the caller may pull are listed: pages of the store's listing are filtered
 * until {@code n} visible names are found or the listing ends.
 */
final class CatalogHandler implements ResourceHandler {
  private final Registry registry;

  CatalogHandler(Registry registry) {
    this.registry = registry;
  }

  @Override
  public void handle(Exchange exchange) {
    Pagination p = Pagination.of(exchange);
    Page page =
        p.limit() == 0
            ? new Page(List.of(), false)
            : visiblePage(exchange.caller(), p.limit(), p.last());
    HttpHeaders headers = Exchange.headers();
    p.link(headers, Locations.catalog(), page);
    exchange.respondJson(HttpResponseStatus.OK, headers, Map.of("repositories", page.items()));
  }

  private Page visiblePage(RequestAuthorizer.Caller caller, int limit, Optional<String> last) {
    if (caller.unrestricted()) {
      return registry.listRepositories(limit, last);
    }
    List<String> visible = new ArrayList<>();
    Optional<String> cursor = last;
    while (true) {
      Page page = registry.listRepositories(limit, cursor);
      for (String name : page.items()) {
        if (RepositoryName.isValid(name) && caller.mayPull(RepositoryName.parse(name))) {
          visible.add(name);
          if (visible.size() == limit) {
            // More may follow: the next page starts after this name.
            boolean more = page.more() || !name.equals(page.items().get(page.items().size() - 1));
            return new Page(visible, more);
          }
        }
      }
      if (!page.more() || page.items().isEmpty()) {
        return new Page(visible, false);
      }
      cursor = Optional.of(page.items().get(page.items().size() - 1));
    }
  }
}
