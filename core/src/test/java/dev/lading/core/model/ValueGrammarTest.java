package dev.lading.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The distribution-spec's grammars for names, tags, digests and references. */
class ValueGrammarTest {
  private static final String HEX64 = "a".repeat(64);

  @ParameterizedTest
  @ValueSource(
      strings = {
        "a",
        "library/ubuntu",
        "a/b/c/d",
        "a-b",
        "a--b",
        "a.b",
        "a_b",
        "a__b",
        "ml/vllm-rocm",
        "0",
        "a0/b1",
        "x.y-z_w"
      })
  void repositoryNamesAccepted(String name) {
    assertThat(RepositoryName.parse(name).value()).isEqualTo(name);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "", "A", "a/", "/a", "a//b", "-a", "a-", ".a", "a.", "_a", "a/_b", "a___b", "a..b",
        "a/../b", "..", "a b", "a:b", "é"
      })
  void repositoryNamesRefused(String name) {
    assertThatThrownBy(() -> RepositoryName.parse(name))
        .isInstanceOfSatisfying(
            RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NAME_INVALID));
  }

  @Test
  void overlongRepositoryNameRefused() {
    assertThat(RepositoryName.isValid("a".repeat(255))).isTrue();
    assertThat(RepositoryName.isValid("a".repeat(256))).isFalse();
  }

  static Stream<String> goodTags() {
    return Stream.of("latest", "v1.0", "_x", "1", "A-b_c.D", "a".repeat(128));
  }

  static Stream<String> badTags() {
    return Stream.of("", ".x", "-x", "a/b", "a:b", "a b", "é", "x".repeat(129));
  }

  static Stream<String> badDigests() {
    return Stream.of(
        "",
        "sha256",
        "sha256:",
        ":" + HEX64,
        "sha256:" + "A".repeat(64),
        "md5:" + HEX64,
        "sha256:" + "g".repeat(64),
        "sha256:" + "a".repeat(63),
        "sha256:" + "a".repeat(65),
        "sha512:" + HEX64,
        "blake3:" + "a".repeat(128),
        "sha256:../../etc",
        "SHA256:" + HEX64,
        "sha256:" + HEX64 + "\n");
  }

  @ParameterizedTest
  @MethodSource("goodTags")
  void tagsAccepted(String tag) {
    assertThat(Tag.parse(tag).value()).isEqualTo(tag);
  }

  @ParameterizedTest
  @MethodSource("badTags")
  void tagsRefused(String tag) {
    assertThatThrownBy(() -> Tag.parse(tag))
        .isInstanceOfSatisfying(
            RegistryException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.MANIFEST_INVALID));
  }

  @Test
  void digestsAccepted() {
    assertThat(Digest.parse("sha256:" + HEX64).hex()).isEqualTo(HEX64);
    assertThat(Digest.parse("sha512:" + "0".repeat(128)).algorithm())
        .isEqualTo(DigestAlgorithm.SHA512);
    assertThat(Digest.parse("sha256:" + HEX64).toString()).isEqualTo("sha256:" + HEX64);
    assertThat(Digest.parse("blake3:" + HEX64).algorithm()).isEqualTo(DigestAlgorithm.BLAKE3);
  }

  /** BLAKE3's published test vectors (256-bit output, the length image-spec mandates). */
  @Test
  void blake3HashesAsTheReferenceImplementationDoes() {
    assertThat(Digest.compute(DigestAlgorithm.BLAKE3, new byte[0]).toString())
        .isEqualTo("blake3:af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
    assertThat(
            Digest.compute(DigestAlgorithm.BLAKE3, "abc".getBytes(StandardCharsets.US_ASCII))
                .toString())
        .isEqualTo("blake3:6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85");
    // Fed in pieces, as an upload is: the same answer.
    byte[] data = new byte[5000];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i % 251);
    }
    var hasher = DigestAlgorithm.BLAKE3.newMessageDigest();
    hasher.update(data, 0, 1023);
    hasher.update(data, 1023, data.length - 1023);
    assertThat(Digest.of(DigestAlgorithm.BLAKE3, hasher.digest()))
        .isEqualTo(Digest.compute(DigestAlgorithm.BLAKE3, data));
  }

  @ParameterizedTest
  @MethodSource("badDigests")
  void digestsRefused(String wire) {
    assertThatThrownBy(() -> Digest.parse(wire))
        .isInstanceOfSatisfying(
            RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_INVALID));
  }

  @Test
  void referencesAreTagsOrDigests() {
    assertThat(Reference.parse("latest")).isInstanceOf(Tag.class);
    assertThat(Reference.parse("sha256:" + HEX64)).isInstanceOf(Digest.class);
    assertThatThrownBy(() -> Reference.parse("sha256:short")).isInstanceOf(RegistryException.class);
    assertThatThrownBy(() -> Reference.parse("")).isInstanceOf(RegistryException.class);
  }

  @Test
  void byteRangesStayInsideTheObject() {
    assertThat(new ByteRange(0, 9).length()).isEqualTo(10);
    assertThat(new ByteRange(5, 9).fitsIn(10)).isTrue();
    assertThat(new ByteRange(5, 10).fitsIn(10)).isFalse();
    assertThatThrownBy(() -> new ByteRange(5, 4)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ByteRange(-1, 4)).isInstanceOf(IllegalArgumentException.class);
  }

  /** The encoded form's check agrees with the regex of descriptor.md on strings near its edges. */
  @Test
  void encodedFormsAreExactlyTheSpecsGrammar() {
    Random random = new Random(19);
    String alphabet = "0123456789abcdefABCDEFgz:-";
    for (DigestAlgorithm algorithm : DigestAlgorithm.values()) {
      Pattern grammar = Pattern.compile("[a-f0-9]{" + algorithm.hexLength() + "}");
      for (int n = 0; n < 20_000; n++) {
        int length = algorithm.hexLength() + random.nextInt(5) - 2;
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < length; i++) {
          // Mostly valid characters, so that near-misses (one bad character, one too many) occur.
          hex.append(
              random.nextInt(40) == 0
                  ? alphabet.charAt(random.nextInt(alphabet.length()))
                  : alphabet.charAt(random.nextInt(16)));
        }
        String candidate = hex.toString();
        assertThat(algorithm.accepts(candidate))
            .as("%s %s", algorithm, candidate)
            .isEqualTo(grammar.matcher(candidate).matches());
      }
    }
  }
}
