package dev.lading.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.manifest.ManifestDescriptor;
import dev.lading.core.manifest.ManifestParser;
import dev.lading.core.manifest.ParsedManifest;
import dev.lading.core.model.Digest;
import dev.lading.core.model.Reference;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.registry.ManifestContent;
import dev.lading.core.registry.Registry;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code GET|HEAD /files/<repository>/-/<reference>/<path>}: one file of an artifact by its name,
 * for plain HTTP tools (curl, wget, browsers) and people. Read-only, authorized like a pull of the
 * repository (the route carries the repository, so the authorizer sees exactly what a blob GET of
 * it would need, and a caller without access gets exactly what the blob GET gets).
 *
 * <ul>
 *   <li>The name of a layer: see {@link ModelFileNames}. The bytes go out through the same code as
 *       a blob GET ({@link BlobDownload}: HEAD, one or several ranges, zero-copy), never as a
 *       redirect (a presigned store URL could not carry the name and type headers), with {@code
 *       ETag} = the digest, {@code Content-Type} = the layer's media type and {@code
 *       Content-Disposition: attachment} with the name (RFC 6266, RFC 8187 for non-ASCII).
 *   <li>Caching: addressed by digest, {@code public, max-age=31536000, immutable}; by tag, {@code
 *       no-cache} (the tag may move; the ETag still validates).
 *   <li>A listing ({@code .../-/<reference>/}, or a path ending in {@code /} for a directory) is
 *       JSON whatever the {@code Accept}: {@code
 *       {"reference","digest","mediaType","artifactType","files":[{"name","size","digest","mediaType"}]}}.
 *   <li>An index: {@code ?platform=os/arch[/variant]} picks a child; without it, a listing shows
 *       the children ({@code "manifests":[{"digest","mediaType","platform"}]}, and no files), and a
 *       file is {@code 404 MANIFEST_UNKNOWN} naming the choice. An index with a single child uses
 *       it.
 *   <li>Refusals, all {@code 404} with the registry's JSON error: an unknown name {@code
 *       BLOB_UNKNOWN}; a name two layers of different content share {@code BLOB_UNKNOWN} with the
 *       digests in the detail (never an arbitrary one of them; the same content twice is served); a
 *       traversal ({@code ..}, {@code .}, empty segment) is refused by the route ({@link
 *       FileRoutes}); an unknown reference {@code MANIFEST_UNKNOWN}.
 * </ul>
 */
final class FilesHandler implements ResourceHandler {
  static final String IMMUTABLE = "public, max-age=31536000, immutable";

  private final Registry registry;
  private final BlobDownload download;

  FilesHandler(Registry registry, int maxRanges) {
    this.registry = registry;
    this.download = new BlobDownload(registry, maxRanges);
  }

  /** One file: its name and the layer holding it. */
  record File(String name, ManifestDescriptor layer) {}

  @Override
  public void handle(Exchange exchange) throws IOException {
    RepositoryName repo = exchange.repository();
    String param = exchange.param();
    int slash = param.indexOf('/');
    String wireReference = slash < 0 ? param : param.substring(0, slash);
    String path = slash < 0 ? "" : param.substring(slash + 1);
    Reference reference = reference(wireReference);
    ManifestContent manifest = registry.getManifest(repo, reference);
    ParsedManifest parsed = ManifestParser.parse(manifest.mediaType(), manifest.body());
    Optional<String> platform = exchange.query("platform");
    if (parsed.isIndex()) {
      Optional<Digest> child = chooseChild(manifest.body(), platform);
      if (child.isEmpty()) {
        if (path.isEmpty() || path.endsWith("/")) {
          listIndex(exchange, wireReference, manifest);
          return;
        }
        throw ErrorCode.MANIFEST_UNKNOWN
            .exception(
                platform.isPresent()
                    ? "no manifest of the index is for platform " + platform.get()
                    : "the reference is an index: choose a child with ?platform=os/arch or by its digest")
            .withDetail(Map.of("reference", wireReference));
      }
      manifest = registry.getManifest(repo, child.get());
      parsed = ManifestParser.parse(manifest.mediaType(), manifest.body());
      if (parsed.isIndex()) {
        throw ErrorCode.MANIFEST_UNKNOWN.exception("nested indexes are not browsed");
      }
    }
    List<File> files = files(parsed);
    boolean byDigest = reference instanceof Digest;
    if (path.isEmpty() || path.endsWith("/")) {
      list(exchange, wireReference, manifest, parsed, files, path, byDigest);
      return;
    }
    List<File> named = files.stream().filter(f -> f.name().equals(path)).toList();
    if (named.isEmpty()) {
      throw ErrorCode.BLOB_UNKNOWN
          .exception("no file of that name in the artifact")
          .withDetail(Map.of("name", path));
    }
    List<Digest> digests = named.stream().map(f -> f.layer().digest()).distinct().toList();
    if (digests.size() > 1) {
      throw ErrorCode.BLOB_UNKNOWN
          .exception("several layers of different content have that name")
          .withDetail(
              Map.of("name", path, "digests", digests.stream().map(Digest::toString).toList()));
    }
    File file = named.get(0);
    HttpHeaders headers = Exchange.headers();
    headers.set(HttpHeaderNames.CONTENT_TYPE, file.layer().mediaType());
    headers.set(HttpHeaderNames.CONTENT_DISPOSITION, contentDisposition(file.name()));
    headers.set(HttpHeaderNames.CACHE_CONTROL, byDigest ? IMMUTABLE : "no-cache");
    download.serve(exchange, repo, file.layer().digest(), headers);
  }

