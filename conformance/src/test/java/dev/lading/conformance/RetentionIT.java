package dev.lading.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Retention policies in the real server, over HTTP, on the filesystem store and on S3 (the on-s3
 * execution): a weekly rebuild of the same tags reclaims exactly the old builds' layers while a
 * second instance on the same store keeps pushing; per-commit CI tags keep the last five; and the
 * dry run reports exactly what the real run then does. The collector runs on the first instance,
 * triggered through {@code POST /admin/gc}; its report is read from {@code GET /admin/gc}.
 */
class RetentionIT {
  private static final String POLICIES =
      "["
          + "{\"repositories\":[\"conformance/weekly-*\"],\"untagged_for_hours\":0},"
          + "{\"repositories\":[\"conformance/ci-*\"],\"tags\":[\"ci-*\"],\"keep_last\":5,"
          + "\"untagged_for_hours\":0},"
          + "{\"repositories\":[\"conformance/pulled-*\"],\"tags\":[\"rc-*\"],\"keep_last\":1,"
          + "\"keep_pulled_within_hours\":1,\"untagged_for_hours\":0}"
          + "]";

  @RegisterExtension
  static final RegistryProcess first =
      RegistryProcess.create()
          .withEnvironment("LADING_POLICIES_RETENTION", POLICIES)
          .withEnvironment("LADING_GC_GRACE_MINUTES", "0")
          .withEnvironment("LADING_GC_FENCE_DELAY_SECONDS", "6")
          .withEnvironment("LADING_POLICIES_PULLS_FLUSH_SECONDS", "1");

  @RegisterExtension
  static final RegistryProcess second =
      RegistryProcess.sharingStoreWith(first)
          .withEnvironment("LADING_POLICIES_RETENTION", POLICIES)
          .withEnvironment("LADING_GC_GRACE_MINUTES", "0")
          .withEnvironment("LADING_GC_FENCE_DELAY_SECONDS", "6")
          .withEnvironment("LADING_POLICIES_PULLS_FLUSH_SECONDS", "1");

  private static final int MIB = 1024 * 1024;
  private static final ExecutorService threads = Executors.newCachedThreadPool();

  /**
   * The second instance stops here, before the extensions' own stops: JUnit does not order those,
   * and the first one deletes the shared data directory, which the second would still write its
   * pull records into (every second, and when it stops).
   */
  @AfterAll
  static void stopThreadsAndTheSecondInstance() throws InterruptedException {
    threads.shutdownNow();
    second.stop();
  }

  /** Pushes config and layers, then the manifest under each tag; answers the manifest. */
  private static Manifest push(
      RegistryClient client, String repo, Blob config, List<Blob> layers, String... tags) {
    client.pushBlob(repo, config);
    layers.forEach(l -> client.pushBlob(repo, l));
    Manifest.Builder b = Manifest.oci().config(config.descriptor(MediaType.OCI_CONFIG));
    layers.forEach(l -> b.add(l.descriptor(MediaType.OCI_LAYER_GZIP)));
    Manifest m = b.build();
    for (String tag : tags) {
      client.pushManifest(repo, tag, m);
    }
    return m;
  }

