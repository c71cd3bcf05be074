package dev.lading.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jwt.SignedJWT;
import dev.lading.core.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyRingTest {
  @TempDir Path dir;
  final MutableClock clock = new MutableClock(Instant.now());
  static final Principal ROBOT = new Principal("ml-builder", Principal.Kind.ROBOT);
  static final List<Scope> PUSH = List.of(Scope.parse("repository:ml/a:pull,push"));

  TokenIssuer issuer(KeyRing ring) {
    return new TokenIssuer(
        ring, "lading", "registry.test", Duration.ofMinutes(5), Duration.ofDays(1), clock);
  }

  TokenVerifier verifier(KeyRing ring) {
    return TokenVerifier.forKeyRing(ring, "lading", "registry.test", clock);
  }

  static String kid(String jwt) throws Exception {
    return SignedJWT.parse(jwt).getHeader().getKeyID();
  }

  @Test
  void reloadAfterRotationSignsWithTheNewKeyAndStillVerifiesTheOld() throws Exception {
    KeySetStorage storage = KeySetStorage.file(dir.resolve("auth/keys.jwks"));
    KeyRing ring = KeyRing.open(storage, clock);
    TokenIssuer issuer = issuer(ring);
    TokenVerifier verifier = verifier(ring);
    String before = issuer.issue(ROBOT, PUSH).token();
    assertThat(verifier.verify(before).access()).isEqualTo(PUSH);

    SigningKeys rotated = KeyRing.rotate(storage);
    assertThat(ring.reload()).isTrue();
    assertThat(ring.reload()).isFalse();
    String after = issuer.issue(ROBOT, PUSH).token();
    assertThat(kid(after)).isEqualTo(rotated.current().getKeyID()).isNotEqualTo(kid(before));
    assertThat(verifier.verify(after).access()).isEqualTo(PUSH);
    assertThat(verifier.verify(before).access()).as("previous key still verifies").isEqualTo(PUSH);

    KeyRing.rotate(storage);
    ring.reload();
    assertThatThrownBy(() -> verifier.verify(before))
        .as("two rotations later the key is gone, and the cached grant with it")
        .isInstanceOf(TokenRejectedException.class);
    assertThat(verifier.verify(after).access()).isEqualTo(PUSH);
  }

  @Test
  void anInstanceThatHasNotReloadedVerifiesTokensOfOneThatHasByReloadingOnAnUnknownKeyId()
      throws Exception {
    KeySetStorage shared = KeySetStorage.file(dir.resolve("keys.jwks"));
    KeyRing a = KeyRing.open(shared, clock);
    KeyRing b = KeyRing.open(shared, clock);
    assertThat(b.keys().current().getKeyID()).isEqualTo(a.keys().current().getKeyID());
    TokenVerifier atB = verifier(b);

    KeyRing.rotate(shared);
    a.reload();
    String fromA = issuer(a).issue(ROBOT, PUSH).token();
    assertThat(atB.verify(fromA).subject()).isEqualTo("ml-builder");
    assertThat(b.keys().current().getKeyID()).isEqualTo(kid(fromA));
  }

  @Test
  void unknownKeyIdsReloadAtMostOncePerInterval() throws Exception {
    KeySetStorage shared = KeySetStorage.file(dir.resolve("keys.jwks"));
    KeyRing ring = KeyRing.open(shared, clock);
    assertThat(ring.reloadAfterMiss()).isFalse(); // read, nothing new
    KeyRing.rotate(shared);
    assertThat(ring.reloadAfterMiss()).as("within the interval: no read").isFalse();
    clock.advance(KeyRing.MISS_RELOAD_INTERVAL);
    assertThat(ring.reloadAfterMiss()).isTrue();
  }

  @Test
  void aDamagedKeyFileKeepsTheKeysInUse() throws Exception {
    Path file = dir.resolve("keys.jwks");
    KeyRing ring = KeyRing.open(KeySetStorage.file(file), clock);
    SigningKeys inUse = ring.keys();
    Files.writeString(file, "{\"keys\":[{\"kty\":\"EC\"");
    assertThatThrownBy(ring::reload)
        .hasMessageContaining(file.toString())
        .hasMessageNotContaining("\"kty\"");
    assertThat(ring.keys()).isSameAs(inUse);
    Files.delete(file);
    assertThatThrownBy(ring::reload).hasMessageContaining("disappeared");
    assertThat(ring.keys()).isSameAs(inUse);
  }

  @Test
  void instancesCreatingTheFirstKeyAtOnceAgreeOnIt() throws Exception {
    Path file = dir.resolve("race/keys.jwks");
    int n = 8;
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Callable<String>> tasks = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        tasks.add(
            () -> {
              go.await();
              return KeyRing.open(KeySetStorage.file(file), clock).keys().current().getKeyID();
            });
      }
      List<Future<String>> futures = new ArrayList<>();
      for (Callable<String> t : tasks) {
        futures.add(pool.submit(t));
      }
      go.countDown();
      Set<String> kids = new HashSet<>();
      for (Future<String> f : futures) {
        kids.add(f.get());
      }
      assertThat(kids).containsExactly(SigningKeys.load(file).current().getKeyID());
      try (var listing = Files.list(file.getParent())) {
        assertThat(listing.map(p -> p.getFileName().toString())).containsExactly("keys.jwks");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void rotatingWhereNoSetExistsCreatesOne() throws Exception {
    KeySetStorage storage = KeySetStorage.file(dir.resolve("fresh.jwks"));
    SigningKeys created = KeyRing.rotate(storage);
    assertThat(created.all()).hasSize(1);
    assertThat(storage.read().orElseThrow().current().getKeyID())
        .isEqualTo(created.current().getKeyID());
    assertThat(created.toString()).doesNotContain("\"d\"");
  }
}
