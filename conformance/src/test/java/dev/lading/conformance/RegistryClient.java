package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The spec's requests over real sockets, one method per step a client takes. Every method returns
 * the raw {@link Reply}; the {@code push...} helpers also assert the step succeeded, for tests
 * whose subject is a later step.
 *
 * <p>HTTP/1.1 only: the JDK client would otherwise offer an {@code h2c} upgrade the registry need
 * not understand, and real registry clients speak 1.1 on plain HTTP.
 */
public final class RegistryClient {
  public static final String OCTET_STREAM = "application/octet-stream";

  private final URI base;
  private final HttpClient http;
  private final List<String> always;

  public RegistryClient(URI base) {
    this(
        base,
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build(),
        List.of());
  }

  private RegistryClient(URI base, HttpClient http, List<String> always) {
    this.base = base;
    this.http = http;
    this.always = always;
  }

  /**
   * The same client sending {@code namesAndValues} on every request as well (an {@code
   * Authorization} header, so every step below runs under token auth); a header a call passes
   * itself is sent after these.
   */
  public RegistryClient withHeaders(String... namesAndValues) {
    List<String> all = new ArrayList<>(always);
    all.addAll(List.of(namesAndValues));
    return new RegistryClient(base, http, List.copyOf(all));
  }

  public URI base() {
    return base;
  }

  /**
   * A path ({@code /v2/...}) or an absolute URL as a {@code Location} header gave it. Paths are
   * appended as they are, never normalized: a test that sends {@code ..} must send it.
   */
  public URI resolve(String pathOrUrl) {
    if (pathOrUrl.startsWith("/")) {
      return URI.create(base.toString() + pathOrUrl);
    }
    return base.resolve(pathOrUrl);
  }

