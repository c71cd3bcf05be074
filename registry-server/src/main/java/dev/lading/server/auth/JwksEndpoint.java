package dev.lading.server.auth;

import dev.lading.auth.KeyRing;
import dev.lading.server.http.Exchange;
import dev.lading.server.http.ResourceHandler;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * {@code GET /auth/jwks.json}: the public halves of the current and previous signing keys, so
 * another registry instance or an operator's tool can verify our tokens. Served from the key ring
 * as last reloaded, so a rotation shows here without a restart.
 */
public final class JwksEndpoint implements ResourceHandler {
  public static final String PATH = "/auth/jwks.json";
  private final KeyRing keys;

  public JwksEndpoint(KeyRing keys) {
    this.keys = keys;
  }

  @Override
  public void handle(Exchange exchange) {
    if (!HttpMethod.GET.equals(exchange.method()) && !exchange.isHead()) {
      throw Exchange.methodNotAllowed(exchange.method(), "GET, HEAD");
    }
    HttpHeaders headers = Exchange.headers();
    headers.set(HttpHeaderNames.CACHE_CONTROL, "max-age=300");
    headers.set(HttpHeaderNames.CONTENT_TYPE, "application/jwk-set+json");
    exchange.respondJson(
        HttpResponseStatus.OK, headers, keys.keys().publicSet().toJSONObject(true));
  }
}
