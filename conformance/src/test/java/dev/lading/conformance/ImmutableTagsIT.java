package dev.lading.conformance;

import static dev.lading.conformance.Checks.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Immutable tags over real sockets, with token auth, on the store the run selects (the filesystem,
 * and S3Proxy in the {@code on-s3} execution): {@code policies.immutable_tags} makes {@code v*}
 * tags under {@code ml/**} immutable; {@code admin} may override, {@code dev} (who may push and
 * delete everywhere too) may not.
 */
class ImmutableTagsIT {
  private static final String RULE = "policies.immutable_tags[0]: ml/** v*";
  private static final TokenAuth AUTH =
      TokenAuth.users("admin", "dev")
          .allow("admin", "**", "pull", "push", "delete")
          .allow("dev", "**", "pull", "push", "delete");

  @RegisterExtension
  static final RegistryProcess registry =
      AUTH.on(RegistryProcess.create())
          .withEnvironment(
              "LADING_POLICIES_IMMUTABLE_TAGS",
              "[{\"repositories\":[\"ml/**\"],\"tags\":[\"v*\"]}]")
          .withEnvironment("LADING_POLICIES_IMMUTABLE_TAGS_OVERRIDE", "[\"admin\"]");

  private static RegistryClient client;

  @BeforeAll
  static void connect() {
    client = registry.client();
  }

  private static String repo(String under) {
    byte[] suffix = new byte[4];
    ThreadLocalRandom.current().nextBytes(suffix);
    return under + "/app-" + java.util.HexFormat.of().formatHex(suffix);
  }

  private static String[] as(String user, String repo, String... more) {
    List<String> h =
        new ArrayList<>(
            List.of(
                "Authorization",
                AUTH.bearer(registry, user, TokenAuth.scope(repo, "pull,push,delete"))));
    h.addAll(List.of(more));
    return h.toArray(String[]::new);
  }

  private static final String[] OVERRIDE = {"Lading-Override-Immutable", "true"};

  private static Images image(String user, String repo) {
    Images image = Images.generate(1, 512);
    List<Blob> blobs = new ArrayList<>(image.layers());
    blobs.add(image.config());
    for (Blob b : blobs) {
      Reply r =
          client.send(
              "POST",
              "/v2/" + repo + "/blobs/uploads/?digest=" + b.digest(),
              b.bytes(),
              as(user, repo, "Content-Type", RegistryClient.OCTET_STREAM));
      assertThat(r.status()).as("%s", r).isEqualTo(201);
    }
    return image;
  }

  private static Reply put(String user, String repo, String reference, Manifest m, String... more) {
    return client.send(
        "PUT",
        "/v2/" + repo + "/manifests/" + reference,
        m.bytes(),
        as(user, repo, concat(new String[] {"Content-Type", m.mediaType()}, more)));
  }

  private static Reply delete(String user, String repo, String reference, String... more) {
    return client.delete("/v2/" + repo + "/manifests/" + reference, as(user, repo, more));
  }

  private static String[] concat(String[] a, String[] b) {
    List<String> out = new ArrayList<>(List.of(a));
    out.addAll(List.of(b));
    return out.toArray(String[]::new);
  }

  /** The digest {@code reference} names now, or null when it names nothing. */
  private static String digestOf(String repo, String reference) {
    Reply r =
        client.head(
            "/v2/" + repo + "/manifests/" + reference, as("dev", repo, RegistryClient.acceptAll()));
    return r.status() == 200 ? r.headerOrNull("Docker-Content-Digest") : null;
  }

  private static List<String> tags(String repo) {
    return RegistryClient.strings(
        client.get("/v2/" + repo + "/tags/list", as("dev", repo)), "tags");
  }

  private static void assertDenied(Reply r, String tag, String repo) {
    assertError(r, 403, "DENIED");
    assertThat(r.json().path("errors").get(0).path("message").asText())
        .contains("tag " + tag + " of " + repo + " is immutable (" + RULE + ")");
  }

  /** Waits for an audit line holding every part (the log is written by a background thread). */
  private static String awaitLogLine(String... parts) throws Exception {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
    while (true) {
      for (String line : Files.readAllLines(registry.logFile())) {
        if (List.of(parts).stream().allMatch(line::contains)) {
          return line;
        }
      }
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("no log line with " + List.of(parts));
      }
      Thread.sleep(50);
    }
  }

  @Test
  void aPushThatWouldMoveAnImmutableTagIsRefusedAndChangesNothing() throws Exception {
    String repo = repo("ml");
    Images first = image("dev", repo);
    assertThat(put("dev", repo, "v1", first.manifest()).status()).isEqualTo(201);
    Images second = image("dev", repo);
    Reply moved = put("dev", repo, "v1", second.manifest());
    assertDenied(moved, "v1", repo);
    assertThat(digestOf(repo, "v1")).isEqualTo(first.manifest().digest());
    assertThat(digestOf(repo, second.manifest().digest())).as("nothing written").isNull();
    assertThat(tags(repo)).containsExactly("v1");
    awaitLogLine(
        "action=immutable-refused",
        "who=dev",
        "repository=" + repo,
        "tag=v1",
        "digest=" + second.manifest().digest(),
        "previous=" + first.manifest().digest(),
        "rule=\"" + RULE + "\"");
  }

  @Test
  void oneImmutableTagParameterRefusesThePushWhole() {
    String repo = repo("ml");
    Images first = image("dev", repo);
    assertThat(put("dev", repo, "v1", first.manifest()).status()).isEqualTo(201);
    Images second = image("dev", repo);
    Manifest m = second.manifest();
    Reply r = put("dev", repo, m.digest() + "?tag=a&tag=v1", m);
    assertDenied(r, "v1", repo);
    assertThat(r.header("OCI-Tag")).isEmpty();
    assertThat(digestOf(repo, "a")).isNull();
    assertThat(digestOf(repo, m.digest())).isNull();
    assertThat(digestOf(repo, "v1")).isEqualTo(first.manifest().digest());
    assertThat(tags(repo)).containsExactly("v1");
  }

  @Test
  void deletesOfAnImmutableTagByTagOrByDigestAreRefused() {
    String repo = repo("ml/team");
    Images first = image("dev", repo);
    String digest = first.manifest().digest();
    assertThat(put("dev", repo, "v2.0", first.manifest()).status()).isEqualTo(201);
    assertDenied(delete("dev", repo, "v2.0"), "v2.0", repo);
    assertDenied(delete("dev", repo, digest), "v2.0", repo);
    assertThat(digestOf(repo, "v2.0")).isEqualTo(digest);
    assertThat(digestOf(repo, digest)).isEqualTo(digest);
  }

  @Test
  void theSameDigestMayBePushedAgain() {
    String repo = repo("ml");
    Images first = image("dev", repo);
    Manifest m = first.manifest();
    assertThat(put("dev", repo, "v1", m).status()).isEqualTo(201);
    Reply again = put("dev", repo, "v1", m);
    assertThat(again.status()).as("%s", again).isEqualTo(201);
    Reply byParam = put("dev", repo, m.digest() + "?tag=v1&tag=v1.0", m);
    assertThat(byParam.status()).as("%s", byParam).isEqualTo(201);
    assertThat(byParam.headers().allValues("OCI-Tag")).containsExactly("v1", "v1.0");
    assertThat(digestOf(repo, "v1.0")).isEqualTo(m.digest());
  }

  @Test
  void tagsNoRuleCoversMoveFreely() {
    String repo = repo("ml");
    Images first = image("dev", repo);
    Images second = image("dev", repo);
    assertThat(put("dev", repo, "latest", first.manifest()).status()).isEqualTo(201);
    assertThat(put("dev", repo, "latest", second.manifest()).status()).isEqualTo(201);
    assertThat(digestOf(repo, "latest")).isEqualTo(second.manifest().digest());
    assertThat(delete("dev", repo, "latest").status()).isEqualTo(202);
    // v* outside ml/** is not covered either.
    String outside = repo("web");
    Images a = image("dev", outside);
    Images b = image("dev", outside);
    assertThat(put("dev", outside, "v1", a.manifest()).status()).isEqualTo(201);
    assertThat(put("dev", outside, "v1", b.manifest()).status()).isEqualTo(201);
    assertThat(digestOf(outside, "v1")).isEqualTo(b.manifest().digest());
  }

  @Test
  void anAllowedAdminOverridesExplicitlyAndIsAudited() throws Exception {
    String repo = repo("ml");
    Images first = image("admin", repo);
    Images second = image("admin", repo);
    assertThat(put("admin", repo, "v3", first.manifest()).status()).isEqualTo(201);
    assertDenied(put("admin", repo, "v3", second.manifest()), "v3", repo);
    Reply moved = put("admin", repo, "v3", second.manifest(), OVERRIDE);
    assertThat(moved.status()).as("%s", moved).isEqualTo(201);
    assertThat(digestOf(repo, "v3")).isEqualTo(second.manifest().digest());
    awaitLogLine(
        "action=immutable-override",
        "who=admin",
        "repository=" + repo,
        "tag=v3",
        "digest=" + second.manifest().digest(),
        "previous=" + first.manifest().digest(),
        RULE);
    Reply deleted = delete("admin", repo, "v3", OVERRIDE);
    assertThat(deleted.status()).as("%s", deleted).isEqualTo(202);
    assertThat(digestOf(repo, "v3")).isNull();
    awaitLogLine("action=immutable-override", "who=admin", "tag=v3", "reason=\"deleted\"");
  }

  @Test
  void anOverrideAskedForBySomeoneElseIsRefused() throws Exception {
    String repo = repo("ml");
    Images first = image("dev", repo);
    Images second = image("dev", repo);
    assertThat(put("dev", repo, "v4", first.manifest()).status()).isEqualTo(201);
    Reply r = put("dev", repo, "v4", second.manifest(), OVERRIDE);
    assertError(r, 403, "DENIED");
    assertThat(r.json().path("errors").get(0).path("message").asText())
        .contains("dev may not override immutable tags");
    assertError(delete("dev", repo, "v4", OVERRIDE), 403, "DENIED");
    assertThat(digestOf(repo, "v4")).isEqualTo(first.manifest().digest());
    awaitLogLine("action=immutable-override-refused", "who=dev", "repository=" + repo);
  }

  @Test
  void concurrentCreationOfANewImmutableTagHasExactlyOneWinner() throws Exception {
    String repo = repo("ml");
    int pushers = 6;
    List<Manifest> manifests = new ArrayList<>();
    for (int i = 0; i < pushers; i++) {
      manifests.add(image("dev", repo).manifest());
    }
    ExecutorService pool = Executors.newFixedThreadPool(pushers);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Reply>> replies = new ArrayList<>();
      for (Manifest m : manifests) {
        replies.add(
            pool.submit(
                () -> {
                  go.await();
                  return put("dev", repo, "v9", m);
                }));
      }
      go.countDown();
      List<String> winners = new ArrayList<>();
      for (int i = 0; i < pushers; i++) {
        Reply r = replies.get(i).get(60, TimeUnit.SECONDS);
        if (r.status() == 201) {
          winners.add(manifests.get(i).digest());
        } else {
          assertDenied(r, "v9", repo);
        }
      }
      assertThat(winners).hasSize(1);
      assertThat(digestOf(repo, "v9")).isEqualTo(winners.getFirst());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void refusalsAreCounted() throws IOException {
    String repo = repo("ml");
    Images first = image("dev", repo);
    Images second = image("dev", repo);
    assertThat(put("dev", repo, "v5", first.manifest()).status()).isEqualTo(201);
    assertDenied(put("dev", repo, "v5", second.manifest()), "v5", repo);
    String metrics = client.get("/metrics").text();
    assertThat(metrics)
        .containsPattern("lading_immutable_tags_refused_total\\{action=\"push\"[^}]*\\} [1-9]");
  }
}
