package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import io.netty.handler.codec.http.HttpMethod;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RoutesTest {

  @ParameterizedTest(name = "{0} {1} -> {2} name={3} param={4}")
  @CsvSource({
    "GET,    /v2/,                                  BASE,      '',               ''",
    "GET,    /v2,                                   BASE,      '',               ''",
    "GET,    /v2/_catalog,                          CATALOG,   '',               ''",
    "GET,    /v2/a/b/c/manifests/x,                 MANIFEST,  a/b/c,            x",
    "PUT,    /v2/a/manifests/b/manifests/latest,    MANIFEST,  a/manifests/b,    latest",
    "GET,    /v2/blobs/manifests/x,                 MANIFEST,  blobs,            x",
    "GET,    /v2/tags/tags/list,                    TAGS,      tags,             ''",
    "POST,   /v2/ml/llm/blobs/uploads/,             UPLOADS,   ml/llm,           ''",
    "POST,   /v2/ml/blobs/uploads,                  UPLOADS,   ml,               ''",
    "PATCH,  /v2/a/blobs/uploads/0f0e,              UPLOAD,    a,                0f0e",
    "GET,    /v2/x/blobs/blobs/uploads/id,          UPLOAD,    x/blobs,          id",
    "HEAD,   /v2/a/b/blobs/sha256%3Aab,             BLOB,      a/b,              sha256:ab",
    "GET,    /v2/a/referrers/sha256:ab,             REFERRERS, a,                sha256:ab",
  })
  void matchesFromTheRight(
      String method, String path, Routes.Resource resource, String name, String param) {
    Routes.Match m = Routes.match(HttpMethod.valueOf(method), path);
    assertThat(m.resource()).isEqualTo(resource);
    assertThat(m.repository().map(Object::toString).orElse("")).isEqualTo(name);
    assertThat(m.param()).isEqualTo(param);
  }

  @ParameterizedTest
  @CsvSource({
    "/v1/",
    "/v2/a/b",
    "/v2/a/blobs/",
    "/v2//",
    "/v2/a/tags/list/extra",
    "/",
    "/v2/a/manifests/"
  })
  void unknownPathsAreNotFound(String path) {
    assertThatThrownBy(() -> Routes.match(HttpMethod.GET, path))
        .isInstanceOfSatisfying(
            RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
  }

  @ParameterizedTest
  @CsvSource({
    "/v2/A/manifests/x",
    "/v2/a//b/tags/list",
    "/v2/_x/tags/list",
    "/v2/a/../b/tags/list"
  })
  void invalidNamesAreNameInvalid(String path) {
    assertThatThrownBy(() -> Routes.match(HttpMethod.GET, path))
        .isInstanceOfSatisfying(
            RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NAME_INVALID));
  }

  @ParameterizedTest
  @CsvSource({
    "POST, /v2/a/manifests/x, 'GET, HEAD, PUT, DELETE'",
    "PUT, /v2/a/blobs/sha256:ab, 'GET, HEAD, DELETE'",
    "DELETE, /v2/a/tags/list, GET",
    "POST, /v2/, 'GET, HEAD'",
    "GET, /v2/a/blobs/uploads/, POST"
  })
  void wrongMethodIsUnsupportedWithTheAllowedOnesInDeclaredOrder(
      String method, String path, String allow) {
    assertThatThrownBy(() -> Routes.match(HttpMethod.valueOf(method), path))
        .isInstanceOfSatisfying(
            RegistryException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED);
              assertThat(e.detail()).isEqualTo(allow);
            });
  }
}
