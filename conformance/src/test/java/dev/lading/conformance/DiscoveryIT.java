package dev.lading.conformance;

import static dev.lading.conformance.Checks.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Content discovery: tag lists, the catalog, and the referrers API. */
class DiscoveryIT {
  @RegisterExtension static final RegistryProcess registry = RegistryProcess.create();

  private static final Pattern NEXT_LINK = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");
  private static final String TYPE_SIGNATURE = "application/vnd.example.signature.v1";
  private static final String TYPE_SBOM = "application/spdx+json";
  private static final String ANNOTATION = "org.example.purpose";

  static RegistryClient client;
  static String tagRepo;
  static final List<String> TAGS =
      List.of("latest", "v1.0", "v1.10", "v1.2", "A-upper", "_underscore", "0", "zz", "b", "a");

  @BeforeAll
  static void pushTags() {
    client = registry.client();
    tagRepo = Checks.uniqueRepo("tags");
    Images image = Images.generate(1, 100);
    image.pushBlobs(client, tagRepo);
    for (String tag : TAGS) {
      client.pushManifest(tagRepo, tag, image.manifest());
    }
  }

  private static List<String> lexical(List<String> values) {
    return values.stream().sorted().toList();
  }

  private static Optional<String> nextLink(Reply reply) {
    return reply
        .header("Link")
        .map(
            link -> {
              Matcher m = NEXT_LINK.matcher(link);
              assertThat(m.find()).as("Link header %s has rel=next", link).isTrue();
              return m.group(1);
            });
  }

  // ---- tags ---------------------------------------------------------------------------------

  @Test
  void tagListAnswersEveryTagInLexicalOrder() {
    Reply reply = client.listTags(tagRepo);
    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
    assertThat(reply.headerOrNull("Content-Type")).startsWith("application/json");
    assertThat(reply.json().path("name").asText()).isEqualTo(tagRepo);
    assertThat(RegistryClient.strings(reply, "tags")).containsExactlyElementsOf(lexical(TAGS));
    assertThat(reply.header("Link")).isEmpty();
  }

  @Test
  void tagListIsLimitedByNAndLinksToTheNextPage() {
    List<String> all = lexical(TAGS);
    Reply first = client.listTags(tagRepo, "n", "3");
    assertThat(first.status()).isEqualTo(200);
    assertThat(RegistryClient.strings(first, "tags")).containsExactlyElementsOf(all.subList(0, 3));
    assertThat(nextLink(first)).as("Link of %s", first).isPresent();
  }

  @Test
  void followingLinksWalksEveryTagOnce() {
    List<String> seen = new ArrayList<>();
    Optional<String> next = Optional.of("/v2/" + tagRepo + "/tags/list?n=4");
    int pages = 0;
    while (next.isPresent()) {
      assertThat(++pages).as("pages").isLessThanOrEqualTo(TAGS.size());
      Reply page = client.get(next.get());
      assertThat(page.status()).as("%s", page).isEqualTo(200);
      List<String> tags = RegistryClient.strings(page, "tags");
      assertThat(tags).hasSizeLessThanOrEqualTo(4);
      seen.addAll(tags);
      next = nextLink(page);
    }
    assertThat(seen).containsExactlyElementsOf(lexical(TAGS));
    assertThat(pages).isEqualTo(3);
  }

  @Test
  void tagListStartsAfterLast() {
    List<String> all = lexical(TAGS);
    Reply reply = client.listTags(tagRepo, "last", "latest");
    assertThat(reply.status()).isEqualTo(200);
    assertThat(RegistryClient.strings(reply, "tags"))
        .containsExactlyElementsOf(all.subList(all.indexOf("latest") + 1, all.size()));
  }

  @Test
  void tagListWithNAndLastAnswersThatWindow() {
    List<String> all = lexical(TAGS);
    Reply reply = client.listTags(tagRepo, "n", "2", "last", all.get(1));
    assertThat(reply.status()).isEqualTo(200);
    assertThat(RegistryClient.strings(reply, "tags")).containsExactlyElementsOf(all.subList(2, 4));
  }

  @Test
  void tagListAfterTheLastTagIsEmpty() {
    List<String> all = lexical(TAGS);
    Reply reply = client.listTags(tagRepo, "last", all.get(all.size() - 1));
    assertThat(reply.status()).isEqualTo(200);
    assertThat(RegistryClient.strings(reply, "tags")).isEmpty();
    assertThat(reply.header("Link")).isEmpty();
  }

  @Test
  void tagListOfAnUnknownRepositoryAnswersNameUnknown() {
    assertError(client.listTags(Checks.uniqueRepo("nothing")), 404, "NAME_UNKNOWN");
  }

