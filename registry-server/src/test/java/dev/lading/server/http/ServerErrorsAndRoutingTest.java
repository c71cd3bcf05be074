package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lading.server.config.LadingConfig;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerErrorsAndRoutingTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path root;
  RunningRegistry registry;

  @BeforeEach
  void start() {
    registry = new RunningRegistry(root);
  }

  @AfterEach
  void stop() {
    registry.close();
  }

  @Test
  void baseAnswersEmptyObjectWithApiVersion() throws Exception {
    HttpResponse<String> r = registry.get("/v2/");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{}");
    assertThat(r.headers().firstValue("Docker-Distribution-API-Version")).hasValue("registry/2.0");
  }

  @Test
  void unknownPathIsNotFoundInTheSpecErrorShape() throws Exception {
    HttpResponse<String> r = registry.get("/v2/a/nothing-here");
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.headers().firstValue("Docker-Distribution-API-Version")).hasValue("registry/2.0");
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode error = JSON.readTree(r.body()).get("errors").get(0);
    assertThat(RunningRegistry.errorCode(r)).isEqualTo("NOT_FOUND");
    assertThat(error.get("message").asText()).isNotBlank();
  }

  @Test
  void wrongMethodIs405WithAllow() throws Exception {
    HttpResponse<String> r = registry.send(registry.request("/v2/a/tags/list").DELETE().build());
    assertThat(r.statusCode()).isEqualTo(405);
    assertThat(r.headers().firstValue("Allow")).hasValue("GET");
    assertThat(RunningRegistry.errorCode(r)).isEqualTo("UNSUPPORTED");
    HttpResponse<String> manifest =
        registry.send(
            registry
                .request("/v2/a/manifests/x")
                .POST(HttpRequest.BodyPublishers.noBody())
                .build());
    assertThat(manifest.statusCode()).isEqualTo(405);
    assertThat(manifest.headers().firstValue("Allow")).hasValue("GET, HEAD, PUT, DELETE");
  }

  @Test
  void invalidTagIsManifestInvalidOnPushAndManifestUnknownOnRead() throws Exception {
    HttpResponse<String> put =
        registry.send(
            registry
                .request("/v2/a/manifests/-bad")
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .PUT(HttpRequest.BodyPublishers.ofString("{}"))
                .build());
    RunningRegistry.assertError(put, 400, "MANIFEST_INVALID");
    for (String method : new String[] {"GET", "DELETE"}) {
      HttpResponse<String> r =
          registry.send(
              registry
                  .request("/v2/a/manifests/-bad")
                  .method(method, HttpRequest.BodyPublishers.noBody())
                  .build());
      assertThat(r.statusCode()).as(method).isEqualTo(404);
      assertThat(RunningRegistry.errorCode(r)).isEqualTo("MANIFEST_UNKNOWN");
    }
    HttpResponse<String> digest = registry.get("/v2/a/manifests/sha256:short");
    RunningRegistry.assertError(digest, 400, "DIGEST_INVALID");
  }

  @Test
  void manifestOfDeepNameIsRoutedAndUnknown() throws Exception {
    HttpResponse<String> r = registry.get("/v2/a/b/c/manifests/x");
    RunningRegistry.assertError(r, 404, "MANIFEST_UNKNOWN");
  }

  @Test
  void invalidNameAndDigestAre400() throws Exception {
    HttpResponse<String> name = registry.get("/v2/UPPER/tags/list");
    RunningRegistry.assertError(name, 400, "NAME_INVALID");
    HttpResponse<String> digest = registry.get("/v2/a/blobs/sha256:xyz");
    RunningRegistry.assertError(digest, 400, "DIGEST_INVALID");
    HttpResponse<String> referrers = registry.get("/v2/a/referrers/nope");
    RunningRegistry.assertError(referrers, 400, "DIGEST_INVALID");
  }

  @Test
  void errorDetailEscapesWhatTheClientSent() throws Exception {
    HttpResponse<String> r =
        registry.send(registry.request("/v2/a/blobs/sha256:%3Cscript%3E%22").GET().build());
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).doesNotContain("<script>\"");
    assertThat(JSON.readTree(r.body()).at("/errors/0/detail").asText())
        .isEqualTo("sha256:<script>\"");
  }

  @Test
  void headErrorHasNoBody() throws Exception {
    HttpResponse<String> r =
        registry.send(
            registry
                .request("/v2/a/manifests/latest")
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build());
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.body()).isEmpty();
  }

  @Test
  void badPaginationIs400() throws Exception {
    HttpResponse<String> r = registry.get("/v2/_catalog?n=-1");
    RunningRegistry.assertError(r, 400, "UNSUPPORTED");
  }

  @Test
  void tagsAndCatalogPaginateWithLinkHeader() throws Exception {
    byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
    String configDigest = registry.pushBlob("lib/app", config);
    String manifest =
        """
        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
         "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},
         "layers":[]}"""
            .formatted(configDigest, config.length);
    for (String tag : new String[] {"a", "b", "c"}) {
      HttpResponse<String> put =
          registry.send(
              registry
                  .request("/v2/lib/app/manifests/" + tag)
                  .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                  .PUT(HttpRequest.BodyPublishers.ofString(manifest))
                  .build());
      assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
    }
    HttpResponse<String> page = registry.get("/v2/lib/app/tags/list?n=2");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(page.body()).get("name").asText()).isEqualTo("lib/app");
    assertThat(JSON.readTree(page.body()).get("tags")).hasSize(2);
    assertThat(page.headers().firstValue("Link"))
        .hasValue("</v2/lib/app/tags/list?n=2&last=b>; rel=\"next\"");
    HttpResponse<String> rest = registry.get("/v2/lib/app/tags/list?n=2&last=b");
    assertThat(JSON.readTree(rest.body()).get("tags").get(0).asText()).isEqualTo("c");
    assertThat(rest.headers().firstValue("Link")).isEmpty();
    HttpResponse<String> catalog = registry.get("/v2/_catalog");
    assertThat(JSON.readTree(catalog.body()).get("repositories").get(0).asText())
        .isEqualTo("lib/app");
  }

  @Test
  void referrersOfUnknownSubjectIsAnEmptyIndex() throws Exception {
    String subject = RunningRegistry.sha256(new byte[] {1});
    HttpResponse<String> r = registry.get("/v2/a/referrers/" + subject);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type"))
        .hasValue("application/vnd.oci.image.index.v1+json");
    JsonNode index = JSON.readTree(r.body());
    assertThat(index.get("schemaVersion").asInt()).isEqualTo(2);
    assertThat(index.get("manifests")).isEmpty();
  }

  @Test
  void readOnlyRefusesWritesButServesReads() throws Exception {
    registry.close();
    registry = new RunningRegistry(LadingConfig.forTests(root).withReadOnly(true));
    HttpResponse<String> post =
        registry.send(
            registry
                .request("/v2/a/blobs/uploads/")
                .POST(HttpRequest.BodyPublishers.noBody())
                .build());
    RunningRegistry.assertError(post, 405, "UNSUPPORTED");
    assertThat(registry.get("/v2/").statusCode()).isEqualTo(200);
  }
}
