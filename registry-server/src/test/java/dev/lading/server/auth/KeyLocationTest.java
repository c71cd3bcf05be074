package dev.lading.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.SignedJWT;
import dev.lading.auth.ExternalKeySet;
import dev.lading.auth.SigningKeys;
import dev.lading.server.Main;
import dev.lading.server.config.ConfigException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Where the signing keys live and who may read them: a key in the filesystem store readable by
 * others stops the start; {@code auth.token.key_file} outside the store is used read-only (the
 * store then holds no key), re-read when it changes the way a Kubernetes Secret changes, and never
 * written by {@code lading keys rotate}.
 */
class KeyLocationTest {
  @TempDir Path root;
  @TempDir Path secrets;

  private static void chmod(Path p, String mode) throws Exception {
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
  }

  private Path storeKey() throws Exception {
    Files.createDirectories(root.resolve("auth"));
    return root.resolve("auth/signing-keys.jwks");
  }

  /** A key file as an operator would provide it, owner-read-only. */
  private Path keyFile(SigningKeys keys, String name) throws Exception {
    Path f = secrets.resolve(name);
    keys.saveNew(f);
    chmod(f, "r--------");
    return f;
  }

  private static String token(AuthFixture registry) throws Exception {
    return registry.token("reader", "repository:ml/a:pull");
  }

  private static String kid(String jwt) throws Exception {
    return SignedJWT.parse(jwt).getHeader().getKeyID();
  }

  @Test
  void aKeyInTheStoreReadableByOthersStopsTheStartNamingTheFileAndTheFix() throws Exception {
    SigningKeys.generate().saveNew(storeKey());
    chmod(storeKey(), "rw-r--r--");
    assertThatThrownBy(() -> new AuthFixture(root))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("storage.filesystem.root")
        .hasMessageContaining(storeKey().toString())
        .hasMessageContaining("0644")
        .hasMessageContaining("chmod 600 " + storeKey())
        .hasMessageContaining("auth.token.key_file");
    chmod(storeKey(), "rw-r-----");
    assertThatThrownBy(() -> new AuthFixture(root))
        .hasMessageContaining("its group or others may access it");
  }

  @Test
  void aKeyInTheStoreThatIsTheOwnersAloneIsUsedAndTheStartWarnsItBelongsOutside() throws Exception {
    SigningKeys keys = SigningKeys.generate();
    keys.saveNew(storeKey());
    for (String mode : List.of("rw-------", "r--------")) {
      chmod(storeKey(), mode);
      try (LogCapture log = new LogCapture();
          AuthFixture registry = new AuthFixture(root)) {
        assertThat(kid(token(registry))).isEqualTo(keys.current().getKeyID());
        assertThat(log.lines())
            .anyMatch(l -> l.contains("kept in the store") && l.contains("auth.token.key_file"));
      }
    }
  }

  @Test
  void anExternalKeyFileSignsTheTokensAndTheStoreHoldsNoKey() throws Exception {
    SigningKeys keys = SigningKeys.generate();
    Path file = keyFile(keys, "signing-keys.jwks");
    try (LogCapture log = new LogCapture();
        AuthFixture registry = new AuthFixture(root, a -> a.withKeyFile(file))) {
      SignedJWT jwt = SignedJWT.parse(token(registry));
      assertThat(jwt.verify(new ECDSAVerifier(((ECKey) keys.current()).toECPublicKey()))).isTrue();
      assertThat(
              registry
                  .send(registry.request("/v2/ml/a/tags/list", jwt.serialize()).GET().build())
                  .statusCode())
          .isEqualTo(404);
      assertThat(log.lines()).noneMatch(l -> l.contains("kept in the store"));
    }
    assertThat(Files.exists(root.resolve("auth"))).as("nothing key-like in the store").isFalse();
    assertThat(Files.readString(file)).isEqualTo(keys.toJson());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("r--------");
  }

