package dev.lading.conformance;

import static dev.lading.conformance.Checks.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Quotas over real sockets on the store the run selects (the filesystem, and S3Proxy in the {@code
 * on-s3} execution): {@code team/**} may keep two small images and not a third; uploads that cannot
 * fit are refused before or while they stream (a chunked {@code PATCH} once no blob it could be
 * fits, its session left where it was), a chunked re-upload of counted content is not; a second
 * repository under the pattern linking the same image adds nothing; a repository outside it is not
 * limited; a second instance on the same store counts the same usage from the store's links alone.
 */
class QuotasIT {
  private static final int LAYER = 64 * 1024;
  private static final Images FIRST = Images.generate(2, LAYER);
  private static final Images SECOND = Images.generate(2, LAYER);
  private static final Images THIRD = Images.generate(2, LAYER);
  private static final long LIMIT = size(FIRST) + size(SECOND) + LAYER / 2;
  private static final String QUOTAS = "[{\"repositories\":[\"team/**\"],\"bytes\":" + LIMIT + "}]";

  @RegisterExtension
  static final RegistryProcess registry =
      RegistryProcess.create().withEnvironment("LADING_POLICIES_QUOTAS", QUOTAS);

  @RegisterExtension
  static final RegistryProcess second =
      RegistryProcess.sharingStoreWith(registry)
          .withEnvironment("LADING_POLICIES_QUOTAS", QUOTAS)
          .withEnvironment("LADING_POLICIES_QUOTAS_SCAN_SECONDS", "1");

  private static RegistryClient client;

  @BeforeAll
  static void connect() {
    client = registry.client();
  }

  private static long size(Images image) {
    long n = image.config().size() + image.manifest().bytes().length;
    for (Blob l : image.layers()) {
      n += l.size();
    }
    return n;
  }

  private static Reply push(Images image, String repo, String tag) {
    image.pushBlobs(client, repo);
    return client.putManifest(repo, tag, image.manifest().mediaType(), image.manifest().bytes());
  }

  private static JsonNode quota(RegistryClient c) {
    Reply r = c.get("/admin/quotas");
    assertThat(r.status()).as("%s", r).isEqualTo(200);
    JsonNode quotas = r.json().path("quotas");
    assertThat(quotas.size()).isEqualTo(1);
    return quotas.get(0);
  }

  /** The value of {@code name{quota="policies.quotas[0]"}} in a Prometheus scrape. */
  private static long metric(String scrape, String name) {
    String prefix = name + "{quota=\"policies.quotas[0]\"} ";
    return scrape
        .lines()
        .filter(l -> l.startsWith(prefix))
        .map(l -> (long) Double.parseDouble(l.substring(prefix.length()).trim()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + prefix + " in the scrape"));
  }

  private static void awaitLogLine(String... parts) throws Exception {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
    while (true) {
      for (String line : Files.readAllLines(registry.logFile())) {
        if (List.of(parts).stream().allMatch(line::contains)) {
          return;
        }
      }
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("no log line with " + List.of(parts));
      }
      Thread.sleep(50);
    }
  }

  @Test
  void thePushThatCrossesTheLimitIsRefusedAndSharedBlobsCountOnce() throws Exception {
    // The third image's layers are uploaded while they fit; uploads alone do not count.
    THIRD.pushBlobs(client, "team/a");
    assertThat(push(FIRST, "team/a", "1").status()).isEqualTo(201);
    assertThat(push(SECOND, "team/a", "2").status()).isEqualTo(201);
    long used = size(FIRST) + size(SECOND);

    // The third image does not fit: refused with the usage, and nothing of it becomes visible.
    Reply refused =
        client.putManifest("team/a", "3", THIRD.manifest().mediaType(), THIRD.manifest().bytes());
    assertError(refused, 403, "DENIED");
    assertThat(refused.json().path("errors").get(0).path("message").asText())
        .startsWith("quota policies.quotas[0] (team/**): ")
        .contains(" used; this push adds ");
    JsonNode detail = refused.json().path("errors").get(0).path("detail");
    assertThat(detail.path("usedBytes").asLong()).isEqualTo(used);
    assertThat(detail.path("limitBytes").asLong()).isEqualTo(LIMIT);
    assertThat(detail.path("addedBytes").asLong()).isEqualTo(size(THIRD));
    assertThat(client.headManifest("team/a", THIRD.manifest().digest()).status()).isEqualTo(404);
    assertThat(RegistryClient.strings(client.listTags("team/a"), "tags"))
        .containsExactlyInAnyOrder("1", "2");
    awaitLogLine("action=quota-refused", "repository=team/a", "used=" + used, "limit=" + LIMIT);

    // An upload whose declared size cannot fit any more is refused before it streams, closing a
    // session (POST, then PUT with the body) or monolithic (POST ?digest= with the body).
    Blob big = Blob.random(LAYER);
    Reply closing = client.putUpload(client.startUpload("team/a"), big.digest(), big.bytes());
    assertError(closing, 403, "DENIED");
    Reply monolithic =
        client.send(
            "POST",
            "/v2/team/a/blobs/uploads/?digest=" + big.digest(),
            big.bytes(),
            "Content-Type",
            RegistryClient.OCTET_STREAM);
    assertError(monolithic, 403, "DENIED");
    assertThat(client.headBlob("team/a", big.digest()).status()).isEqualTo(404);

    // A chunked PATCH carries no digest: it streams until the session is larger than what is left
    // and than any blob the quota counts (so it cannot be counted content), then it is refused
    // with the usage; the session stays at its last offset and goes on from there.
    URI session = client.startUpload("team/a");
    Blob head = Blob.random(1024);
    assertThat(client.patchChunk(session, head.bytes(), 0).status()).isEqualTo(202);
    Reply chunked =
        client.send(
            "PATCH",
            session,
            RegistryClient.streamed(Blob.random(4 * LAYER).bytes()),
            "Content-Type",
            RegistryClient.OCTET_STREAM);
    assertError(chunked, 403, "DENIED");
    assertThat(chunked.json().path("errors").get(0).path("message").asText())
        .startsWith("quota policies.quotas[0] (team/**): ")
        .contains(" used; this push adds ");
    assertThat(chunked.json().path("errors").get(0).path("detail").path("usedBytes").asLong())
        .isEqualTo(used);
    awaitLogLine("action=quota-refused", "method=PATCH", "repository=team/a", "used=" + used);
    Reply stands = client.get(session);
    assertThat(stands.status()).as("%s", stands).isEqualTo(204);
    assertThat(stands.headerOrNull("Range")).isEqualTo("0-1023");
    Blob tail = Blob.random(512);
    assertThat(client.patchChunk(session, tail.bytes(), 1024).status()).isEqualTo(202);
    byte[] whole = new byte[1024 + 512];
    System.arraycopy(head.bytes(), 0, whole, 0, 1024);
    System.arraycopy(tail.bytes(), 0, whole, 1024, 512);
    assertThat(client.putUpload(session, Blob.sha256(whole), new byte[0]).status()).isEqualTo(201);

    // A chunked re-upload of a counted layer, past what is left but no larger than the largest
    // blob counted, streams on: its manifest would add nothing for it.
    URI again = client.startUpload("team/c");
    Blob counted = FIRST.layers().getFirst();
    Reply streamedAgain =
        client.send(
            "PATCH",
            again,
            RegistryClient.streamed(counted.bytes()),
            "Content-Type",
            RegistryClient.OCTET_STREAM);
    assertThat(streamedAgain.status()).as("%s", streamedAgain).isEqualTo(202);
    assertThat(client.putUpload(again, counted.digest(), new byte[0]).status()).isEqualTo(201);

    // A second repository under the pattern linking the same image (its blobs mounted) adds
    // nothing: accepted though the quota is nearly full, and counted once.
    List<Blob> blobs = new ArrayList<>(FIRST.layers());
    blobs.add(FIRST.config());
    for (Blob b : blobs) {
      Reply mounted = client.postUpload("team/b", "mount", b.digest(), "from", "team/a");
      assertThat(mounted.status()).as("%s", mounted).isEqualTo(201);
    }
    assertThat(
            client
                .putManifest("team/b", "1", FIRST.manifest().mediaType(), FIRST.manifest().bytes())
                .status())
        .isEqualTo(201);
    // Re-pushing what is counted is accepted at the limit too.
    assertThat(push(SECOND, "team/a", "2-again").status()).isEqualTo(201);

    // Outside the pattern there is no limit.
    assertThat(push(THIRD, "other/a", "3").status()).isEqualTo(201);
    assertThat(push(Images.generate(1, LAYER), "other/a", "4").status()).isEqualTo(201);

    JsonNode q = quota(client);
    assertThat(q.path("name").asText()).isEqualTo("policies.quotas[0]");
    assertThat(q.path("repositories").get(0).asText()).isEqualTo("team/**");
    assertThat(q.path("limitBytes").asLong()).isEqualTo(LIMIT);
    assertThat(q.path("usedBytes").asLong()).isEqualTo(used);
    assertThat(q.path("blobs").asLong()).isEqualTo(8); // 2 images: 2 layers, config, manifest
    assertThat(q.path("lastScanned").isTextual()).isTrue();

    String metrics = client.get("/metrics").text();
    assertThat(metric(metrics, "lading_quota_used_bytes")).isEqualTo(used);
    assertThat(metric(metrics, "lading_quota_limit_bytes")).isEqualTo(LIMIT);
    assertThat(metric(metrics, "lading_quota_refused_total")).isEqualTo(4);

    // The second instance accepted nothing itself: its count comes from the store's links.
    RegistryClient other = second.client();
    Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
    while (quota(other).path("usedBytes").asLong() != used) {
      assertThat(Instant.now()).as("second instance's recount").isBefore(deadline);
      Thread.sleep(200);
    }
    // ... and refuses on it.
    assertError(
        other.putManifest("team/a", "3", THIRD.manifest().mediaType(), THIRD.manifest().bytes()),
        403,
        "DENIED");

    // Deleting an image frees its share at the next recount (what GC sweeps, the same way): the
    // second image's content was kept by nothing else, so the third now fits.
    assertThat(client.deleteManifest("team/a", SECOND.manifest().digest()).status()).isEqualTo(202);
    deadline = Instant.now().plus(Duration.ofSeconds(20));
    while (quota(other).path("usedBytes").asLong() != size(FIRST)) {
      assertThat(Instant.now()).as("recount after the delete").isBefore(deadline);
      Thread.sleep(200);
    }
    assertThat(
            other
                .putManifest("team/a", "3", THIRD.manifest().mediaType(), THIRD.manifest().bytes())
                .status())
        .isEqualTo(201);
    assertThat(quota(other).path("usedBytes").asLong()).isEqualTo(size(FIRST) + size(THIRD));
  }
}
