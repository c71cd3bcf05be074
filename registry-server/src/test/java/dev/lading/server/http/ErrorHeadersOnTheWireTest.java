package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Headers ride on the refusal: whoever refuses (the authorizer, a plain route such as the token
 * endpoint, a handler), the dispatcher hands the exception to {@link Exchange#fail}, and {@link
 * ErrorResponses} writes status, headers and body. No side channel for headers exists.
 */
class ErrorHeadersOnTheWireTest {

  @Test
  void theAuthorizersChallengeReachesTheWireWithTheSpecsBody() throws Exception {
    RequestAuthorizer challenging =
        request ->
            new RequestAuthorizer.Decision.Refused(
                ErrorCode.UNAUTHORIZED
                    .exception()
                    .withHeader("WWW-Authenticate", "Bearer realm=\"http://r/auth/token\""));
    FullHttpResponse r = dispatch(challenging, Map.of(), HttpMethod.GET, "/v2/");
    try {
      assertThat(r.status().code()).isEqualTo(401);
      assertThat(r.headers().get("WWW-Authenticate"))
          .isEqualTo("Bearer realm=\"http://r/auth/token\"");
      assertThat(r.headers().get("Content-Type")).isEqualTo("application/json");
      assertThat(r.headers().get(Exchange.API_VERSION_HEADER)).isEqualTo("registry/2.0");
      JsonNode error = onlyError(r);
      assertThat(error.get("code").asText()).isEqualTo("UNAUTHORIZED");
      assertThat(error.get("message").asText()).isEqualTo("authentication required");
    } finally {
      r.release();
    }
  }

  @Test
  void aThrottledLoginsRetryAfterReachesTheWire() throws Exception {
    ResourceHandler throttled =
        exchange -> {
          throw ErrorCode.TOOMANYREQUESTS
              .exception("too many failed logins; retry later")
              .withHeader("Retry-After", "7");
        };
    FullHttpResponse r =
        dispatch(
            RequestAuthorizer.allowAll(),
            Map.of("/auth/token", throttled),
            HttpMethod.GET,
            "/auth/token");
    try {
      assertThat(r.status().code()).isEqualTo(429);
      assertThat(r.headers().get("Retry-After")).isEqualTo("7");
      assertThat(r.headers().get("Content-Type")).isEqualTo("application/json");
      JsonNode error = onlyError(r);
      assertThat(error.get("code").asText()).isEqualTo("TOOMANYREQUESTS");
      assertThat(error.get("message").asText()).isEqualTo("too many failed logins; retry later");
    } finally {
      r.release();
    }
  }

  @Test
  void aWrongMethodsAllowComesFromTheRefusalAndAHeadGetsNoBody() {
    FullHttpResponse r =
        dispatch(RequestAuthorizer.allowAll(), Map.of(), HttpMethod.DELETE, "/v2/a/tags/list");
    try {
      assertThat(r.status().code()).isEqualTo(405);
      assertThat(r.headers().get("Allow")).isEqualTo("GET");
    } finally {
      r.release();
    }
    RegistryException gone = ErrorCode.BLOB_UNKNOWN.exception().withHeader("X-Test", "kept");
    FullHttpResponse head =
        dispatch(
            RequestAuthorizer.allowAll(),
            Map.of(),
            HttpMethod.HEAD,
            "/v2/a/blobs/sha256:" + "0".repeat(64),
            gone);
    try {
      assertThat(head.status().code()).isEqualTo(404);
      assertThat(head.headers().get("X-Test")).isEqualTo("kept");
      assertThat(head.headers().getInt("Content-Length")).isZero();
      assertThat(head.content().readableBytes()).isZero();
    } finally {
      head.release();
    }
  }

  private static FullHttpResponse dispatch(
      RequestAuthorizer authorizer,
      Map<String, ResourceHandler> plainRoutes,
      HttpMethod method,
      String path) {
    return dispatch(authorizer, plainRoutes, method, path, null);
  }

  /**
   * Dispatches one request on an embedded channel; every API resource's handler throws {@code
   * thrown}.
   */
  private static FullHttpResponse dispatch(
      RequestAuthorizer authorizer,
      Map<String, ResourceHandler> plainRoutes,
      HttpMethod method,
      String path,
      RegistryException thrown) {
    Map<Routes.Resource, ResourceHandler> handlers = new EnumMap<>(Routes.Resource.class);
    for (Routes.Resource resource : Routes.Resource.values()) {
      handlers.put(
          resource,
          exchange -> {
            throw thrown == null ? new IllegalStateException("not reached") : thrown;
          });
    }
    RequestDispatcher dispatcher =
        new RequestDispatcher(handlers, plainRoutes, authorizer, false, Runnable::run);
    EmbeddedChannel channel = new EmbeddedChannel();
    HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, path);
    request.headers().set("Host", "registry.test");
    Exchange exchange =
        new Exchange(
            channel,
            request,
            new RequestBodyStream(channel, false, () -> {}),
            new WritabilityGate(channel),
            (e, ok) -> {});
    dispatcher.dispatch(exchange);
    channel.runPendingTasks();
    FullHttpResponse response = channel.readOutbound();
    assertThat(response).as("a response was written").isNotNull();
    return response;
  }

  private static JsonNode onlyError(FullHttpResponse r) throws Exception {
    JsonNode errors =
        ErrorResponses.JSON.readTree(r.content().toString(StandardCharsets.UTF_8)).get("errors");
    assertThat(errors).hasSize(1);
    return errors.get(0);
  }
}
