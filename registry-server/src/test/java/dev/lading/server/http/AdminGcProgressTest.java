package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.gc.GarbageCollector;
import dev.lading.gc.RetentionPolicy;
import dev.lading.server.config.LadingConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /admin/gc} while a run goes on shows the run's phase and what it found so far, not
 * only the previous run: a run held right after its mark (by the collector's own pause point) is
 * reported as "marked" with its candidates, one held between two repositories of its retention pass
 * as "retention" with the tags examined and removed so far, and one waiting out its fence delay as
 * waiting for the fence.
 */
class AdminGcProgressTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path root;

  @TempDir Path clockProbe;

  private static FileTime newestModification(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files
          .filter(Files::isRegularFile)
          .map(
              f -> {
                try {
                  return Files.getLastModifiedTime(f);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              })
          .max(Comparator.naturalOrder())
          .orElseThrow();
    }
  }

  /** Until a file written in {@code probeDir} gets a modification time after {@code time}. */
  private static void awaitFileClockPast(FileTime time, Path probeDir) throws Exception {
    Path probe = probeDir.resolve("probe");
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (true) {
      Files.write(probe, new byte[] {1});
      if (Files.getLastModifiedTime(probe).compareTo(time) > 0) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the file clock did not pass " + time);
      }
      Thread.sleep(1);
    }
  }

  private static JsonNode status(RunningRegistry r) throws Exception {
    HttpResponse<String> s = r.send(r.request("/admin/gc").GET().build());
    assertThat(s.statusCode()).isEqualTo(200);
    return JSON.readTree(s.body());
  }

  private static void trigger(RunningRegistry r) throws Exception {
    assertThat(
            r.send(r.request("/admin/gc").POST(HttpRequest.BodyPublishers.noBody()).build())
                .statusCode())
        .isEqualTo(202);
  }

  private static JsonNode awaitIdle(RunningRegistry r) throws Exception {
    for (int i = 0; i < 600; i++) {
      JsonNode s = status(r);
      if (!s.path("running").asBoolean() && s.path("runs").asLong() >= 1) {
        return s;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the run did not finish");
  }

  @Test
  void aRunHeldAfterItsMarkIsShownInThatPhaseWithItsCounts() throws Exception {
    LadingConfig config =
        LadingConfig.forTests(root)
            .withGc(
                new LadingConfig.Gc(
                    Duration.ZERO,
                    Duration.ZERO,
                    Duration.ofHours(24),
                    false,
                    false,
                    Duration.ZERO));
    try (RunningRegistry r = new RunningRegistry(config)) {
      r.pushBlob("team/app", "a layer nobody references".getBytes(StandardCharsets.UTF_8));
      // With no grace a candidate must still be strictly older than the run's announcement,
      // and file times move in clock ticks (4 ms on a 250 Hz kernel): a run announced in the
      // same tick as the push rightly keeps the layer. Start the run once the store's clock has
      // moved past what the push wrote.
      awaitFileClockPast(newestModification(root), clockProbe);
      CountDownLatch marked = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      r.server
          .gc()
          .orElseThrow()
          .collector()
          .setHooks(
              new GarbageCollector.SweepHooks() {
                @Override
                public void afterMark(Set<Digest> candidates) {
                  marked.countDown();
                  try {
                    release.await(30, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                }
              });
      trigger(r);
      assertThat(marked.await(30, TimeUnit.SECONDS)).isTrue();
      try {
        JsonNode during = status(r);
        assertThat(during.path("running").asBoolean()).isTrue();
        assertThat(during.path("last").isNull()).as("no previous run").isTrue();
        JsonNode current = during.path("current");
        assertThat(current.path("phase").asText()).as(during.toString()).isEqualTo("marked");
        assertThat(current.path("dryRun").asBoolean()).isFalse();
        assertThat(current.path("counts").path("repositories").asLong()).isEqualTo(1);
        assertThat(current.path("counts").path("candidates").asLong()).isGreaterThanOrEqualTo(1);
      } finally {
        release.countDown();
      }
      JsonNode after = awaitIdle(r);
      assertThat(after.path("current").isNull()).as(after.toString()).isTrue();
      assertThat(after.path("last").path("blobsSwept").asLong()).isGreaterThanOrEqualTo(1);
    }
  }

  @Test
  void aRunWaitingOutItsFenceDelaySaysSo() throws Exception {
    LadingConfig config =
        LadingConfig.forTests(root)
            .withGc(
                new LadingConfig.Gc(
                    Duration.ZERO,
                    Duration.ZERO,
                    Duration.ofHours(24),
                    false,
                    false,
                    Duration.ofSeconds(2)));
    try (RunningRegistry r = new RunningRegistry(config)) {
      trigger(r);
      JsonNode during = status(r);
      assertThat(during.path("current").path("phase").asText())
          .as(during.toString())
          .isEqualTo("waiting_for_fence");
      awaitIdle(r);
    }
  }

  /** Pushes an image of one small config under {@code tag}, its own by an annotation. */
  private static void pushImage(RunningRegistry r, String repo, String tag) throws Exception {
    byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
    String configDigest = r.pushBlob(repo, config);
    String manifest =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
            + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
            + "\"digest\":\""
            + configDigest
            + "\",\"size\":2},\"layers\":[],\"annotations\":{\"tag\":\""
            + tag
            + "\"}}";
    HttpResponse<String> put =
        r.send(
            r.request("/v2/" + repo + "/manifests/" + tag)
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .PUT(HttpRequest.BodyPublishers.ofString(manifest))
                .build());
    assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
  }

  @Test
  void aRunInItsRetentionPassShowsTheTagsExaminedAndRemovedSoFar() throws Exception {
    RetentionPolicy keepLastOne =
        new RetentionPolicy(
            "policies.retention[0]",
            repo -> repo.value().startsWith("team/"),
            List.of("ci-*"),
            OptionalInt.of(1),
            Optional.empty(),
            Optional.empty(),
            Optional.empty());
    LadingConfig config =
        LadingConfig.forTests(root)
            .withGc(
                new LadingConfig.Gc(
                    Duration.ZERO,
                    Duration.ZERO,
                    Duration.ofHours(24),
                    false,
                    false,
                    Duration.ZERO))
            .withPolicies(new LadingConfig.Policies(List.of(keepLastOne)));
    try (RunningRegistry r = new RunningRegistry(config)) {
      for (String repo : List.of("team/one", "team/two")) {
        for (String tag : List.of("ci-01", "ci-02", "ci-03")) {
          pushImage(r, repo, tag);
          awaitFileClockPast(newestModification(root), clockProbe); // distinct push times
        }
      }
      // Held when retention is about to untag in its second repository: the first is done.
      AtomicInteger repositories = new AtomicInteger();
      CountDownLatch halfway = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      r.server
          .gc()
          .orElseThrow()
          .collector()
          .setHooks(
              new GarbageCollector.SweepHooks() {
                @Override
                public void beforeUntag(RepositoryName repository, List<String> tags) {
                  if (repositories.incrementAndGet() == 2) {
                    halfway.countDown();
                    try {
                      release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  }
                }
              });
      trigger(r);
      assertThat(halfway.await(30, TimeUnit.SECONDS)).isTrue();
      try {
        JsonNode during = status(r);
        JsonNode current = during.path("current");
        assertThat(current.path("phase").asText()).as(during.toString()).isEqualTo("retention");
        assertThat(current.path("counts").path("repositories").asLong()).isEqualTo(2);
        assertThat(current.path("counts").path("tagsExamined").asLong()).isEqualTo(3);
        assertThat(current.path("counts").path("tagsRemoved").asLong()).isEqualTo(2);
        assertThat(current.path("counts").has("candidates")).as("not marked yet").isFalse();
      } finally {
        release.countDown();
      }
      JsonNode after = awaitIdle(r);
      assertThat(after.path("last").path("tagsUntagged").asLong()).isEqualTo(4);
    }
  }
}
