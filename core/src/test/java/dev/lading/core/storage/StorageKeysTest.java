package dev.lading.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The one key grammar every store checks. {@link ObjectStoreContract#invalidKeysAreRefused} shows
 * each store applies it; this shows the grammar itself, including what a listing prefix may be.
 */
class StorageKeysTest {
  @ParameterizedTest
  @ValueSource(
      strings = {"a", "a/b/c", "blobs/sha256/ab/abcdef", "data/0f-1.2_x", "...", "a/.b", "A-Z"})
  void validKeysPass(String key) {
    assertThat(StorageKeys.requireKey(key)).isEqualTo(key);
    assertThat(StorageKeys.isKey(key)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "/a",
        "a/",
        "a//b",
        "a/../b",
        "..",
        ".",
        "a/./b",
        "../etc/passwd",
        "a b",
        "a\\b",
        "é",
        "a/b\u0000",
        "+staging/x",
        "+tails/k/1",
        "a:b"
      })
  void invalidKeysAreRefused(String key) {
    assertThatThrownBy(() -> StorageKeys.requireKey(key))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(StorageKeys.isKey(key)).isFalse();
  }

  @Test
  void nullAndOverlongKeysAreRefused() {
    assertThatThrownBy(() -> StorageKeys.requireKey(null))
        .isInstanceOf(IllegalArgumentException.class);
    String longest = "a".repeat(StorageKeys.MAX_KEY_LENGTH);
    assertThat(StorageKeys.requireKey(longest)).isEqualTo(longest);
    assertThatThrownBy(() -> StorageKeys.requireKey(longest + "a"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void refusalNamesAShortenedKey() {
    String key = "x".repeat(200) + "/../y";
    assertThatThrownBy(() -> StorageKeys.requireKey(key))
        .hasMessageStartingWith("invalid key segment in " + "x".repeat(100) + "...")
        .hasMessageNotContaining("..y");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "a", "a/", "a/b", "a/b/", "blobs/sha256/", "tags/v1."})
  void validPrefixesPass(String prefix) {
    assertThat(StorageKeys.requirePrefix(prefix)).isEqualTo(prefix);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/", "/a", "../", "a//", "a/../", "./", "a b", "+staging/", "a/+"})
  void invalidPrefixesAreRefused(String prefix) {
    assertThatThrownBy(() -> StorageKeys.requirePrefix(prefix))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void segmentsAreNeverDotOrDotDot() {
    assertThat(StorageKeys.isSegment("..")).isFalse();
    assertThat(StorageKeys.isSegment(".")).isFalse();
    assertThat(StorageKeys.isSegment("")).isFalse();
    assertThat(StorageKeys.isSegment("+multipart")).isFalse();
    assertThat(StorageKeys.isSegment(".hidden")).isTrue();
  }
}
