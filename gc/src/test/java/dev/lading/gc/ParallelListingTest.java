package dev.lading.gc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.storage.ListedLevel;
import dev.lading.core.storage.ListedObject;
import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.fs.FilesystemStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ParallelListingTest {
  @TempDir Path dir;

  /** Keys of many shapes: nested names, shared long prefixes, a key that prefixes others' names. */
  private static List<String> keys() {
    List<String> keys = new ArrayList<>();
    Random random = new Random(42);
    String hex = "0123456789abcdef";
    for (int i = 0; i < 300; i++) {
      StringBuilder digest = new StringBuilder();
      for (int j = 0; j < 12; j++) {
        digest.append(hex.charAt(random.nextInt(16)));
      }
      keys.add("repositories/bench/repo-" + (i % 13) + "/_layers/sha256/" + digest);
      if (i % 7 == 0) {
        keys.add("repositories/a/b-c_" + i + "/_tags/V" + i + ".x");
      }
      if (i % 11 == 0) {
        keys.add("repositories/bench/repo-" + (i % 13) + "/_manifests/sha256/" + digest);
      }
    }
    keys.add("repositories/z");
    keys.add("repositories/zz/_tags/latest");
    keys.add("repositories/Z-.x/_tags/A");
    return keys;
  }

  private static List<String> plain(ObjectStore store, String prefix) throws Exception {
    List<String> out = new ArrayList<>();
    Optional<String> after = Optional.empty();
    while (true) {
      var page = store.list(prefix, after, 1000);
      out.addAll(page.keys());
      if (!page.truncated()) {
        return out;
      }
      after = Optional.of(page.keys().get(page.keys().size() - 1));
    }
  }

  @ParameterizedTest(name = "levels from the store: {0}")
  @ValueSource(booleans = {false, true})
  void aSplitListingFindsEveryKeyOnceInOrder(boolean storeLevels) throws Exception {
    try (NarrowListingStore store =
        new NarrowListingStore(new FilesystemStore(dir), 5, storeLevels)) {
      for (String key : keys()) {
        store.write(key, new byte[] {1, 2, 3});
      }
      store.write("outside/x", new byte[0]);
      for (String prefix : List.of("repositories/", "repositories/bench/repo-1", "", "nothing/")) {
        List<String> expected = plain(store, prefix);
        List<ListedObject> listed = new ParallelListing(store, 4).all(prefix);
        assertThat(listed)
            .extracting(ListedObject::key)
            .as(prefix)
            .containsExactlyElementsOf(expected);
        assertThat(listed)
            .allSatisfy(
                o -> assertThat(o.info().size()).isEqualTo(o.key().startsWith("outside/") ? 0 : 3));
      }
    }
  }

  @Test
  void theFilesystemStoresLevelsAreTheDefaultDerivedFromListings() throws Exception {
    try (FilesystemStore fs = new FilesystemStore(dir);
        NarrowListingStore derived = new NarrowListingStore(fs, 5, false)) {
      for (String key : keys()) {
        fs.write(key, new byte[0]);
      }
      for (String prefix :
          List.of("", "repositories/", "repositories/bench/", "repositories/a/", "none/")) {
        for (int limit : List.of(1, 3, 1000)) {
          ListedLevel mine = fs.listLevel(prefix, Optional.empty(), limit);
          ListedLevel theirs = derived.listLevel(prefix, Optional.empty(), limit);
          assertThat(mine.prefixes()).as(prefix + " " + limit).isEqualTo(theirs.prefixes());
          assertThat(mine.objects())
              .extracting(ListedObject::key)
              .as(prefix + " " + limit)
              .isEqualTo(theirs.objects().stream().map(ListedObject::key).toList());
          assertThat(mine.truncated()).isEqualTo(theirs.truncated());
        }
      }
    }
  }

  @Test
  void aSplitHonoursTheLayoutsAlphabet() throws Exception {
    try (NarrowListingStore store = new NarrowListingStore(new FilesystemStore(dir), 3)) {
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        String key = "blobs/sha256/" + String.format("%04x", i * 331 % 65536);
        store.write(key, new byte[0]);
        expected.add(key);
      }
      expected.sort(null);
      // Unbounded (1,000 in flight), every truncated prefix splits.
      ParallelListing listing = new ParallelListing(store, 1000);
      assertThat(listing.all("blobs/sha256/", "0123456789abcdef"))
          .extracting(ListedObject::key)
          .containsExactlyElementsOf(expected);
      long hexCalls = listing.calls();
      ParallelListing anyChar = new ParallelListing(store, 1000);
      assertThat(anyChar.all("blobs/sha256/")).hasSize(expected.size());
      // Probing only hex digits costs fewer calls than probing every key character.
      assertThat(hexCalls).isLessThan(anyChar.calls());
      // Bounded, branches past the bound page on instead of splitting: fewer calls, same keys.
      ParallelListing bounded = new ParallelListing(store, 4);
      assertThat(bounded.all("blobs/sha256/", "0123456789abcdef"))
          .extracting(ListedObject::key)
          .containsExactlyElementsOf(expected);
      assertThat(bounded.calls()).isLessThan(hexCalls);
    }
  }

  @Test
  void aStoreAnsweringManyKeysPerCallIsListedWithoutSplitting() throws Exception {
    try (FilesystemStore store = new FilesystemStore(dir)) {
      for (String key : keys()) {
        store.write(key, new byte[0]);
      }
      ParallelListing listing = new ParallelListing(store, 4);
      assertThat(listing.all("repositories/")).hasSize(plain(store, "repositories/").size());
      assertThat(listing.calls()).isEqualTo(1);
    }
  }

  @Test
  void onlyPrefixesAKeyCanHaveAreProbed() {
    assertThat(ParallelListing.canPrefixAKey("a/b")).isTrue();
    assertThat(ParallelListing.canPrefixAKey("a/b/")).isTrue();
    assertThat(ParallelListing.canPrefixAKey("a//")).isFalse();
    assertThat(ParallelListing.canPrefixAKey("/")).isFalse();
    assertThat(ParallelListing.canPrefixAKey("a/./")).isFalse();
    assertThat(ParallelListing.canPrefixAKey("a/../")).isFalse();
    assertThat(ParallelListing.canPrefixAKey("a/..b/")).isTrue();
  }
}
