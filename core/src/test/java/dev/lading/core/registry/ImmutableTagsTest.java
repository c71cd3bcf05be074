package dev.lading.core.registry;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StoredValues;
import dev.lading.core.model.Digest;
import dev.lading.core.model.MediaTypes;
import dev.lading.core.model.Reference;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import dev.lading.core.policy.ImmutableTagOverride;
import dev.lading.core.policy.ImmutableTagRule;
import dev.lading.core.policy.ImmutableTags;
import dev.lading.core.policy.RepositoryGlob;
import dev.lading.core.policy.TagGlob;
import dev.lading.core.storage.ForwardingObjectStore;
import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.fs.FilesystemStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The immutable tag rules where tags are written, over the filesystem store (the conformance ITs
 * run the same over HTTP on both stores).
 */
class ImmutableTagsTest {
  private static final RepositoryName REPO = RepositoryName.parse("ml/app");
  private static final ImmutableTagRule RULE =
      new ImmutableTagRule(
          "policies.immutable_tags[0]",
          List.of(RepositoryGlob.parse("ml/**")),
          List.of(TagGlob.parse("v*")));

  @TempDir Path dir;
  private FilesystemStore store;
  private StoreRegistry registry;

  @BeforeEach
  void open() throws Exception {
    store = new FilesystemStore(dir.resolve("root"));
    registry = new StoreRegistry(store, RegistryOptions.defaults());
    registry.immutableTags(new ImmutableTags(List.of(RULE)));
  }

  @AfterEach
  void close() throws Exception {
    store.close();
  }

  private byte[] manifest(String marker) {
    byte[] config = ("{\"architecture\":\"amd64\",\"m\":\"" + marker + "\"}").getBytes(UTF_8);
    byte[] layer = ("layer " + marker).getBytes(UTF_8);
    Digest c = push(config);
    Digest l = push(layer);
    return ("{\"schemaVersion\":2,\"mediaType\":\""
            + MediaTypes.OCI_MANIFEST
            + "\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
            + c
            + "\",\"size\":"
            + config.length
            + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
            + "\"digest\":\""
            + l
            + "\",\"size\":"
            + layer.length
            + "}]}")
        .getBytes(UTF_8);
  }

  private Digest push(byte[] blob) {
    Digest d = Digest.sha256(blob);
    registry.putBlob(REPO, d, new ByteArrayInputStream(blob), OptionalLong.of(blob.length));
    return d;
  }

  private Digest put(String reference, byte[] body) {
    return registry
        .putManifest(REPO, Reference.parse(reference), MediaTypes.OCI_MANIFEST, body)
        .digest();
  }

  private Digest put(String digestRef, List<String> tags, byte[] body, ImmutableTagOverride o) {
    return registry
        .putManifest(
            REPO,
            Reference.parse(digestRef),
            tags.stream().map(Tag::parse).toList(),
            MediaTypes.OCI_MANIFEST,
            body,
            o)
        .digest();
  }

  private Digest tagged(String tag) {
    return registry.statManifest(REPO, Tag.parse(tag)).digest();
  }

