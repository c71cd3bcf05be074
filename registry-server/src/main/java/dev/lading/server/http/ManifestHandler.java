package dev.lading.server.http;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.model.Reference;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import dev.lading.core.policy.ImmutableTagOverride;
import dev.lading.core.registry.ManifestContent;
import dev.lading.core.registry.ManifestInfo;
import dev.lading.core.registry.PutManifestResult;
import dev.lading.core.registry.Registry;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * {@code /v2/<name>/manifests/<reference>}: GET, HEAD, PUT, DELETE. A manifest is small and is
 * validated whole, so its body is read into memory, but never more than the configured limit: a
 * declared length above it is refused before any byte is read, a chunked body as soon as it passes
 * the limit ({@code 413 MANIFEST_INVALID}). A PUT or DELETE that would move or delete an immutable
 * tag is refused by the registry with {@code 403 DENIED}; {@link PolicyGuard} grants the explicit
 * override and audits both.
 */
final class ManifestHandler implements ResourceHandler {
  private final Registry registry;
  private final long limitBytes;
  private final PolicyGuard policies;

  ManifestHandler(Registry registry, long limitBytes, PolicyGuard policies) {
    this.registry = registry;
    this.limitBytes = Math.min(limitBytes, Integer.MAX_VALUE - 16);
    this.policies = policies;
  }

  @Override
  public void handle(Exchange exchange) throws IOException {
    RepositoryName repo = exchange.repository();
    Reference reference = reference(exchange);
    switch (exchange.method().name()) {
      case "GET" -> {
        ManifestContent m = registry.getManifest(repo, reference);
        exchange.respond(HttpResponseStatus.OK, describe(m.info()), m.body());
      }
      case "HEAD" -> {
        ManifestInfo info = registry.statManifest(repo, reference);
        HttpHeaders headers = describe(info);
        headers.set(HttpHeaderNames.CONTENT_LENGTH, info.size());
        exchange.respond(HttpResponseStatus.OK, headers);
      }
      case "PUT" -> put(exchange, repo, reference);
      case "DELETE" -> {
        ImmutableTagOverride override = policies.overrideFor(exchange, "delete");
        try {
          registry.deleteManifest(repo, reference, override);
        } catch (RegistryException e) {
          throw policies.refused(exchange, e, "delete");
        }
        exchange.respond(HttpResponseStatus.ACCEPTED, Exchange.headers());
      }
      default -> throw new IllegalStateException("routed " + exchange.method() + " to manifests");
    }
  }

  /**
   * The reference, or for a read or delete of a tag outside the grammar {@code 404
   * MANIFEST_UNKNOWN}: no manifest can be under it (the choice is documented on {@code Tag}). A
   * malformed digest stays {@code 400 DIGEST_INVALID} for every method.
   */
  private static Reference reference(Exchange exchange) {
    String wire = exchange.param();
    try {
      return Reference.parse(wire);
    } catch (RegistryException e) {
      if (e.code() == ErrorCode.MANIFEST_INVALID && !"PUT".equals(exchange.method().name())) {
        throw ErrorCode.MANIFEST_UNKNOWN.exception().withDetail(e.detail());
      }
      throw e;
    }
  }

  private void put(Exchange exchange, RepositoryName repo, Reference reference) throws IOException {
    // ?tag=a&tag=b (distribution-spec main, "pushing manifests with tags"): every value is
    // checked against the tag grammar before the body is read, so one bad tag refuses the push
    // (400 MANIFEST_INVALID, as a bad tag in the path) and nothing is written. The spec defines
    // the parameters for a push by digest only; with a tag reference they are refused the same
    // way rather than silently dropped (the client would believe them set).
    List<Tag> tags = new ArrayList<>();
    for (String value : exchange.queryAll("tag")) {
      tags.add(Tag.parse(value));
    }
    if (reference instanceof Tag && !tags.isEmpty()) {
      throw ErrorCode.MANIFEST_INVALID
          .exception("tag query parameters need a push by digest")
          .withDetail(Map.of("reference", reference.toString()));
    }
    // Asked for and refused before the body is read.
    ImmutableTagOverride override = policies.overrideFor(exchange, "push");
    OptionalLong declared = exchange.contentLength();
    if (declared.isPresent() && declared.getAsLong() > limitBytes) {
      throw tooLarge(declared);
    }
    byte[] body = exchange.body().readNBytes((int) limitBytes + 1);
    if (body.length > limitBytes) {
      throw tooLarge(OptionalLong.empty()); // Chunked: only "more than the limit" is known.
    }
    String contentType = exchange.header(HttpHeaderNames.CONTENT_TYPE);
    PutManifestResult result;
    try {
      result =
          registry.putManifest(
              repo,
              reference,
              tags,
              contentType == null ? "" : mediaTypeOf(contentType),
              body,
              override);
    } catch (RegistryException e) {
      throw policies.refused(exchange, e, "push");
    }
    // For the audit log's tag-move line: where the tag pointed before.
    result.replaced().ifPresent(before -> exchange.noteReplacedDigest(before.toString()));
    HttpHeaders headers = Exchange.headers();
    headers.set(HttpHeaderNames.LOCATION, Locations.manifest(repo, result.digest()));
    headers.set("Docker-Content-Digest", result.digest().toString());
    result.subject().ifPresent(s -> headers.set("OCI-Subject", s.toString()));
    // One OCI-Tag per tag set by the query, each once (all of them are set when we get here).
    tags.stream().map(Tag::value).distinct().forEach(t -> headers.add("OCI-Tag", t));
    WarningHeaders.add(headers, result.warnings());
    exchange.respond(HttpResponseStatus.CREATED, headers);
  }

  /** 413 naming the limit, and the size when the client declared it. */
  private RegistryException tooLarge(OptionalLong size) {
    if (size.isPresent()) {
      return ErrorCode.MANIFEST_TOO_LARGE
          .exception(
              "manifest of "
                  + size.getAsLong()
                  + " bytes above the limit of "
                  + limitBytes
                  + " bytes")
          .withDetail(Map.of("size", size.getAsLong(), "limit", limitBytes));
    }
    return ErrorCode.MANIFEST_TOO_LARGE
        .exception("manifest larger than the limit of " + limitBytes + " bytes")
        .withDetail(Map.of("limit", limitBytes));
  }

  private static HttpHeaders describe(ManifestInfo info) {
    HttpHeaders headers = Exchange.headers();
    headers.set(HttpHeaderNames.CONTENT_TYPE, info.mediaType());
    headers.set("Docker-Content-Digest", info.digest().toString());
    headers.set(HttpHeaderNames.ETAG, "\"" + info.digest() + "\"");
    return headers;
  }

  /** The media type without parameters ({@code ; charset=utf-8}), as the registry compares it. */
  private static String mediaTypeOf(String contentType) {
    int semicolon = contentType.indexOf(';');
    return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip();
  }
}