  // ---- catalog ------------------------------------------------------------------------------

  @Test
  void catalogListsRepositoriesInLexicalOrderWithPages() {
    List<String> mine = new ArrayList<>();
    for (String suffix : List.of("c", "a", "b/nested", "b")) {
      String repo = "catalog/" + suffix;
      client.pushBlob(repo, Blob.random(10));
      Images.pushed(client, repo, "t");
      mine.add(repo);
    }
    Reply whole = client.catalog();
    assertThat(whole.status()).as("%s", whole).isEqualTo(200);
    List<String> repositories = RegistryClient.strings(whole, "repositories");
    assertThat(repositories).isSorted().containsAll(mine);

    List<String> walked = new ArrayList<>();
    Optional<String> next = Optional.of("/v2/_catalog?n=2");
    int pages = 0;
    while (next.isPresent()) {
      assertThat(++pages).isLessThanOrEqualTo(repositories.size() + 1);
      Reply page = client.get(next.get());
      assertThat(page.status()).as("%s", page).isEqualTo(200);
      List<String> names = RegistryClient.strings(page, "repositories");
      assertThat(names).hasSizeLessThanOrEqualTo(2);
      walked.addAll(names);
      next = nextLink(page);
    }
    assertThat(walked).containsExactlyElementsOf(repositories);

    Reply afterA = client.catalog("last", "catalog/a");
    assertThat(RegistryClient.strings(afterA, "repositories"))
        .containsExactlyElementsOf(
            repositories.subList(repositories.indexOf("catalog/a") + 1, repositories.size()));
  }

  // ---- referrers ----------------------------------------------------------------------------

  /** Pushes an artifact manifest referring to {@code subject}; answers it. */
  private static Manifest pushReferrer(
      String repo, Manifest subject, String artifactType, String configMediaType, String purpose) {
    Blob payload = Blob.random(128);
    client.pushBlob(repo, payload);
    Manifest.Builder b = Manifest.oci();
    if (artifactType != null) {
      b.artifactType(artifactType);
      client.pushBlob(repo, Blob.EMPTY_JSON);
      b.config(Blob.EMPTY_JSON.descriptor(MediaType.OCI_EMPTY));
    } else {
      Blob config = Blob.random(32);
      client.pushBlob(repo, config);
      b.config(config.descriptor(configMediaType));
    }
    Manifest m =
        b.add(payload.descriptor("application/octet-stream"))
            .subject(subject.descriptor())
            .annotation(ANNOTATION, purpose)
            .build();
    Reply put = client.pushManifest(repo, m.digest(), m);
    assertThat(put.headerOrNull("OCI-Subject")).isEqualTo(subject.digest());
    return m;
  }

  private static Map<String, JsonNode> referrersByDigest(Reply reply) {
    assertThat(reply.status()).as("%s", reply).isEqualTo(200);
    assertThat(reply.headerOrNull("Content-Type")).isEqualTo(MediaType.OCI_INDEX);
    JsonNode index = reply.json();
    assertThat(index.path("schemaVersion").asInt()).isEqualTo(2);
    assertThat(index.path("mediaType").asText()).isEqualTo(MediaType.OCI_INDEX);
    assertThat(index.path("manifests").isArray()).as("manifests is an array: %s", reply).isTrue();
    Map<String, JsonNode> byDigest = new TreeMap<>();
    index.path("manifests").forEach(d -> byDigest.put(d.path("digest").asText(), d));
    assertThat(byDigest).as("no duplicates in %s", reply).hasSize(index.path("manifests").size());
    return byDigest;
  }

  private static void assertDescribes(
      JsonNode descriptor, Manifest m, String artifactType, String purpose) {
    assertThat(descriptor.path("mediaType").asText()).isEqualTo(m.mediaType());
    assertThat(descriptor.path("size").asLong()).isEqualTo(m.bytes().length);
    assertThat(descriptor.path("artifactType").asText()).isEqualTo(artifactType);
    assertThat(descriptor.path("annotations").path(ANNOTATION).asText()).isEqualTo(purpose);
  }

