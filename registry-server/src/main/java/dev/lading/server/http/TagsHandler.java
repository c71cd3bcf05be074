package dev.lading.server.http;

import dev.lading.core.model.RepositoryName;
import dev.lading.core.registry.Page;
import dev.lading.core.registry.Registry;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code GET /v2/<name>/tags/list?n=&last=}: tags in lexical order, paginated. */
final class TagsHandler implements ResourceHandler {
  private final Registry registry;

  TagsHandler(Registry registry) {
    this.registry = registry;
  }

  @Override
  public void handle(Exchange exchange) {
    RepositoryName repo = exchange.repository();
    Pagination p = Pagination.of(exchange);
    Page page = registry.listTags(repo, Math.max(1, p.limit()), p.last());
    if (p.limit() == 0) {
      // n=0 asks for nothing; the call above still answered whether the repository exists.
      page = new Page(List.of(), false);
    }
    HttpHeaders headers = Exchange.headers();
    p.link(headers, Locations.tags(repo), page);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", repo.value());
    body.put("tags", page.items());
    exchange.respondJson(HttpResponseStatus.OK, headers, body);
  }
}