  /** Runs a collection on the first instance and answers its report ({@code last}). */
  private static JsonNode collect(boolean dryRun) throws InterruptedException {
    RegistryClient admin = first.client();
    long runsBefore = admin.get("/admin/gc").json().get("runs").asLong();
    Reply started = admin.send("POST", "/admin/gc?dry_run=" + dryRun, new byte[0]);
    assertThat(started.status()).as("%s", started).isEqualTo(202);
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (System.nanoTime() < deadline) {
      JsonNode status = admin.get("/admin/gc").json();
      if (status.get("runs").asLong() > runsBefore && !status.get("running").asBoolean()) {
        assertThat(status.get("lastError").isNull()).as("%s", status).isTrue();
        JsonNode last = status.get("last");
        assertThat(last.get("dryRun").asBoolean()).isEqualTo(dryRun);
        return last;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("the collection did not finish");
  }

  private static Set<String> blobsSwept(JsonNode report) {
    Set<String> out = new TreeSet<>();
    for (JsonNode item : report.get("items")) {
      if (item.get("kind").asText().equals("BLOB")) {
        out.add(item.get("what").asText());
      }
    }
    return out;
  }

  private static List<String> items(JsonNode report) {
    List<String> out = new ArrayList<>();
    for (JsonNode item : report.get("items")) {
      out.add(
          item.get("kind").asText() + " " + item.get("what").asText() + " " + item.get("bytes"));
    }
    out.sort(null);
    return out;
  }

  private static void assertPulls(
      RegistryClient client, String repo, String reference, List<Blob> blobs) {
    Reply manifest = client.getManifest(repo, reference, "Accept", MediaType.OCI_MANIFEST);
    assertThat(manifest.status()).as("%s %s", repo, reference).isEqualTo(200);
    for (Blob b : blobs) {
      Reply got = client.getBlob(repo, b.digest());
      assertThat(got.status()).as("%s %s", repo, b.digest()).isEqualTo(200);
      assertThat(Blob.sha256(got.body())).isEqualTo(b.digest());
    }
  }

  @Test
  void aWeeklyRebuildFreesExactlyTheOldLayersWhileASecondInstanceKeepsPushing() throws Exception {
    String repo = Checks.uniqueRepo("weekly");
    Blob base = Blob.random(2 * MIB); // every build
    List<Manifest> manifests = new ArrayList<>();
    List<List<Blob>> builds = new ArrayList<>();
    Blob deps = null;
    for (int week = 0; week < 4; week++) {
      if (week % 2 == 0) {
        deps = Blob.random(MIB + week); // shared by weeks 0-1 and 2-3
      }
      Blob config =
          Blob.utf8("{\"architecture\":\"amd64\",\"os\":\"linux\",\"week\":" + week + "}");
      Blob app = Blob.random(MIB / 2 + week);
      builds.add(List.of(config, base, deps, app));
      manifests.add(push(first.client(), repo, config, List.of(base, deps, app), "latest", "1.0"));
    }
    Set<String> current = new HashSet<>();
    builds.get(3).forEach(b -> current.add(b.digest()));
    current.add(manifests.get(3).digest());
    Set<String> old = new TreeSet<>();
    for (int week = 0; week < 3; week++) {
      builds.get(week).forEach(b -> old.add(b.digest()));
      old.add(manifests.get(week).digest());
    }
    old.removeAll(current);
    assertThat(old).hasSize(3 + 3 + 3 + 1); // manifests, configs, app layers, weeks 0-1's deps

    JsonNode dry = collect(true);
    assertThat(dry.get("retention").size()).isEqualTo(3);

    // A second instance pushes CI images sharing the base layer while the real run goes on.
    String pushes = Checks.uniqueRepo("pushes");
    AtomicBoolean done = new AtomicBoolean();
    AtomicInteger pushed = new AtomicInteger();
    AtomicInteger retried = new AtomicInteger();
    List<List<Blob>> pushedImages = new ArrayList<>();
    Future<?> pusher =
        threads.submit(
            () -> {
              RegistryClient client = second.client();
              for (int i = 0; !done.get() || i < 3; i++) {
                Blob config =
                    Blob.utf8("{\"architecture\":\"amd64\",\"os\":\"linux\",\"ci\":" + i + "}");
                Blob layer = Blob.random(256 * 1024);
                for (int attempt = 0; ; attempt++) {
                  client.pushBlob(pushes, config);
                  client.pushBlob(pushes, base);
                  client.pushBlob(pushes, layer);
                  Manifest m =
                      Manifest.oci()
                          .config(config.descriptor(MediaType.OCI_CONFIG))
                          .add(base.descriptor(MediaType.OCI_LAYER_GZIP))
                          .add(layer.descriptor(MediaType.OCI_LAYER_GZIP))
                          .build();
                  Reply reply = client.putManifest(pushes, "build-" + i, m.mediaType(), m.bytes());
                  if (reply.status() == 201) {
                    break;
                  }
                  // What a client does when a collection swept a blob it had: push again.
                  assertThat(reply.errorCodes()).as("%s", reply).contains("MANIFEST_BLOB_UNKNOWN");
                  assertThat(attempt).isLessThan(10);
                  retried.incrementAndGet();
                }
                synchronized (pushedImages) {
                  pushedImages.add(List.of(config, base, layer));
                }
                pushed.incrementAndGet();
              }
              return null;
            });
    JsonNode real;
    try {
      real = collect(false);
    } finally {
      done.set(true);
      pusher.get(3, TimeUnit.MINUTES);
    }

    // Exactly the old builds' blobs went; everything the current build uses stays.
    Set<String> swept = blobsSwept(real);
    Set<String> sweptHere = new TreeSet<>(swept);
    sweptHere.retainAll(union(old, current));
    assertThat(sweptHere).isEqualTo(old);
    assertThat(real.get("retention")).isEqualTo(dry.get("retention"));
    assertThat(real.get("manifestsExpired").asLong()).isEqualTo(3);
    long oldBytes = 0;
    Set<String> counted = new HashSet<>();
    for (int week = 0; week < 3; week++) {
      for (Blob b : builds.get(week)) {
        if (old.contains(b.digest()) && counted.add(b.digest())) {
          oldBytes += b.size(); // weeks 0 and 1 share their dependencies layer: once
        }
      }
      oldBytes += manifests.get(week).bytes().length;
    }
    long reported = 0;
    for (JsonNode action : real.get("retention")) {
      assertThat(action.get("action").asText()).isEqualTo("delete");
      assertThat(action.get("reason").asText()).contains("beyond untagged_for 0s");
      reported += action.get("bytes").asLong();
    }
    assertThat(reported).isEqualTo(oldBytes);
    for (RegistryProcess instance : List.of(first, second)) {
      assertPulls(instance.client(), repo, "latest", builds.get(3));
      assertPulls(instance.client(), repo, "1.0", builds.get(3));
      for (int week = 0; week < 3; week++) {
        assertThat(instance.client().headManifest(repo, manifests.get(week).digest()).status())
            .isEqualTo(404);
      }
      for (String d : old) {
        assertThat(instance.client().headBlob(repo, d).status()).as(d).isEqualTo(404);
      }
      synchronized (pushedImages) {
        for (int i = 0; i < pushedImages.size(); i++) {
          assertPulls(instance.client(), pushes, "build-" + i, pushedImages.get(i));
        }
      }
    }
    System.out.printf(
        "retention weekly rebuild: %d old blobs (%d bytes) reclaimed, %d pushes on the second"
            + " instance during the run (%d retried)%n",
        old.size(), oldBytes, pushed.get(), retried.get());
    assertThat(pushed.get()).isGreaterThanOrEqualTo(3);
  }

  @Test
  void perCommitTagsKeepTheLastFiveAndTheDryRunEqualsTheRun() throws Exception {
    String repo = Checks.uniqueRepo("ci");
    Blob base = Blob.random(MIB);
    List<Blob> own = new ArrayList<>();
    List<Manifest> manifests = new ArrayList<>();
    for (int i = 1; i <= 12; i++) {
      Blob config = Blob.utf8("{\"architecture\":\"amd64\",\"os\":\"linux\",\"commit\":" + i + "}");
      Blob layer = Blob.random(256 * 1024 + i);
      own.add(layer);
      manifests.add(
          push(first.client(), repo, config, List.of(base, layer), String.format("ci-%02d", i)));
      Thread.sleep(1100); // push times a second apart: S3 may keep whole seconds
    }
    Blob releaseConfig = Blob.utf8("{\"architecture\":\"amd64\",\"os\":\"linux\",\"release\":1}");
    push(first.client(), repo, releaseConfig, List.of(base), "v1.0");

    JsonNode dry = collect(true);
    JsonNode real = collect(false);

    assertThat(real.get("retention")).isEqualTo(dry.get("retention"));
    assertThat(items(real)).isEqualTo(items(dry));
    assertThat(real.get("tagsUntagged").asLong()).isEqualTo(7);
    assertThat(real.get("manifestsExpired").asLong()).isEqualTo(7);
    JsonNode tags = first.client().listTags(repo).json().get("tags");
    List<String> left = new ArrayList<>();
    tags.forEach(t -> left.add(t.asText()));
    assertThat(left).containsExactly("ci-08", "ci-09", "ci-10", "ci-11", "ci-12", "v1.0");
    Set<String> swept = blobsSwept(real);
    for (int i = 0; i < 12; i++) {
      assertThat(swept.contains(own.get(i).digest()))
          .as("layer of ci-%02d", i + 1)
          .isEqualTo(i < 7);
      assertThat(swept.contains(manifests.get(i).digest())).isEqualTo(i < 7);
    }
    assertThat(swept).doesNotContain(base.digest());
    for (int i = 7; i < 12; i++) {
      assertPulls(
          second.client(), repo, String.format("ci-%02d", i + 1), List.of(base, own.get(i)));
    }
    for (JsonNode action : real.get("retention")) {
      if (action.get("action").asText().equals("untag")) {
        assertThat(action.get("reason").asText()).contains("beyond keep_last 5");
        assertThat(action.get("policy").asText()).contains("policies.retention[1]");
      }
    }
  }

  @Test
  void tagsPulledOnEitherInstanceAreKeptByKeepPulledWithin() throws Exception {
    String repo = Checks.uniqueRepo("pulled");
    List<Manifest> manifests = new ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      Blob config = Blob.utf8("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rc\":" + i + "}");
      manifests.add(
          push(
              first.client(),
              repo,
              config,
              List.of(Blob.random(4096)),
              String.format("rc-%02d", i)));
      Thread.sleep(1100); // push times a second apart: S3 may keep whole seconds
    }
    // rc-01 pulled by tag on the second instance; rc-02 by digest on the first, as docker pulls
    // (HEAD by tag, then GET by digest); rc-03 only asked about with a HEAD, which is no pull.
    assertThat(
            second.client().getManifest(repo, "rc-01", "Accept", MediaType.OCI_MANIFEST).status())
        .isEqualTo(200);
    assertThat(
            first.client().headManifest(repo, "rc-02", "Accept", MediaType.OCI_MANIFEST).status())
        .isEqualTo(200);
    assertThat(
            first
                .client()
                .getManifest(repo, manifests.get(1).digest(), "Accept", MediaType.OCI_MANIFEST)
                .status())
        .isEqualTo(200);
    assertThat(
            first.client().headManifest(repo, "rc-03", "Accept", MediaType.OCI_MANIFEST).status())
        .isEqualTo(200);
    Thread.sleep(2500); // both instances write their pulls every second

    JsonNode real = collect(false);

    JsonNode tags = first.client().listTags(repo).json().get("tags");
    List<String> left = new ArrayList<>();
    tags.forEach(t -> left.add(t.asText()));
    assertThat(left).containsExactly("rc-01", "rc-02", "rc-04");
    boolean reported = false;
    for (JsonNode action : real.get("retention")) {
      if (action.get("repository").asText().equals(repo)
          && action.get("action").asText().equals("untag")) {
        assertThat(action.get("tag").asText()).isEqualTo("rc-03");
        assertThat(action.get("reason").asText())
            .contains("never pulled, before keep_pulled_within 1h");
        reported = true;
      }
    }
    assertThat(reported).isTrue();
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> out = new HashSet<>(a);
    out.addAll(b);
    return out;
  }
}