  /** A tag outside the grammar can name no manifest: {@code 404 MANIFEST_UNKNOWN}. */
  private static Reference reference(String wire) {
    try {
      return Reference.parse(wire);
    } catch (RegistryException e) {
      if (e.code() == ErrorCode.MANIFEST_INVALID) {
        throw ErrorCode.MANIFEST_UNKNOWN.exception().withDetail(e.detail());
      }
      throw e;
    }
  }

  /** The layers that have a usable name, in manifest order. */
  static List<File> files(ParsedManifest manifest) {
    List<ManifestDescriptor> layers = manifest.layers();
    List<Optional<String>> names = ModelFileNames.of(layers);
    List<File> out = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      ManifestDescriptor layer = layers.get(i);
      names.get(i).ifPresent(name -> out.add(new File(name, layer)));
    }
    return out;
  }

  private void list(
      Exchange exchange,
      String reference,
      ManifestContent manifest,
      ParsedManifest parsed,
      List<File> files,
      String prefix,
      boolean byDigest) {
    List<Map<String, Object>> entries = new ArrayList<>();
    for (File f : files) {
      if (!f.name().startsWith(prefix)) {
        continue;
      }
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("name", f.name());
      e.put("size", f.layer().size());
      e.put("digest", f.layer().digest().toString());
      e.put("mediaType", f.layer().mediaType());
      entries.add(e);
    }
    if (!prefix.isEmpty() && entries.isEmpty()) {
      throw ErrorCode.BLOB_UNKNOWN
          .exception("no file under that directory")
          .withDetail(Map.of("name", prefix));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("reference", reference);
    body.put("digest", manifest.digest().toString());
    body.put("mediaType", manifest.mediaType());
    parsed.effectiveArtifactType().ifPresent(t -> body.put("artifactType", t));
    body.put("files", entries);
    HttpHeaders headers = Exchange.headers();
    headers.set(HttpHeaderNames.CACHE_CONTROL, byDigest ? IMMUTABLE : "no-cache");
    exchange.respondJson(HttpResponseStatus.OK, headers, body);
  }

  private void listIndex(Exchange exchange, String reference, ManifestContent index)
      throws IOException {
    List<Map<String, Object>> children = new ArrayList<>();
    for (JsonNode m : ErrorResponses.JSON.readTree(index.body()).path("manifests")) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("digest", m.path("digest").asText());
      e.put("mediaType", m.path("mediaType").asText());
      if (m.has("artifactType")) {
        e.put("artifactType", m.path("artifactType").asText());
      }
      if (m.has("platform")) {
        e.put("platform", platformOf(m.path("platform")));
      }
      children.add(e);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("reference", reference);
    body.put("digest", index.digest().toString());
    body.put("mediaType", index.mediaType());
    body.put("files", List.of());
    body.put("manifests", children);
    HttpHeaders headers = Exchange.headers();
    headers.set(
        HttpHeaderNames.CACHE_CONTROL, reference.indexOf(':') >= 0 ? IMMUTABLE : "no-cache");
    exchange.respondJson(HttpResponseStatus.OK, headers, body);
  }

  /**
   * The child of an index to browse: with {@code ?platform=os/arch[/variant]} the first child for
   * it ({@code os/arch} also matches a child with a variant); without, the only child when there is
   * exactly one; else none.
   */
  static Optional<Digest> chooseChild(byte[] index, Optional<String> platform) throws IOException {
    JsonNode manifests = ErrorResponses.JSON.readTree(index).path("manifests");
    if (platform.isEmpty()) {
      return manifests.size() == 1
          ? Optional.of(Digest.parse(manifests.get(0).path("digest").asText()))
          : Optional.empty();
    }
    String wanted = platform.get();
    for (JsonNode m : manifests) {
      JsonNode p = m.path("platform");
      if (p.isObject()
          && (platformOf(p).equals(wanted)
              || wanted.equals(p.path("os").asText() + "/" + p.path("architecture").asText()))) {
        return Optional.of(Digest.parse(m.path("digest").asText()));
      }
    }
    return Optional.empty();
  }

  /** {@code os/arch} or {@code os/arch/variant}. */
  private static String platformOf(JsonNode p) {
    String s = p.path("os").asText() + "/" + p.path("architecture").asText();
    return p.hasNonNull("variant") ? s + "/" + p.path("variant").asText() : s;
  }

  /**
   * {@code attachment; filename="<ascii>"} with the last segment of the name, plus RFC 8187's
   * {@code filename*=UTF-8''<percent-encoded>} when the name is not plain ASCII (RFC 6266 §4.3:
   * recipients prefer {@code filename*}). Quotes, backslashes and controls never reach the quoted
   * string.
   */
  static String contentDisposition(String name) {
    String base = name.substring(name.lastIndexOf('/') + 1);
    StringBuilder ascii = new StringBuilder();
    boolean plain = true;
    for (int i = 0; i < base.length(); i++) {
      char c = base.charAt(i);
      if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '%') {
        ascii.append('_');
        plain = false;
      } else {
        ascii.append(c);
      }
    }
    String header = "attachment; filename=\"" + ascii + "\"";
    if (plain) {
      return header;
    }
    StringBuilder ext = new StringBuilder();
    for (byte b : base.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c >= 'a' && c <= 'z'
          || c >= 'A' && c <= 'Z'
          || c >= '0' && c <= '9'
          || "!#$&+-.^_`|~".indexOf(c) >= 0) {
        ext.append((char) c);
      } else {
        ext.append('%')
            .append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return header + "; filename*=UTF-8''" + ext;
  }
}
