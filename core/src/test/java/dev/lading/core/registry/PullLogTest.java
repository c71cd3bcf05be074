package dev.lading.core.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.PullRecordKey;
import dev.lading.core.layout.StoredValues.PullRecord;
import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.fs.FilesystemStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pulls are noted in memory and written in batches, one object per repository and instance. */
class PullLogTest {
  private static final RepositoryName APP = RepositoryName.parse("team/app");
  private static final RepositoryName OTHER = RepositoryName.parse("team/other");
  private static final Digest D1 = Digest.sha256("one".getBytes(StandardCharsets.UTF_8));
  private static final Digest D2 = Digest.sha256("two".getBytes(StandardCharsets.UTF_8));

  @TempDir Path dir;
  private ObjectStore store;
  private final AtomicReference<Instant> now =
      new AtomicReference<>(Instant.parse("2026-06-01T12:00:00.750Z"));
  private final Clock clock =
      new Clock() {
        @Override
        public ZoneOffset getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return now.get();
        }
      };

  @BeforeEach
  void open() throws Exception {
    store = new FilesystemStore(dir.resolve("root"));
  }

  @AfterEach
  void close() throws Exception {
    store.close();
  }

  private Optional<PullRecord> record(PullLog log, RepositoryName repo) throws Exception {
    return store
        .read(StorageLayout.keyOf(new PullRecordKey(repo, log.instance())))
        .map(PullRecord::read);
  }

  @Test
  void aPullWritesNothingUntilTheFlushWhichWritesOneObjectPerRepository() throws Exception {
    PullLog log = new PullLog(store, clock);
    log.pulled(APP, new Tag("v1"), D1);
    log.pulled(APP, D2, D2);
    assertThat(store.list("", Optional.empty(), 100).keys()).isEmpty();

    log.flush();

    PullRecord app = record(log, APP).orElseThrow();
    assertThat(app.tags()).containsEntry("v1", Instant.parse("2026-06-01T12:00:00Z"));
    assertThat(app.digests()).containsOnlyKeys(D1, D2);
    assertThat(record(log, OTHER)).isEmpty();
  }

  @Test
  void aFlushRewritesOnlyRepositoriesPulledSinceAndKeepsTheLatestTimes() throws Exception {
    PullLog log = new PullLog(store, clock);
    log.pulled(APP, new Tag("v1"), D1);
    log.pulled(OTHER, new Tag("v1"), D1);
    log.flush();
    String otherKey = StorageLayout.keyOf(new PullRecordKey(OTHER, log.instance()));
    store.delete(List.of(otherKey)); // shows whether the next flush writes OTHER again

    now.set(now.get().plus(Duration.ofMinutes(5)));
    log.pulled(APP, D1, D1);
    log.flush();

    assertThat(store.stat(otherKey)).isEmpty();
    PullRecord app = record(log, APP).orElseThrow();
    assertThat(app.tags()).containsEntry("v1", Instant.parse("2026-06-01T12:00:00Z"));
    assertThat(app.digests()).containsEntry(D1, Instant.parse("2026-06-01T12:05:00Z"));
  }

  @Test
  void aFullLogDropsNewNamesAndKeepsUpdatingKnownOnes() throws Exception {
    PullLog log = new PullLog(store, clock, 2);
    log.pulled(APP, new Tag("v1"), D1); // two entries: the tag and the digest
    log.pulled(APP, new Tag("v2"), D2); // both new: dropped
    now.set(now.get().plus(Duration.ofMinutes(1)));
    log.pulled(APP, new Tag("v1"), D1); // known: updated
    log.flush();

    assertThat(log.dropped()).isEqualTo(2);
    PullRecord app = record(log, APP).orElseThrow();
    assertThat(app.tags()).containsOnlyKeys("v1");
    assertThat(app.tags().get("v1")).isEqualTo(Instant.parse("2026-06-01T12:01:00Z"));
  }

  @Test
  void aManifestGetIsRecordedAndAHeadIsNot() throws Exception {
    StoreRegistry registry = new StoreRegistry(store, RegistryOptions.defaults());
    PullLog log = new PullLog(store, clock);
    registry.recordPulls(log);
    byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
    Digest configDigest = Digest.sha256(config);
    registry.putBlob(
        APP, configDigest, new java.io.ByteArrayInputStream(config), java.util.OptionalLong.of(2));
    String manifest =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
            + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
            + configDigest
            + "\",\"size\":2},\"layers\":[]}";
    Digest m =
        registry
            .putManifest(
                APP,
                new Tag("v1"),
                "application/vnd.oci.image.manifest.v1+json",
                manifest.getBytes(StandardCharsets.UTF_8))
            .digest();

    registry.statManifest(APP, new Tag("v1"));
    log.flush();
    assertThat(record(log, APP)).isEmpty();

    registry.getManifest(APP, new Tag("v1"));
    log.flush();
    assertThat(record(log, APP).orElseThrow().tags()).containsOnlyKeys("v1");
    assertThat(record(log, APP).orElseThrow().digests()).containsOnlyKeys(m);
  }
}
