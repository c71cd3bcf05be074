package dev.lading.server.metrics;

import dev.lading.server.http.Exchange;
import dev.lading.server.http.ResourceHandler;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;

/** {@code GET /metrics}: the Prometheus text exposition (version 0.0.4). */
public final class MetricsHandler implements ResourceHandler {
  public static final String PATH = "/metrics";
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final LadingMetrics metrics;

  public MetricsHandler(LadingMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public void handle(Exchange exchange) {
    if (!exchange.method().equals(HttpMethod.GET) && !exchange.isHead()) {
      throw Exchange.methodNotAllowed(exchange.method(), "GET, HEAD");
    }
    var headers = Exchange.headers();
    headers.set(HttpHeaderNames.CONTENT_TYPE, CONTENT_TYPE);
    exchange.respond(
        HttpResponseStatus.OK, headers, metrics.scrape().getBytes(StandardCharsets.UTF_8));
  }
}
