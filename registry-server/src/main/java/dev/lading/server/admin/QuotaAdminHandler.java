package dev.lading.server.admin;

import dev.lading.core.policy.RepositoryGlob;
import dev.lading.core.registry.QuotaLedger;
import dev.lading.server.http.Exchange;
import dev.lading.server.http.ResourceHandler;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code GET /admin/quotas}: each quota in force with its patterns, limit, the bytes and blobs it
 * uses as this instance counts them, and when this instance last recounted them from the store
 * (what other instances accepted since is not in it yet). The dispatcher has checked the GC
 * permission first, as for every admin path.
 */
public final class QuotaAdminHandler implements ResourceHandler {
  public static final String PATH = "/admin/quotas";

  private final Supplier<List<QuotaLedger.Usage>> usage;

  public QuotaAdminHandler(Supplier<List<QuotaLedger.Usage>> usage) {
    this.usage = usage;
  }

  @Override
  public void handle(Exchange exchange) {
    if (!HttpMethod.GET.equals(exchange.method()) && !HttpMethod.HEAD.equals(exchange.method())) {
      throw Exchange.methodNotAllowed(exchange.method(), "GET, HEAD");
    }
    exchange.respondJson(HttpResponseStatus.OK, Exchange.headers(), body(usage.get()));
  }

  static Map<String, Object> body(List<QuotaLedger.Usage> usage) {
    List<Map<String, Object>> quotas =
        usage.stream()
            .map(
                u -> {
                  Map<String, Object> m = new LinkedHashMap<>();
                  m.put("name", u.rule().name());
                  m.put(
                      "repositories",
                      u.rule().repositories().stream().map(RepositoryGlob::value).toList());
                  m.put("limitBytes", u.rule().bytes());
                  m.put("usedBytes", u.usedBytes());
                  m.put("blobs", u.blobs());
                  m.put("lastScanned", u.scannedAt().map(Instant::toString).orElse(null));
                  return m;
                })
            .toList();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("quotas", quotas);
    return out;
  }
}
