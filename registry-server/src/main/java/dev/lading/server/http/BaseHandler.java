package dev.lading.server.http;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Map;

/** {@code GET /v2/}: the API version check clients start with (and, later, the auth challenge). */
final class BaseHandler implements ResourceHandler {
  @Override
  public void handle(Exchange exchange) {
    exchange.respondJson(HttpResponseStatus.OK, Exchange.headers(), Map.of());
  }
}