  /** {@code ?a=b&c=d} with both names and values encoded. */
  public static String query(String... namesAndValues) {
    StringBuilder q = new StringBuilder();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      q.append(i == 0 ? '?' : '&')
          .append(URLEncoder.encode(namesAndValues[i], StandardCharsets.UTF_8))
          .append('=')
          .append(URLEncoder.encode(namesAndValues[i + 1], StandardCharsets.UTF_8));
    }
    return q.toString();
  }

  /** Adds query parameters to a URI that may already have some (an upload location may). */
  public static URI withQuery(URI uri, String... namesAndValues) {
    String q = query(namesAndValues);
    String s = uri.toString();
    return URI.create(s.contains("?") ? s + "&" + q.substring(1) : s + q);
  }

  // ---- raw requests -------------------------------------------------------------------------

  public Reply send(String method, URI uri, BodyPublisher body, String... headers) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(120)).method(method, body);
    for (int i = 0; i < always.size(); i += 2) {
      request.header(always.get(i), always.get(i + 1));
    }
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    try {
      var answer = http.send(request.build(), BodyHandlers.ofByteArray());
      return new Reply(method, uri, answer.statusCode(), answer.headers(), answer.body());
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + uri + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + method + " " + uri, e);
    }
  }

  public Reply send(String method, String pathOrUrl, byte[] body, String... headers) {
    return send(method, resolve(pathOrUrl), BodyPublishers.ofByteArray(body), headers);
  }

  public Reply get(String pathOrUrl, String... headers) {
    return send("GET", resolve(pathOrUrl), BodyPublishers.noBody(), headers);
  }

  public Reply get(URI uri, String... headers) {
    return send("GET", uri, BodyPublishers.noBody(), headers);
  }

  public Reply head(String pathOrUrl, String... headers) {
    return send("HEAD", resolve(pathOrUrl), BodyPublishers.noBody(), headers);
  }

  public Reply delete(String pathOrUrl, String... headers) {
    return send("DELETE", resolve(pathOrUrl), BodyPublishers.noBody(), headers);
  }

  public Reply delete(URI uri) {
    return send("DELETE", uri, BodyPublishers.noBody());
  }

  /** A body without a declared length: the JDK sends it with chunked transfer encoding. */
  public static BodyPublisher streamed(byte[] bytes) {
    Supplier<InputStream> source = () -> new ByteArrayInputStream(bytes);
    return BodyPublishers.ofInputStream(source);
  }

  // ---- blobs --------------------------------------------------------------------------------

  public Reply headBlob(String repo, String digest) {
    return head("/v2/" + repo + "/blobs/" + digest);
  }

  public Reply getBlob(String repo, String digest, String... headers) {
    return get("/v2/" + repo + "/blobs/" + digest, headers);
  }

  public Reply deleteBlob(String repo, String digest) {
    return delete("/v2/" + repo + "/blobs/" + digest);
  }

  /** {@code POST /v2/<repo>/blobs/uploads/} with an empty body. */
  public Reply postUpload(String repo, String... namesAndValues) {
    return send(
        "POST",
        resolve("/v2/" + repo + "/blobs/uploads/" + query(namesAndValues)),
        BodyPublishers.noBody());
  }

  /** Opens a session and returns its upload URL, asserting the spec's {@code 202}. */
  public URI startUpload(String repo) {
    Reply reply = postUpload(repo);
    assertThat(reply.status()).as("%s", reply).isEqualTo(202);
    return reply.location();
  }

  public Reply patchChunk(URI upload, byte[] chunk, long start) {
    return send(
        "PATCH",
        upload,
        BodyPublishers.ofByteArray(chunk),
        "Content-Type",
        OCTET_STREAM,
        "Content-Range",
        start + "-" + (start + chunk.length - 1));
  }

  public Reply putUpload(URI upload, String digest, byte[] finalChunk, String... headers) {
    List<String> all = new ArrayList<>(List.of("Content-Type", OCTET_STREAM));
    all.addAll(List.of(headers));
    return send(
        "PUT",
        withQuery(upload, "digest", digest),
        BodyPublishers.ofByteArray(finalChunk),
        all.toArray(String[]::new));
  }

  /** POST then PUT with the whole blob, asserting {@code 201}; answers the blob's digest. */
  public String pushBlob(String repo, Blob blob) {
    URI upload = startUpload(repo);
    Reply reply = putUpload(upload, blob.digest(), blob.bytes());
    assertThat(reply.status()).as("%s", reply).isEqualTo(201);
    return blob.digest();
  }

  // ---- manifests ----------------------------------------------------------------------------

  public Reply putManifest(String repo, String reference, String contentType, byte[] body) {
    return send(
        "PUT", "/v2/" + repo + "/manifests/" + reference, body, "Content-Type", contentType);
  }

  /** Pushes a manifest, asserting {@code 201}; answers the reply for its headers. */
  public Reply pushManifest(String repo, String reference, Manifest manifest) {
    Reply reply = putManifest(repo, reference, manifest.mediaType(), manifest.bytes());
    assertThat(reply.status()).as("%s", reply).isEqualTo(201);
    return reply;
  }

  public Reply getManifest(String repo, String reference, String... headers) {
    return get("/v2/" + repo + "/manifests/" + reference, headers);
  }

  public Reply headManifest(String repo, String reference, String... headers) {
    return head("/v2/" + repo + "/manifests/" + reference, headers);
  }

  public Reply deleteManifest(String repo, String reference) {
    return delete("/v2/" + repo + "/manifests/" + reference);
  }

  /** Every manifest media type, as a client that accepts them all would ask. */
  public static String[] acceptAll() {
    return new String[] {"Accept", String.join(", ", MediaType.ALL_MANIFESTS)};
  }

  // ---- discovery ----------------------------------------------------------------------------

  public Reply listTags(String repo, String... namesAndValues) {
    return get("/v2/" + repo + "/tags/list" + query(namesAndValues));
  }

  public Reply catalog(String... namesAndValues) {
    return get("/v2/_catalog" + query(namesAndValues));
  }

  public Reply referrers(String repo, String digest, String... namesAndValues) {
    return get("/v2/" + repo + "/referrers/" + digest + query(namesAndValues));
  }

  /** The strings of a JSON array field, in order. */
  public static List<String> strings(Reply reply, String field) {
    List<String> values = new ArrayList<>();
    reply.json().path(field).forEach(v -> values.add(v.asText()));
    return values;
  }
}
