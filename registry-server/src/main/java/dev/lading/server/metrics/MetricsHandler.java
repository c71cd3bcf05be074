package dev.lading.server.metrics;

import dev.lading.server.http.Exchange;
import dev.lading.server.http.ResourceHandler;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;

/** {@code GET /metrics}: the Prometheus text exposition (version 0.0.4). */
public final class MetricsHandler implements ResourceHandler {
  public static final String PATH = "/metrics";

  private final LadingMetrics metrics;

  public MetricsHandler(LadingMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public void handle(Exchange exchange) {
    if (!exchange.method().equals(io.netty.handler.codec.http.HttpMethod.GET)
        && !exchange.isHead()) {
      throw new dev.lading.core.error.RegistryException(
          dev.lading.core.error.ErrorCode.METHOD_NOT_ALLOWED, exchange.method().name() + " is not allowed here");
    }
    var headers = Exchange.headers();
    headers.set(HttpHeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
    exchange.respond(HttpResponseStatus.OK, headers, metrics.scrape().getBytes(StandardCharsets.UTF_8));
  }
}
