package dev.lading.conformance;

import static dev.lading.conformance.Checks.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code PUT /v2/<name>/manifests/<digest>?tag=a&tag=b} (distribution-spec main, pushing a manifest
 * with tags): every tag set, one {@code OCI-Tag} per tag, nothing written when one tag is bad; and
 * a sha512 manifest keeps its sha512 digest when later pushed by tag, as the spec's own suite does
 * with {@code OCI_VERSION=dev} ({@code tag-param-sha512}).
 */
class TagParamsIT {
  @RegisterExtension static final RegistryProcess registry = RegistryProcess.create();

  static RegistryClient client;

  @BeforeAll
  static void connect() {
    client = registry.client();
  }

  private static String sha512(byte[] bytes) throws Exception {
    return "sha512:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-512").digest(bytes));
  }

  private static void assertTagPoints(String repo, String tag, Manifest m, String digest) {
    Reply get = client.getManifest(repo, tag, RegistryClient.acceptAll());
    assertThat(get.status()).as("%s", get).isEqualTo(200);
    assertThat(get.body()).isEqualTo(m.bytes());
    assertThat(get.headerOrNull("Docker-Content-Digest")).isEqualTo(digest);
  }

  @Test
  void everyTagIsSetAndConfirmedOncePerTag() {
    String repo = Checks.uniqueRepo("tagparams");
    Images image = Images.generate(1, 256);
    image.pushBlobs(client, repo);
    Manifest m = image.manifest();
    Reply put =
        client.putManifest(
            repo, m.digest() + "?tag=v1&tag=v1.2&tag=latest&tag=v1", m.mediaType(), m.bytes());
    assertThat(put.status()).as("%s", put).isEqualTo(201);
    assertThat(put.headerOrNull("Docker-Content-Digest")).isEqualTo(m.digest());
    assertThat(put.headers().allValues("OCI-Tag")).containsExactly("v1", "v1.2", "latest");
    for (String tag : List.of("v1", "v1.2", "latest")) {
      assertTagPoints(repo, tag, m, m.digest());
    }
    assertThat(RegistryClient.strings(client.listTags(repo), "tags"))
        .containsExactly("latest", "v1", "v1.2");
  }

  @Test
  void oneBadTagRefusesThePushAndWritesNothing() {
    String repo = Checks.uniqueRepo("tagparams");
    Images image = Images.generate(1, 256);
    image.pushBlobs(client, repo);
    Manifest m = image.manifest();
    Reply put =
        client.putManifest(
            repo, m.digest() + "?tag=good&tag=.bad&tag=other", m.mediaType(), m.bytes());
    assertError(put, 400, "MANIFEST_INVALID");
    assertThat(put.header("OCI-Tag")).isEmpty();
    assertThat(client.headManifest(repo, m.digest(), RegistryClient.acceptAll()).status())
        .isEqualTo(404);
    assertThat(client.headManifest(repo, "good", RegistryClient.acceptAll()).status())
        .isEqualTo(404);
    Reply empty = client.putManifest(repo, m.digest() + "?tag=", m.mediaType(), m.bytes());
    assertError(empty, 400, "MANIFEST_INVALID");
  }

  @Test
  void aTagMovedByTheQueryKeepsTheOthersInPlaceWhenRefused() {
    String repo = Checks.uniqueRepo("tagparams");
    Images first = Images.pushed(client, repo, "stable");
    Images second = Images.generate(1, 256);
    second.pushBlobs(client, repo);
    Manifest m = second.manifest();
    Reply refused =
        client.putManifest(
            repo, m.digest() + "?tag=stable&tag=" + "x".repeat(129), m.mediaType(), m.bytes());
    assertError(refused, 400, "MANIFEST_INVALID");
    assertTagPoints(repo, "stable", first.manifest(), first.manifest().digest());
    Reply moved = client.putManifest(repo, m.digest() + "?tag=stable", m.mediaType(), m.bytes());
    assertThat(moved.status()).as("%s", moved).isEqualTo(201);
    assertThat(moved.headers().allValues("OCI-Tag")).containsExactly("stable");
    assertTagPoints(repo, "stable", m, m.digest());
  }

  @Test
  void tagParametersOnAPushByTagAreRefused() {
    String repo = Checks.uniqueRepo("tagparams");
    Images image = Images.generate(1, 256);
    image.pushBlobs(client, repo);
    Manifest m = image.manifest();
    Reply put = client.putManifest(repo, "v1?tag=v2", m.mediaType(), m.bytes());
    assertError(put, 400, "MANIFEST_INVALID");
    assertThat(client.headManifest(repo, "v1", RegistryClient.acceptAll()).status()).isEqualTo(404);
    assertThat(client.headManifest(repo, "v2", RegistryClient.acceptAll()).status()).isEqualTo(404);
  }

  @Test
  void aSha512ManifestKeepsItsDigestUnderTagParamsAndALaterPushByTag() throws Exception {
    String repo = Checks.uniqueRepo("tagparams");
    Images image = Images.generate(1, 256);
    image.pushBlobs(client, repo);
    Manifest m = image.manifest();
    String d512 = sha512(m.bytes());
    Reply put =
        client.putManifest(repo, d512 + "?tag=tag-param-sha512-0", m.mediaType(), m.bytes());
    assertThat(put.status()).as("%s", put).isEqualTo(201);
    assertThat(put.headerOrNull("Docker-Content-Digest")).isEqualTo(d512);
    assertThat(put.headers().allValues("OCI-Tag")).containsExactly("tag-param-sha512-0");
    assertTagPoints(repo, "tag-param-sha512-0", m, d512);
    // The suite's fallback when a registry does not confirm a tag: the same bytes by tag. The
    // repository links them under sha512 only, so the answer keeps the client's algorithm.
    Reply byTag = client.putManifest(repo, "tag-param-sha512", m.mediaType(), m.bytes());
    assertThat(byTag.status()).as("%s", byTag).isEqualTo(201);
    assertThat(byTag.headerOrNull("Docker-Content-Digest")).isEqualTo(d512);
    assertTagPoints(repo, "tag-param-sha512", m, d512);
    Reply head = client.headManifest(repo, "tag-param-sha512", RegistryClient.acceptAll());
    assertThat(head.headerOrNull("Docker-Content-Digest")).isEqualTo(d512);
    // A manifest new to the repository pushed by tag stays sha256.
    Images other = Images.generate(1, 256);
    other.pushBlobs(client, repo);
    Reply fresh =
        client.putManifest(repo, "fresh", other.manifest().mediaType(), other.manifest().bytes());
    assertThat(fresh.headerOrNull("Docker-Content-Digest")).isEqualTo(other.manifest().digest());
  }
}
