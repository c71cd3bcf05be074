package dev.lading.core.registry;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lading.core.model.Digest;
import dev.lading.core.model.MediaTypes;
import dev.lading.core.model.Reference;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.policy.QuotaRule;
import dev.lading.core.policy.Quotas;
import dev.lading.core.policy.RepositoryGlob;
import dev.lading.core.storage.ForwardingObjectStore;
import dev.lading.core.storage.KeyPage;
import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.fs.FilesystemStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quota scan reads side by side, at most {@link QuotaLedger#SCAN_PARALLELISM} store calls at
 * once, and finds exactly what a scan making one call after another finds, on a store of many
 * repositories sharing layers in and across the quotas' patterns.
 */
class QuotaScanParallelTest {
  private static final int REPOSITORIES = 120;

  @TempDir Path dir;

  /** Each read and listing takes a little while, as on a remote store; counts calls in flight. */
  private static final class SlowStore extends ForwardingObjectStore {
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger mostInFlight = new AtomicInteger();
    volatile long latencyMillis;

    SlowStore(ObjectStore store) {
      super(store);
    }

    private <T> T slow(IoCall<T> call) throws IOException {
      int now = inFlight.incrementAndGet();
      mostInFlight.accumulateAndGet(now, Math::max);
      try {
        if (latencyMillis > 0) {
          Thread.sleep(latencyMillis);
        }
        return call.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      } finally {
        inFlight.decrementAndGet();
      }
    }

    interface IoCall<T> {
      T get() throws IOException;
    }

    @Override
    public Optional<byte[]> read(String key) throws IOException {
      return slow(() -> super.read(key));
    }

    @Override
    public KeyPage list(String prefix, Optional<String> startAfter, int limit) throws IOException {
      return slow(() -> super.list(prefix, startAfter, limit));
    }
  }

  private static byte[] bytes(String s, int size) {
    byte[] b = new byte[size];
    byte[] m = s.getBytes(UTF_8);
    System.arraycopy(m, 0, b, 0, m.length);
    return b;
  }

  private static Digest blob(StoreRegistry registry, RepositoryName repo, byte[] b) {
    Digest d = Digest.sha256(b);
    registry.putBlob(repo, d, new ByteArrayInputStream(b), OptionalLong.of(b.length));
    return d;
  }

  private static String descriptor(String mediaType, Digest d, int size) {
    return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + d + "\",\"size\":" + size + "}";
  }

  /** An image of its own config, a layer shared by every image and one layer of its own. */
  private static void push(StoreRegistry registry, RepositoryName repo, String tag, byte[] shared) {
    byte[] config = ("{\"repo\":\"" + repo + "\",\"tag\":\"" + tag + "\"}").getBytes(UTF_8);
    byte[] own = bytes(repo + ":" + tag, 100 + (repo.value().length() * 7 + tag.length()) % 900);
    List<String> layers = new ArrayList<>();
    for (byte[] l : List.of(shared, own)) {
      layers.add(
          descriptor(
              "application/vnd.oci.image.layer.v1.tar+gzip", blob(registry, repo, l), l.length));
    }
    String manifest =
        "{\"schemaVersion\":2,\"mediaType\":\""
            + MediaTypes.OCI_MANIFEST
            + "\",\"config\":"
            + descriptor(
                "application/vnd.oci.image.config.v1+json",
                blob(registry, repo, config),
                config.length)
            + ",\"layers\":["
            + String.join(",", layers)
            + "]}";
    registry.putManifest(
        repo, Reference.parse(tag), MediaTypes.OCI_MANIFEST, manifest.getBytes(UTF_8));
  }

  private static Quotas quotas() {
    return new Quotas(
        List.of(
            new QuotaRule("policies.quotas[0]", List.of(RepositoryGlob.parse("ml/**")), 1L << 40),
            new QuotaRule(
                "policies.quotas[1]",
                List.of(RepositoryGlob.parse("ml/a*"), RepositoryGlob.parse("web/*")),
                1L << 40),
            new QuotaRule("policies.quotas[2]", List.of(RepositoryGlob.parse("**")), 1L << 40)));
  }

  /** Each quota's name, bytes and blobs after one scan by a new ledger of {@code parallelism}. */
  private static List<String> scan(SlowStore store, int parallelism) {
    RepositoryBlobs blobs =
        new RepositoryBlobs(store, 10_000, GcFence.of(store, Clock.systemUTC()), true, false);
    QuotaLedger ledger = new QuotaLedger(store, blobs, Clock.systemUTC(), parallelism);
    ledger.rules(quotas());
    ledger.scan();
    return ledger.usage().stream()
        .map(u -> u.rule().describe() + " " + u.usedBytes() + " bytes " + u.blobs() + " blobs")
        .toList();
  }

  @Test
  void aParallelScanFindsWhatAScanOneCallAtATimeFinds() throws Exception {
    try (FilesystemStore fs = new FilesystemStore(dir)) {
      SlowStore store = new SlowStore(fs);
      StoreRegistry registry = new StoreRegistry(store, RegistryOptions.defaults());
      byte[] shared = bytes("a base layer every image shares", 4096);
      for (int i = 0; i < REPOSITORIES; i++) {
        String team = i % 3 == 0 ? "web" : "ml";
        RepositoryName repo = RepositoryName.parse(team + "/" + (char) ('a' + i % 5) + "pp" + i);
        push(registry, repo, "1", shared);
        if (i % 4 == 0) {
          push(registry, repo, "2", shared);
        }
      }

      store.latencyMillis = 2;
      store.mostInFlight.set(0); // the pushes check references side by side
      long t0 = System.nanoTime();
      List<String> sequential = scan(store, 1);
      long sequentialMillis = (System.nanoTime() - t0) / 1_000_000;
      assertThat(store.mostInFlight.get()).isEqualTo(1);

      store.mostInFlight.set(0);
      long t1 = System.nanoTime();
      List<String> parallel = scan(store, QuotaLedger.SCAN_PARALLELISM);
      long parallelMillis = (System.nanoTime() - t1) / 1_000_000;

      assertThat(parallel).isEqualTo(sequential);
      assertThat(sequential.getFirst()).doesNotContain(" 0 bytes");
      assertThat(store.mostInFlight.get())
          .isGreaterThan(1)
          .isLessThanOrEqualTo(QuotaLedger.SCAN_PARALLELISM);
      System.out.printf(
          "quota scan of %d repositories, 2 ms per read or listing: one call at a time %d ms,"
              + " %d at once %d ms%n",
          REPOSITORIES, sequentialMillis, QuotaLedger.SCAN_PARALLELISM, parallelMillis);
    }
  }
}
