package dev.lading.core.manifest;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.model.Digest;
import dev.lading.core.model.MediaTypes;
import dev.lading.core.model.Tag;
import java.util.Random;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ManifestParserTest {
  private static final Digest A = Digest.sha256("a".getBytes(UTF_8));
  private static final Digest EMPTY = Digest.sha256("{}".getBytes(UTF_8));

  private static String d(String mediaType, Digest digest, long size) {
    return "{\"mediaType\":\""
        + mediaType
        + "\",\"digest\":\""
        + digest
        + "\",\"size\":"
        + size
        + "}";
  }

  private static String image(String config, String layers) {
    return "{\"schemaVersion\":2,\"config\":" + config + ",\"layers\":[" + layers + "]}";
  }

  static Stream<String> invalidImageManifests() {
    String good = d("application/x.c", A, 1);
    return Stream.of(
        image("{\"digest\":\"" + A + "\",\"size\":1}", ""), // no mediaType
        image(d("application/x.c", A, -1), ""), // negative size
        image("{\"mediaType\":\"application/x.c\",\"digest\":\"sha256:abc\",\"size\":1}", ""),
        image("{\"mediaType\":\"no-slash\",\"digest\":\"" + A + "\",\"size\":1}", ""),
        image("{\"mediaType\":\"application/x.c\",\"digest\":\"" + A + "\",\"size\":\"1\"}", ""),
        image(good, "\"not a descriptor\""),
        image(
            "{\"mediaType\":\"application/x.c\",\"digest\":\""
                + A
                + "\",\"size\":1,\"data\":\"e30=\"}",
            ""),
        image(
            "{\"mediaType\":\"application/x.c\",\"digest\":\""
                + A
                + "\",\"size\":1,\"urls\":\"x\"}",
            ""),
        "{\"schemaVersion\":2,\"config\":" + good + "}", // no layers
        "{\"schemaVersion\":2,\"config\":" + good + ",\"layers\":[],\"annotations\":{\"a\":1}}",
        "{\"schemaVersion\":2,\"config\":" + good + ",\"layers\":[],\"manifests\":[]}",
        "{\"schemaVersion\":\"2\",\"config\":" + good + ",\"layers\":[]}",
        "{\"schemaVersion\":2,\"config\":" + good + ",\"layers\":[]} trailing",
        "{\"schemaVersion\":2,\"config\":" + good + ",\"layers\":[],\"subject\":null}");
  }

  @ParameterizedTest
  @MethodSource("invalidImageManifests")
  void invalidImageManifestsAreRefused(String body) {
    assertThatThrownBy(() -> ManifestParser.parse(MediaTypes.OCI_MANIFEST, body.getBytes(UTF_8)))
        .isInstanceOfSatisfying(
            RegistryException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.MANIFEST_INVALID));
  }

  @Test
  void theOwnMediaTypeIsTheTopLevelOneOnly() {
    String config = d("application/vnd.oci.image.config.v1+json", EMPTY, 2);
    assertThat(
            ManifestParser.ownMediaType(
                ("{\"schemaVersion\":2,\"config\":"
                        + config
                        + ",\"layers\":[],\"annotations\":{\"mediaType\":\"x/y\"},"
                        + "\"mediaType\":\""
                        + MediaTypes.OCI_MANIFEST
                        + "\"}")
                    .getBytes(UTF_8)))
        .as("after nested objects that have a field of that name")
        .hasValue(MediaTypes.OCI_MANIFEST);
    assertThat(ManifestParser.ownMediaType(image(config, "").getBytes(UTF_8)))
        .as("only nested ones")
        .isEmpty();
    assertThat(ManifestParser.ownMediaType("{\"mediaType\":7}".getBytes(UTF_8))).isEmpty();
    assertThat(ManifestParser.ownMediaType("[\"mediaType\"]".getBytes(UTF_8))).isEmpty();
    assertThat(ManifestParser.ownMediaType("{\"mediaType\":".getBytes(UTF_8))).isEmpty();
  }

  @Test
  void artifactManifestWithEmptyConfigAndEmbeddedData() {
    String body =
        "{\"schemaVersion\":2,\"mediaType\":\""
            + MediaTypes.OCI_MANIFEST
            + "\","
            + "\"artifactType\":\"application/vnd.example+type\","
            + "\"config\":{\"mediaType\":\""
            + MediaTypes.OCI_EMPTY
            + "\",\"digest\":\""
            + EMPTY
            + "\",\"size\":2,\"data\":\"e30=\"},"
            + "\"layers\":[{\"mediaType\":\"application/x.gguf\",\"digest\":\""
            + A
            + "\",\"size\":1,"
            + "\"annotations\":{\"org.opencontainers.image.title\":\"model.gguf\"}}],"
            + "\"subject\":"
            + d(MediaTypes.OCI_MANIFEST, A, 10)
            + ","
            + "\"annotations\":{\"k\":\"v\"}}";
    ParsedManifest parsed = ManifestParser.parse(MediaTypes.OCI_MANIFEST, body.getBytes(UTF_8));
    assertThat(parsed.effectiveArtifactType()).hasValue("application/vnd.example+type");
    assertThat(parsed.subject()).hasValueSatisfying(s -> assertThat(s.digest()).isEqualTo(A));
    assertThat(parsed.layers().getFirst().annotations())
        .containsEntry("org.opencontainers.image.title", "model.gguf");
    assertThat(parsed.annotations()).containsEntry("k", "v");
  }

  @Test
  void effectiveArtifactTypeFallsBackToTheConfigMediaType() {
    ParsedManifest parsed =
        ManifestParser.parse(
            MediaTypes.OCI_MANIFEST, image(d("application/x.sig", A, 1), "").getBytes(UTF_8));
    assertThat(parsed.effectiveArtifactType()).hasValue("application/x.sig");
  }

  @Test
  void contentTypeIsUsedWhenTheBodyHasNoMediaTypeAndBodyMediaTypeWhenNoContentType() {
    byte[] body = image(d("application/x.c", A, 1), "").getBytes(UTF_8);
    assertThat(ManifestParser.parse(MediaTypes.DOCKER_MANIFEST, body).mediaType())
        .isEqualTo(MediaTypes.DOCKER_MANIFEST);
    byte[] withType =
        ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[]}")
            .getBytes(UTF_8);
    assertThat(ManifestParser.parse(null, withType).isIndex()).isTrue();
    assertThatThrownBy(() -> ManifestParser.parse(null, body))
        .isInstanceOf(RegistryException.class);
  }

  @Test
  void onlyForeignLayersWithUrlsAreNotRequiredInTheRepository() {
    Digest absent = Digest.sha256("absent".getBytes(UTF_8));
    String foreignWithUrls =
        "{\"mediaType\":\"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip\","
            + "\"digest\":\""
            + absent
            + "\",\"size\":6,\"urls\":[\"https://example.com/l\"]}";
    String foreignWithoutUrls =
        d("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", absent, 6);
    ManifestValidator validator = new ManifestValidator(1 << 20);
    byte[] withUrls = image(d("application/x.c", A, 1), foreignWithUrls).getBytes(UTF_8);
    assertThat(
            validator
                .validate(Tag.parse("t"), MediaTypes.OCI_MANIFEST, withUrls)
                .manifest()
                .requiredBlobs())
        .containsExactly(A);
    byte[] withoutUrls = image(d("application/x.c", A, 1), foreignWithoutUrls).getBytes(UTF_8);
    assertThat(
            validator
                .validate(Tag.parse("t"), MediaTypes.OCI_MANIFEST, withoutUrls)
                .manifest()
                .requiredBlobs())
        .containsExactly(A, absent);
  }

  /**
   * The media type check agrees with RFC 6838's restricted names as image-spec's schema writes them
   * (a regex), on random strings near its edges: lengths 0, 1, 127 and 128 on either side of the
   * slash, allowed and refused characters, a missing or second slash.
   */
  @Test
  void mediaTypesAreExactlyTheRfcGrammar() {
    Pattern grammar =
        Pattern.compile(
            "[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}");
    Random random = new Random(6838);
    String allowed = "aZ09!#$&^_.+-";
    String refused = "/ ;=\"()*é\t";
    int[] lengths = {0, 1, 2, 126, 127, 128};
    for (int n = 0; n < 50_000; n++) {
      StringBuilder value = new StringBuilder();
      int parts = random.nextInt(8) == 0 ? 1 + random.nextInt(3) : 2;
      for (int part = 0; part < parts; part++) {
        if (part > 0) {
          value.append('/');
        }
        int length = lengths[random.nextInt(lengths.length)];
        for (int i = 0; i < length; i++) {
          value.append(
              random.nextInt(60) == 0
                  ? refused.charAt(random.nextInt(refused.length()))
                  : allowed.charAt(random.nextInt(allowed.length())));
        }
      }
      String candidate = value.toString();
      assertThat(ManifestParser.isMediaType(candidate))
          .as(candidate)
          .isEqualTo(grammar.matcher(candidate).matches());
    }
  }
}