  @Test
  void anExternalKeyFileThatIsMissingOrTooOpenStopsTheStart() throws Exception {
    Path missing = secrets.resolve("nope.jwks");
    assertThatThrownBy(() -> new AuthFixture(root, a -> a.withKeyFile(missing)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("auth.token.key_file: " + missing + " does not exist")
        .hasMessageContaining("lading keys rotate --output");
    assertThat(Files.exists(missing)).isFalse();

    Path file = keyFile(SigningKeys.generate(), "open.jwks");
    chmod(file, "rw-r--r--");
    assertThatThrownBy(() -> new AuthFixture(root, a -> a.withKeyFile(file)))
        .hasMessageContaining("auth.token.key_file: " + file)
        .hasMessageContaining("0644")
        .hasMessageContaining("chmod 400");
    chmod(file, "r--r-----");
    assertThatThrownBy(() -> new AuthFixture(root, a -> a.withKeyFile(file)))
        .hasMessageContaining("auth.token.key_file_group_readable");
    // Kubernetes with fsGroup: group read allowed on request, others still never.
    try (AuthFixture registry =
        new AuthFixture(root, a -> a.withKeyFile(file).withKeyFileGroupReadable(true))) {
      assertThat(token(registry)).isNotEmpty();
    }
    chmod(file, "r--r--r--");
    assertThatThrownBy(
            () -> new AuthFixture(root, a -> a.withKeyFile(file).withKeyFileGroupReadable(true)))
        .hasMessageContaining("others may access it");
  }

  @Test
  void aKubernetesSecretUpdateIsPickedUpWithoutARestart() throws Exception {
    // The kubelet's layout: <mount>/keys.jwks -> ..data/keys.jwks, ..data -> ..<timestamp>/, and an
    // update swaps ..data in one rename.
    SigningKeys first = SigningKeys.generate();
    Path mount = secrets.resolve("lading-keys");
    Files.createDirectories(mount.resolve("..v1"));
    first.saveNew(mount.resolve("..v1/keys.jwks"));
    chmod(mount.resolve("..v1/keys.jwks"), "r--------");
    Files.createSymbolicLink(mount.resolve("..data"), Path.of("..v1"));
    Files.createSymbolicLink(mount.resolve("keys.jwks"), Path.of("..data/keys.jwks"));

    try (AuthFixture registry =
        new AuthFixture(
            root,
            a -> a.withKeyFile(mount.resolve("keys.jwks")).withKeyReload(Duration.ofSeconds(1)))) {
      String before = token(registry);
      assertThat(kid(before)).isEqualTo(first.current().getKeyID());

      SigningKeys rotated = first.rotate();
      Files.createDirectories(mount.resolve("..v2"));
      rotated.saveNew(mount.resolve("..v2/keys.jwks"));
      chmod(mount.resolve("..v2/keys.jwks"), "r--------");
      Files.createSymbolicLink(mount.resolve("..data_tmp"), Path.of("..v2"));
      Files.move(
          mount.resolve("..data_tmp"), mount.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);

      Instant until = Instant.now().plusSeconds(30);
      while (!kid(token(registry)).equals(rotated.current().getKeyID())) {
        assertThat(Instant.now()).as("the server never re-read the updated Secret").isBefore(until);
        LockSupport.parkNanos(50_000_000L);
      }
      assertThat(
              registry
                  .send(registry.request("/v2/ml/a/tags/list", before).GET().build())
                  .statusCode())
          .as("a token signed with the previous key still verifies")
          .isEqualTo(404);
      assertThat(Files.readString(mount.resolve("..v2/keys.jwks"))).isEqualTo(rotated.toJson());
    }
  }

  @Test
  void aKeyDirectorySignsWithCurrentAndStillVerifiesPrevious() throws Exception {
    SigningKeys old = SigningKeys.generate();
    SigningKeys rotated = old.rotate();
    Path dir = secrets.resolve("keys");
    ExternalKeySet.export(rotated, dir, true);
    assertThat(dir.resolve(ExternalKeySet.CURRENT)).exists();
    try (AuthFixture registry = new AuthFixture(root, a -> a.withKeyFile(dir))) {
      assertThat(kid(token(registry))).isEqualTo(rotated.current().getKeyID());
      String jwks = registry.send(registry.request("/auth/jwks.json", null).GET().build()).body();
      assertThat(jwks).contains(rotated.current().getKeyID()).contains(old.current().getKeyID());
    }
  }

  private Map<String, String> env(Path keyFile) {
    Map<String, String> env =
        new HashMap<>(
            Map.of("LADING_AUTH_MODE", "token", "LADING_STORAGE_FILESYSTEM_ROOT", root.toString()));
    if (keyFile != null) {
      env.put("LADING_AUTH_TOKEN_KEY_FILE", keyFile.toString());
    }
    return env;
  }

  private record Run(int code, String out, String err) {}

  private static Run run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, env, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void rotateNeverWritesTheKeyFileAndWritesTheRotatedSetWhereItIsTold() throws Exception {
    SigningKeys keys = SigningKeys.generate();
    Path file = keyFile(keys, "signing-keys.jwks");

    Run refused = run(env(file), "keys", "rotate");
    assertThat(refused.code()).isEqualTo(2);
    assertThat(refused.err())
        .contains("auth.token.key_file (" + file + ")")
        .contains("never writes it")
        .contains("--output NEW");
    assertThat(Files.readString(file)).isEqualTo(keys.toJson());

    Path next = secrets.resolve("next.jwks");
    Run exported = run(env(file), "keys", "rotate", "--output", next.toString());
    assertThat(exported.code()).as(exported.err()).isZero();
    SigningKeys written = SigningKeys.load(next);
    assertThat(written.all()).hasSize(2);
    assertThat(written.all().get(1).getKeyID()).isEqualTo(keys.current().getKeyID());
    assertThat(exported.out()).contains(written.current().getKeyID()).doesNotContain("\"d\"");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(next)))
        .isEqualTo("rw-------");
    assertThat(Files.readString(file)).as("the key file is untouched").isEqualTo(keys.toJson());
    assertThat(Files.exists(root.resolve("auth"))).isFalse();

    Run again = run(env(file), "keys", "rotate", "--output", next.toString());
    assertThat(again.code()).isEqualTo(2);
    assertThat(again.err()).contains("exists");
    assertThat(SigningKeys.load(next).toJson()).isEqualTo(written.toJson());
  }

