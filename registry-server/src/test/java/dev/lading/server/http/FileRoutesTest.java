package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import io.netty.handler.codec.http.HttpMethod;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class FileRoutesTest {
  @ParameterizedTest(name = "{0} -> {1} {2}")
  @CsvSource({
    "/files/ml/tiny/-/q4/model.gguf,                  ml/tiny,   q4/model.gguf",
    "/files/a/b/c/-/sha256:abc/dir/x.bin,             a/b/c,     sha256:abc/dir/x.bin",
    "/files/ml/tiny/-/q4/,                            ml/tiny,   q4",
    "/files/ml/tiny/-/q4,                             ml/tiny,   q4",
    "/files/ml/tiny/-/q4/tokenizer/,                  ml/tiny,   q4/tokenizer/",
    "/files/ml/tiny/-/q4/R%C3%89ADME%20%C3%BC.md,     ml/tiny,   q4/RÉADME ü.md",
    "/files/ml/tiny/-/q4/a/-/b,                       ml/tiny,   q4/a/-/b",
  })
  void splitsNameReferenceAndPath(String path, String repo, String param) {
    Routes.Match m = Routes.match(HttpMethod.GET, path);
    assertThat(m.resource()).isEqualTo(Routes.Resource.FILES);
    assertThat(m.repository().orElseThrow().value()).isEqualTo(repo);
    assertThat(m.param()).isEqualTo(param);
    assertThat(m.writes()).isFalse();
    assertThat(RouteLabels.of(m.resource())).isEqualTo("/files/{name}/-/{reference}/{path}");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/files/ml/tiny/-/q4/../x", "/files/ml/tiny/-/q4/./x", "/files/ml/tiny/-/q4/a//b",
        "/files/ml/tiny/-/q4/%2e%2e/x", "/files/ml/tiny/-/q4/a%2Fb", "/files/ml/tiny/-/q4/a%5Cb",
        "/files/ml/tiny/-/q4/a%00b", "/files/ml/tiny/-/q4//x",
      })
  void traversalIsBlobUnknown(String path) {
    assertThatThrownBy(() -> Routes.match(HttpMethod.GET, path))
        .isInstanceOfSatisfying(
            RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BLOB_UNKNOWN));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/files/",
        "/files/ml/tiny",
        "/files/-/q4/x",
        "/files/ml/tiny/-/",
        "/files/ml/tiny/-//x"
      })
  void withoutNameOrReferenceIsNotFound(String path) {
    assertThatThrownBy(() -> Routes.match(HttpMethod.GET, path))
        .isInstanceOfSatisfying(
            RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
  }

  @Test
  void onlyReads() {
    assertThatThrownBy(() -> Routes.match(HttpMethod.PUT, "/files/ml/tiny/-/q4/x"))
        .isInstanceOfSatisfying(
            RegistryException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.METHOD_NOT_ALLOWED));
    assertThat(Routes.match(HttpMethod.HEAD, "/files/ml/tiny/-/q4/x").resource())
        .isEqualTo(Routes.Resource.FILES);
  }

  @Test
  void annotationNamesAreHeldToTheSameRules() {
    assertThat(FileRoutes.validName("weights/model-00001.safetensors")).isTrue();
    assertThat(FileRoutes.validName("/etc/passwd")).isFalse();
    assertThat(FileRoutes.validName("../x")).isFalse();
    assertThat(FileRoutes.validName("a//b")).isFalse();
    assertThat(FileRoutes.validName("dir/")).isFalse();
    assertThat(FileRoutes.validName("")).isFalse();
  }

  @Test
  void contentDispositionIsRfc6266WithRfc8187ForNonAscii() {
    assertThat(FilesHandler.contentDisposition("dir/model.gguf"))
        .isEqualTo("attachment; filename=\"model.gguf\"");
    assertThat(FilesHandler.contentDisposition("a\"b\\c.txt"))
        .isEqualTo("attachment; filename=\"a_b_c.txt\"; filename*=UTF-8''a%22b%5Cc.txt");
    assertThat(FilesHandler.contentDisposition("模型.gguf"))
        .isEqualTo("attachment; filename=\"__.gguf\"; filename*=UTF-8''%E6%A8%A1%E5%9E%8B.gguf");
  }
}
