package dev.lading.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
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

  /**
   * Every string of up to 6 characters over an alphabet with each kind of character the grammar
   * cares about gets the same verdict, as key, prefix and segment, as the grammar written as
   * regular expressions (the definition the scanner implements).
   */
  @Test
  void theScannerAgreesWithTheGrammarOnEveryShortString() {
    Pattern key = Pattern.compile("(?!(?:.*/)?\\.{1,2}(?:/|$))[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*");
    Pattern prefix = Pattern.compile("((?!\\.{1,2}/)[A-Za-z0-9._-]+/)*[A-Za-z0-9._-]*");
    char[] alphabet = {'a', 'Z', '7', '.', '_', '-', '/', '+', ' '};
    List<String> strings = new ArrayList<>(List.of(""));
    for (int from = 0, length = 1; length <= 6; length++) {
      int to = strings.size();
      for (int i = from; i < to; i++) {
        for (char c : alphabet) {
          strings.add(strings.get(i) + c);
        }
      }
      from = to;
    }
    for (String s : strings) {
      assertThat(StorageKeys.isKey(s)).as("key %s", s).isEqualTo(key.matcher(s).matches());
      boolean prefixAccepted;
      try {
        StorageKeys.requirePrefix(s);
        prefixAccepted = true;
      } catch (IllegalArgumentException e) {
        prefixAccepted = false;
      }
      assertThat(prefixAccepted).as("prefix %s", s).isEqualTo(prefix.matcher(s).matches());
      assertThat(StorageKeys.isSegment(s))
          .as("segment %s", s)
          .isEqualTo(!s.contains("/") && key.matcher(s).matches());
    }
  }
}