  @Test
  void rotateOutputMovesTheStoresKeysOutWithoutTouchingTheStore() throws Exception {
    try (AuthFixture registry = new AuthFixture(root)) {
      token(registry);
    }
    Path storeKey = storeKey();
    String inStore = Files.readString(storeKey);
    SigningKeys stored = SigningKeys.load(storeKey);
    Path out = secrets.resolve("first.jwks");
    Run exported = run(env(null), "keys", "rotate", "--output", out.toString());
    assertThat(exported.code()).as(exported.err()).isZero();
    assertThat(SigningKeys.load(out).all().get(1).getKeyID())
        .isEqualTo(stored.current().getKeyID());
    assertThat(Files.readString(storeKey)).isEqualTo(inStore);

    // Once the file is in use, the key left in the store is pointed out.
    chmod(out, "r--------");
    try (LogCapture log = new LogCapture();
        AuthFixture registry = new AuthFixture(root, a -> a.withKeyFile(out))) {
      assertThat(kid(token(registry))).isEqualTo(SigningKeys.load(out).current().getKeyID());
      assertThat(log.lines())
          .anyMatch(
              l -> l.contains("still holds a signing key set") && l.contains(storeKey.toString()));
    }
  }

  @Test
  void rotateOutputMakesTheFirstKeyFileAndADirectoryForADirectory() throws Exception {
    Path missing = secrets.resolve("to-be.jwks");
    Run first = run(env(missing), "keys", "rotate", "--output", missing.toString());
    assertThat(first.code()).as(first.err()).isZero();
    assertThat(SigningKeys.load(missing).all()).hasSize(1);

    Path dir = secrets.resolve("keys");
    ExternalKeySet.export(SigningKeys.load(missing), dir, true);
    Path nextDir = secrets.resolve("keys-next");
    Run rotated = run(env(dir), "keys", "rotate", "--output", nextDir.toString());
    assertThat(rotated.code()).as(rotated.err()).isZero();
    assertThat(SigningKeys.load(nextDir.resolve(ExternalKeySet.PREVIOUS)).current().getKeyID())
        .isEqualTo(SigningKeys.load(missing).current().getKeyID());
    assertThat(nextDir.resolve(ExternalKeySet.CURRENT)).exists();
  }

  /** Lines of the token auth logger. */
  private static final class LogCapture implements AutoCloseable {
    private final Logger logger = (Logger) LoggerFactory.getLogger(TokenAuth.class);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    LogCapture() {
      appender.start();
      logger.addAppender(appender);
    }

    List<String> lines() {
      synchronized (appender.list) {
        return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
      }
    }

    @Override
    public void close() {
      logger.detachAppender(appender);
    }
  }
}
