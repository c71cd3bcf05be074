package dev.lading.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /admin/gc} with token auth, over real sockets: only a principal whose rules grant {@code
 * delete} on {@code **} gets the {@code registry:gc:delete} scope and may trigger or read GC; a
 * token without it is refused, and the challenge names the scope to ask for.
 */
class AdminGcAuthTest {
  @TempDir Path root;
  private AuthFixture f;

  @BeforeEach
  void start() {
    f = new AuthFixture(root);
  }

  @AfterEach
  void stop() {
    f.close();
  }

  private HttpResponse<String> dryRun(String token) throws Exception {
    return f.send(
        f.request("/admin/gc?dry_run=true", token)
            .POST(HttpRequest.BodyPublishers.noBody())
            .build());
  }

  @Test
  void withoutATokenTheChallengeAsksForTheGcScope() throws Exception {
    HttpResponse<String> r = dryRun(null);
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("WWW-Authenticate").orElseThrow())
        .contains("scope=\"registry:gc:delete\"");
  }

  @Test
  void onlyAPrincipalAllowedToDeleteEverywhereGetsTheScopeAndRunsGc() throws Exception {
    String admin = f.token("admin", "registry:gc:delete");
    assertThat(
            f.json(
                    f.tokenResponse("admin", AuthFixture.SECRETS.get("admin"), "registry:gc:delete")
                        .body())
                .path("token")
                .asText())
        .isNotEmpty();
    assertThat(dryRun(admin).statusCode()).isEqualTo(202);
    HttpResponse<String> status = f.send(f.request("/admin/gc", admin).GET().build());
    assertThat(status.statusCode()).isEqualTo(200);
    assertThat(f.json(status.body()).has("running")).isTrue();

    // reader may pull everywhere, the robot push under ml/**: neither deletes everywhere.
    for (String user : new String[] {"reader", "ml-builder"}) {
      String token = f.token(user, "registry:gc:delete");
      HttpResponse<String> refused = dryRun(token);
      assertThat(refused.statusCode()).as(user).isEqualTo(403);
      assertThat(f.json(refused.body()).path("errors").get(0).path("code").asText())
          .isEqualTo("DENIED");
      assertThat(f.send(f.request("/admin/gc", token).GET().build()).statusCode())
          .as(user)
          .isEqualTo(403);
    }
    // A token of the admin without the GC scope: the client should ask for it.
    String pullOnly = f.token("admin", "repository:team/app:pull");
    HttpResponse<String> insufficient = dryRun(pullOnly);
    assertThat(insufficient.statusCode()).isEqualTo(401);
    assertThat(insufficient.headers().firstValue("WWW-Authenticate").orElseThrow())
        .contains("error=\"insufficient_scope\"")
        .contains("registry:gc:delete");
    String anonymous = f.token(null, "registry:gc:delete");
    assertThat(dryRun(anonymous).statusCode()).isEqualTo(401);
  }
}