  @Test
  void referrersListEveryManifestWithThatSubject() {
    String repo = Checks.uniqueRepo("referrers");
    Images subject = Images.pushed(client, repo, "app");
    Manifest sig = pushReferrer(repo, subject.manifest(), TYPE_SIGNATURE, null, "sig");
    Manifest sbom = pushReferrer(repo, subject.manifest(), TYPE_SBOM, null, "sbom");
    // No artifactType: the config's media type stands for it.
    Manifest legacy = pushReferrer(repo, subject.manifest(), null, TYPE_SIGNATURE, "legacy");
    // An index can refer too.
    Manifest index =
        Manifest.ociIndex()
            .artifactType(TYPE_SBOM)
            .add(subject.manifest().descriptor())
            .subject(subject.manifest().descriptor())
            .annotation(ANNOTATION, "index")
            .build();
    Reply put = client.pushManifest(repo, index.digest(), index);
    assertThat(put.headerOrNull("OCI-Subject")).isEqualTo(subject.manifest().digest());
    Images.pushed(client, repo, "unrelated");

    Map<String, JsonNode> found =
        referrersByDigest(client.referrers(repo, subject.manifest().digest()));
    assertThat(found.keySet())
        .containsExactlyInAnyOrder(sig.digest(), sbom.digest(), legacy.digest(), index.digest());
    assertDescribes(found.get(sig.digest()), sig, TYPE_SIGNATURE, "sig");
    assertDescribes(found.get(sbom.digest()), sbom, TYPE_SBOM, "sbom");
    assertDescribes(found.get(legacy.digest()), legacy, TYPE_SIGNATURE, "legacy");
    assertDescribes(found.get(index.digest()), index, TYPE_SBOM, "index");
  }

  @Test
  void artifactTypeFilterAnswersOnlyThatTypeAndSaysSo() {
    String repo = Checks.uniqueRepo("referrers");
    Images subject = Images.pushed(client, repo, "app");
    Manifest sig = pushReferrer(repo, subject.manifest(), TYPE_SIGNATURE, null, "sig");
    pushReferrer(repo, subject.manifest(), TYPE_SBOM, null, "sbom");
    Manifest legacy = pushReferrer(repo, subject.manifest(), null, TYPE_SIGNATURE, "legacy");

    Reply reply =
        client.referrers(repo, subject.manifest().digest(), "artifactType", TYPE_SIGNATURE);
    assertThat(reply.headerOrNull("OCI-Filters-Applied")).isEqualTo("artifactType");
    assertThat(referrersByDigest(reply).keySet())
        .containsExactlyInAnyOrder(sig.digest(), legacy.digest());

    Reply none =
        client.referrers(repo, subject.manifest().digest(), "artifactType", "application/x-none");
    assertThat(none.headerOrNull("OCI-Filters-Applied")).isEqualTo("artifactType");
    assertThat(referrersByDigest(none)).isEmpty();
  }

  @Test
  void subjectWithoutReferrersAnswersAnEmptyIndex() {
    String repo = Checks.uniqueRepo("referrers");
    Images subject = Images.pushed(client, repo, "app");
    assertThat(referrersByDigest(client.referrers(repo, subject.manifest().digest()))).isEmpty();
    // A digest nothing refers to, not even a pushed manifest.
    assertThat(referrersByDigest(client.referrers(repo, Blob.unknownDigest()))).isEmpty();
  }

  @Test
  void referrersOfASubjectNotPushedYetAreListed() {
    String repo = Checks.uniqueRepo("referrers");
    Images.pushed(client, repo, "app");
    Manifest absent = Images.generate(1, 10).manifest();
    Manifest sig = pushReferrer(repo, absent, TYPE_SIGNATURE, null, "early");
    assertThat(referrersByDigest(client.referrers(repo, absent.digest())).keySet())
        .containsExactly(sig.digest());
  }

  @Test
  void deletedReferrerLeavesTheList() {
    String repo = Checks.uniqueRepo("referrers");
    Images subject = Images.pushed(client, repo, "app");
    Manifest keep = pushReferrer(repo, subject.manifest(), TYPE_SIGNATURE, null, "keep");
    Manifest gone = pushReferrer(repo, subject.manifest(), TYPE_SIGNATURE, null, "gone");
    assertThat(client.deleteManifest(repo, gone.digest()).status()).isEqualTo(202);
    assertThat(referrersByDigest(client.referrers(repo, subject.manifest().digest())).keySet())
        .containsExactly(keep.digest());
    Reply filtered =
        client.referrers(repo, subject.manifest().digest(), "artifactType", TYPE_SIGNATURE);
    assertThat(referrersByDigest(filtered).keySet()).containsExactly(keep.digest());
  }

  @Test
  void referrersInAnotherRepositoryAreNotListed() {
    String repo = Checks.uniqueRepo("referrers");
    String other = Checks.uniqueRepo("referrers-other");
    Images subject = Images.pushed(client, repo, "app");
    pushReferrer(other, subject.manifest(), TYPE_SIGNATURE, null, "elsewhere");
    assertThat(referrersByDigest(client.referrers(repo, subject.manifest().digest()))).isEmpty();
  }
}
