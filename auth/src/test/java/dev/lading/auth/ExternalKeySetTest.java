package dev.lading.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExternalKeySetTest {
  @TempDir Path dir;

  @Test
  void itIsNeverWrittenNotEvenWhenMissing() throws Exception {
    ExternalKeySet missing = new ExternalKeySet(dir.resolve("keys.jwks"), false);
    assertThatThrownBy(missing::read)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("does not exist");
    assertThatThrownBy(() -> missing.createIfAbsent(SigningKeys.generate()))
        .hasMessageContaining("never writes");
    assertThatThrownBy(() -> KeyRing.open(missing, Clock.systemUTC()))
        .isInstanceOf(IOException.class);
    assertThat(Files.exists(dir.resolve("keys.jwks"))).isFalse();

    SigningKeys keys = SigningKeys.generate();
    keys.saveNew(dir.resolve("keys.jwks"));
    ExternalKeySet present = new ExternalKeySet(dir.resolve("keys.jwks"), false);
    assertThatThrownBy(() -> KeyRing.rotate(present)).hasMessageContaining("never writes");
    assertThat(present.read().orElseThrow().toJson()).isEqualTo(keys.toJson());
  }

  @Test
  void aDirectoryHoldsOneKeyPerNamedFile() throws Exception {
    SigningKeys two = SigningKeys.generate().rotate();
    ExternalKeySet.export(two, dir.resolve("keys"), true);
    assertThat(new ExternalKeySet(dir.resolve("keys"), false).read().orElseThrow().toJson())
        .isEqualTo(two.toJson());

    Files.createDirectory(dir.resolve("bad"));
    two.saveNew(dir.resolve("bad").resolve(ExternalKeySet.CURRENT));
    assertThatThrownBy(() -> new ExternalKeySet(dir.resolve("bad"), false).read())
        .hasMessageContaining("holds 2 keys");
  }

  @Test
  void modesNameTheFileInOctal() throws Exception {
    Path f = dir.resolve("k.jwks");
    SigningKeys.generate().saveNew(f);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-rw-r--"));
    assertThatThrownBy(() -> KeyFilePermissions.requireOwnerOnly(f, true, "fix it"))
        .hasMessage(
            f
                + " holds private signing keys but its mode is rw-rw-r-- (0664): others may access it; fix it");
  }
}
