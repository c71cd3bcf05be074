package dev.lading.server.http;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Map;

/**
 * {@code GET /v2/}: the API version check clients start with. With token auth on, the challenge a
 * client needs first never reaches this handler: the dispatcher asks the authorizer before any
 * handler runs, and it answers the {@code 401} (see {@code TokenAuthorizer}).
 */
final class BaseHandler implements ResourceHandler {
  @Override
  public void handle(Exchange exchange) {
    exchange.respondJson(HttpResponseStatus.OK, Exchange.headers(), Map.of());
  }
}