  private static void assertDenied(Runnable call, String... messageParts) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            RegistryException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.DENIED);
              assertThat(e.getMessage()).contains(messageParts);
              assertThat(((Map<?, ?>) e.detail()).get("rule")).isEqualTo(RULE.describe());
            });
  }

  @Test
  void aMoveOfAnImmutableTagIsRefusedAndTheTagKeepsItsDigest() {
    Digest first = put("v1", manifest("a"));
    byte[] other = manifest("b");
    assertDenied(
        () -> put("v1", other),
        "tag v1 of ml/app is immutable (policies.immutable_tags[0]: ml/** v*)");
    assertThat(tagged("v1")).isEqualTo(first);
    assertThat(put("v1", manifest("a"))).as("the same digest again").isEqualTo(first);
  }

  @Test
  void aTagTheRulesDoNotCoverMovesFreely() {
    put("latest", manifest("a"));
    Digest second = put("latest", manifest("b"));
    assertThat(tagged("latest")).isEqualTo(second);
  }

  @Test
  void oneRefusedTagParameterRefusesThePushWhole() {
    Digest first = put("v1", manifest("a"));
    byte[] other = manifest("b");
    Digest otherDigest = Digest.sha256(other);
    assertDenied(
        () ->
            put(otherDigest.toString(), List.of("latest", "v1"), other, ImmutableTagOverride.NONE),
        "tag v1");
    assertThat(tagged("v1")).isEqualTo(first);
    assertThatThrownBy(() -> tagged("latest")).isInstanceOf(RegistryException.class);
    assertThatThrownBy(() -> registry.statManifest(REPO, otherDigest))
        .as("nothing written")
        .isInstanceOf(RegistryException.class);
  }

  @Test
  void deletesThatWouldRemoveAnImmutableTagAreRefused() {
    Digest first = put("v1", manifest("a"));
    assertDenied(() -> registry.deleteManifest(REPO, Tag.parse("v1")), "a delete may not");
    assertDenied(() -> registry.deleteManifest(REPO, first), "deleting manifest");
    assertThat(tagged("v1")).isEqualTo(first);
    assertThat(registry.statManifest(REPO, first).digest()).isEqualTo(first);
    put("latest", manifest("b"));
    registry.deleteManifest(REPO, Tag.parse("latest"));
  }

  @Test
  void aGrantedOverrideMovesAndDeletesAndReportsEachUse() {
    Digest first = put("v1", manifest("a"));
    byte[] other = manifest("b");
    Digest second = Digest.sha256(other);
    List<ImmutableTagOverride.Use> uses = new CopyOnWriteArrayList<>();
    ImmutableTagOverride override = ImmutableTagOverride.granted(uses::add);
    put(second.toString(), List.of("v1", "latest"), other, override);
    assertThat(tagged("v1")).isEqualTo(second);
    assertThat(uses)
        .containsExactly(
            new ImmutableTagOverride.Use(RULE, REPO, Tag.parse("v1"), first, Optional.of(second)));
    registry.deleteManifest(REPO, Tag.parse("v1"), override);
    assertThat(uses.getLast())
        .isEqualTo(
            new ImmutableTagOverride.Use(RULE, REPO, Tag.parse("v1"), second, Optional.empty()));
    assertThatThrownBy(() -> tagged("v1")).isInstanceOf(RegistryException.class);
  }

  @Test
  void concurrentCreationOfOneNewImmutableTagHasExactlyOneWinner() throws Exception {
    int pushers = 6;
    List<byte[]> bodies = new ArrayList<>();
    for (int i = 0; i < pushers; i++) {
      bodies.add(manifest("racer-" + i));
    }
    ExecutorService pool = Executors.newFixedThreadPool(pushers);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Optional<Digest>>> results = new ArrayList<>();
      for (byte[] body : bodies) {
        results.add(
            pool.submit(
                () -> {
                  go.await();
                  try {
                    return Optional.of(put("v9", body));
                  } catch (RegistryException e) {
                    assertThat(e.code()).isEqualTo(ErrorCode.DENIED);
                    return Optional.<Digest>empty();
                  }
                }));
      }
      go.countDown();
      List<Digest> winners = new ArrayList<>();
      for (Future<Optional<Digest>> f : results) {
        f.get(60, TimeUnit.SECONDS).ifPresent(winners::add);
      }
      assertThat(winners).hasSize(1);
      assertThat(tagged("v9")).isEqualTo(winners.getFirst());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void theLoserOfARaceKeepsNoneOfItsTags() throws Exception {
    // Another push creates v1 between this push's check and its write: a store that does so
    // right before this push's conditional write of v1.
    Digest winner = put("v0", manifest("winner"));
    String v1Key = StorageLayout.keyOf(new StorageLayout.TagKey(REPO, Tag.parse("v1")));
    ObjectStore racing =
        new ForwardingObjectStore(store) {
          @Override
          public boolean writeIfAbsent(String key, byte[] content) throws IOException {
            if (key.equals(v1Key)) {
              delegate.writeIfAbsent(key, new StoredValues.TagTarget(winner).write());
            }
            return delegate.writeIfAbsent(key, content);
          }
        };
    StoreRegistry loser = new StoreRegistry(racing, RegistryOptions.defaults());
    loser.immutableTags(new ImmutableTags(List.of(RULE)));
    byte[] other = manifest("loser");
    Digest mine = Digest.sha256(other);
    assertDenied(
        () ->
            loser.putManifest(
                REPO,
                mine,
                List.of(Tag.parse("v2"), Tag.parse("v1"), Tag.parse("latest")),
                MediaTypes.OCI_MANIFEST,
                other,
                ImmutableTagOverride.NONE),
        "another push created it first");
    assertThat(tagged("v1")).isEqualTo(winner);
    assertThatThrownBy(() -> tagged("v2"))
        .as("created, then removed")
        .isInstanceOf(RegistryException.class);
    assertThatThrownBy(() -> tagged("latest"))
        .as("never written")
        .isInstanceOf(RegistryException.class);
  }
}
