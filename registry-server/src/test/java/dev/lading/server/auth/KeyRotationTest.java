package dev.lading.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.SignedJWT;
import dev.lading.auth.KeyRing;
import dev.lading.auth.KeySetStorage;
import dev.lading.auth.SigningKeys;
import dev.lading.core.storage.fs.FilesystemStore;
import dev.lading.server.Main;
import dev.lading.server.config.ConfigLoader;
import dev.lading.server.config.LadingConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lading keys rotate} against running servers: they sign with the new key without a restart,
 * tokens signed before still verify, and instances sharing one store agree on the keys.
 */
class KeyRotationTest {
  @TempDir Path root;

  static final Duration DEADLINE = Duration.ofSeconds(30);

  private static Map<String, String> env(Path root) {
    return Map.of("LADING_AUTH_MODE", "token", "LADING_STORAGE_FILESYSTEM_ROOT", root.toString());
  }

  private static String rotate(Map<String, String> env) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        Main.run(
            new String[] {"keys", "rotate"},
            env,
            new PrintWriter(out, true),
            new PrintWriter(err, true));
    assertThat(code).as(err.toString()).isZero();
    return out.toString();
  }

  private static String kid(String jwt) throws Exception {
    return SignedJWT.parse(jwt).getHeader().getKeyID();
  }

  private static List<String> jwksKids(AuthFixture registry) throws Exception {
    JsonNode keys =
        registry
            .json(registry.send(registry.request("/auth/jwks.json", null).GET().build()).body())
            .get("keys");
    List<String> out = new ArrayList<>();
    keys.forEach(k -> out.add(k.get("kid").asText()));
    return out;
  }

  private static int pull(AuthFixture registry, String repo, String token) throws Exception {
    return registry
        .send(registry.request("/v2/" + repo + "/tags/list", token).GET().build())
        .statusCode();
  }

  /** Polls until {@code registry}'s JWKS lists {@code kid} first. */
  private static void awaitCurrentKey(AuthFixture registry, String kid) throws Exception {
    Instant until = Instant.now().plus(DEADLINE);
    while (!jwksKids(registry).get(0).equals(kid)) {
      assertThat(Instant.now()).as("the server never reloaded the rotated keys").isBefore(until);
      LockSupport.parkNanos(20_000_000L); // poll, not spin: the machine is shared
    }
  }

  @Test
  void aRunningServerSignsWithTheRotatedKeyAndStillAcceptsTokensSignedBefore() throws Exception {
    try (AuthFixture registry =
        new AuthFixture(root, a -> a.withKeyReload(Duration.ofSeconds(1)))) {
      String before = registry.token("reader", "repository:ml/a:pull");
      String oldKid = kid(before);
      assertThat(jwksKids(registry)).containsExactly(oldKid);

      String printed = rotate(env(root));
      SigningKeys stored = SigningKeys.load(TokenAuth.defaultKeyFile(registry.server.config()));
      String newKid = stored.current().getKeyID();
      assertThat(printed)
          .contains("signing with " + newKid)
          .contains(oldKid + " still verifies")
          .doesNotContain("\"d\"");

      awaitCurrentKey(registry, newKid);
      assertThat(jwksKids(registry)).containsExactly(newKid, oldKid);
      String after = registry.token("reader", "repository:ml/a:pull");
      assertThat(kid(after)).isEqualTo(newKid);
      assertThat(pull(registry, "ml/a", after)).isEqualTo(404);
      assertThat(pull(registry, "ml/a", before))
          .as("a token signed before the rotation")
          .isEqualTo(404);

      rotate(env(root));
      String newest =
          SigningKeys.load(TokenAuth.defaultKeyFile(registry.server.config())).current().getKeyID();
      awaitCurrentKey(registry, newest);
      assertThat(pull(registry, "ml/a", before))
          .as("two rotations later its key is gone")
          .isEqualTo(401);
      assertThat(pull(registry, "ml/a", after)).isEqualTo(404);
    }
  }

  @Test
  void instancesOnOneStoreShareKeysAndVerifyTokensOfOneThatReloadedFirst() throws Exception {
    // a reloads only when told of an unknown key; b every second.
    try (AuthFixture a = new AuthFixture(root, x -> x.withKeyReload(Duration.ofHours(1)));
        AuthFixture b = new AuthFixture(root, x -> x.withKeyReload(Duration.ofSeconds(1)))) {
      String fromA = a.token("reader", "repository:ml/a:pull");
      assertThat(pull(b, "ml/a", fromA)).isEqualTo(404);

      rotate(env(root));
      String newKid =
          SigningKeys.load(TokenAuth.defaultKeyFile(a.server.config())).current().getKeyID();
      awaitCurrentKey(b, newKid);
      String fromB = b.token("reader", "repository:ml/a:pull");
      assertThat(kid(fromB)).isEqualTo(newKid);
      assertThat(pull(a, "ml/a", fromB))
          .as("a learns the new key from the token's kid")
          .isEqualTo(404);
      assertThat(jwksKids(a).get(0)).isEqualTo(newKid);
    }
  }

  @Test
  void withASharedStoreAndNoKeyFileTheKeysLiveInTheStoreAndInstancesAgree() throws Exception {
    LadingConfig.Auth auth =
        ConfigLoader.load(null, Map.of("LADING_AUTH_MODE", "token")).config().auth();
    Path unused = root.resolve("not-here.jwks");
    // Any store the SPI offers; the filesystem one stands in for the shared S3 bucket.
    try (FilesystemStore store = new FilesystemStore(root)) {
      KeySetStorage storage = TokenAuth.keyStorage(auth, false, unused, Optional.of(store));
      assertThat(storage).isInstanceOf(StoredKeySet.class);
      assertThat(storage.describe()).contains("auth/signing-keys.jwks");
      KeyRing first = KeyRing.open(storage, Clock.systemUTC());
      KeyRing second = KeyRing.open(new StoredKeySet(store), Clock.systemUTC());
      assertThat(second.keys().current().getKeyID()).isEqualTo(first.keys().current().getKeyID());

      SigningKeys rotated = KeyRing.rotate(storage);
      assertThat(second.reload()).isTrue();
      assertThat(second.keys().all())
          .extracting(k -> k.getKeyID())
          .containsExactly(rotated.current().getKeyID(), first.keys().current().getKeyID());
      assertThat(new String(store.read("auth/signing-keys.jwks").orElseThrow()))
          .isEqualTo(rotated.toJson());
    }
    // An operator's key file wins over the store, whatever the store.
    assertThat(
            TokenAuth.keyStorage(
                    auth.withKeyFile(root.resolve("ops/keys.jwks")),
                    false,
                    unused,
                    Optional.empty())
                .describe())
        .isEqualTo(root.resolve("ops/keys.jwks").toString());
    assertThat(Files.exists(unused)).isFalse();
  }

  @Test
  void rotateRefusesAnExternalIssuer() {
    StringWriter err = new StringWriter();
    int code =
        Main.run(
            new String[] {"keys", "rotate"},
            Map.of(
                "LADING_AUTH_MODE",
                "token",
                "LADING_AUTH_TOKEN_EXTERNAL_JWKS_URL",
                "https://idp.example/jwks",
                "LADING_AUTH_TOKEN_REALM",
                "https://idp.example/token",
                "LADING_STORAGE_FILESYSTEM_ROOT",
                root.toString()),
            new PrintWriter(new StringWriter(), true),
            new PrintWriter(err, true));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("external issuer");
    assertThat(Files.exists(root.resolve("auth"))).isFalse();
  }
}
