package dev.lading.server.http;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.model.Digest;
import dev.lading.core.model.MediaTypes;
import dev.lading.core.registry.Descriptor;
import dev.lading.core.registry.Referrers;
import dev.lading.core.registry.Registry;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code GET /v2/<name>/referrers/<digest>?artifactType=}: an OCI image index listing the manifests
 * whose {@code subject} is the digest; empty (still 200) when there are none.
 */
final class ReferrersHandler implements ResourceHandler {
  /** RFC 6838 media type: type/subtype of restricted-name characters. */
  private static final Pattern MEDIA_TYPE =
      Pattern.compile(
          "[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}");

  private final Registry registry;

  ReferrersHandler(Registry registry) {
    this.registry = registry;
  }

  @Override
  public void handle(Exchange exchange) {
    Digest subject = Digest.parse(exchange.param());
    Optional<String> artifactType = exchange.query("artifactType").filter(s -> !s.isEmpty());
    if (artifactType.isPresent() && !MEDIA_TYPE.matcher(artifactType.get()).matches()) {
      throw ErrorCode.PARAMETER_INVALID
          .exception("artifactType is not a media type")
          .withDetail(HeaderValues.shown(artifactType.get()));
    }
    Referrers referrers = registry.referrers(exchange.repository(), subject, artifactType);
    List<Map<String, Object>> manifests = new ArrayList<>();
    for (Descriptor d : referrers.manifests()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("mediaType", d.mediaType());
      m.put("digest", d.digest().toString());
      m.put("size", d.size());
      d.artifactType().ifPresent(t -> m.put("artifactType", t));
      if (!d.annotations().isEmpty()) {
        m.put("annotations", d.annotations());
      }
      manifests.add(m);
    }
    Map<String, Object> index = new LinkedHashMap<>();
    index.put("schemaVersion", 2);
    index.put("mediaType", MediaTypes.OCI_INDEX);
    index.put("manifests", manifests);
    HttpHeaders headers = Exchange.headers();
    headers.set(HttpHeaderNames.CONTENT_TYPE, MediaTypes.OCI_INDEX);
    referrers.appliedFilter().ifPresent(f -> headers.set("OCI-Filters-Applied", "artifactType"));
    exchange.respondJson(HttpResponseStatus.OK, headers, index);
  }
}
