package dev.lading.server.http;

import dev.lading.core.registry.Page;
import dev.lading.core.registry.Registry;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;
import java.util.Map;

/** {@code GET /v2/_catalog?n=&last=}: repository names, paginated with a {@code Link} header. */
final class CatalogHandler implements ResourceHandler {
  private final Registry registry;

  CatalogHandler(Registry registry) {
    this.registry = registry;
  }

  @Override
  public void handle(Exchange exchange) {
    Pagination p = Pagination.of(exchange);
    Page page = p.limit() == 0 ? new Page(List.of(), false) : registry.listRepositories(p.limit(), p.last());
    HttpHeaders headers = Exchange.headers();
    p.link(headers, Locations.catalog(), page);
    exchange.respondJson(HttpResponseStatus.OK, headers, Map.of("repositories", page.items()));
  }
}
