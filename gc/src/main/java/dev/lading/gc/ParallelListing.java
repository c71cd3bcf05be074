package dev.lading.gc;

import dev.lading.core.storage.ListedLevel;
import dev.lading.core.storage.ListedObject;
import dev.lading.core.storage.ListedPage;
import dev.lading.core.storage.ObjectStore;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Every object under a prefix, with its size and time, listed as narrow prefixes side by side when
 * the store answers few keys a call (S3: 1,000).
 *
 * <p>Why: a listing continued page after page is one round trip after another, and on some servers
 * each page costs as much as the whole prefix (S3Proxy's filesystem backend walks, stats and sorts
 * every key under the prefix for every page: 120,000 repository keys in 1,000-key pages cost 120
 * walks of 120,000, the 645 s mark GcBench measured). So no call here covers more than it must:
 *
 * <ul>
 *   <li>A directory-like prefix ({@code repositories/}) is read one level at a time ({@link
 *       ObjectStore#listLevel}, S3's delimiter listing), and its sub-prefixes are walked in
 *       parallel: each repository's links are listed under the repository's own prefix.
 *   <li>A level too big for one call that holds only objects (a flat directory like {@code
 *       blobs/sha256/}) is split by the next character: when a page is truncated at key {@code K},
 *       the rest is the keys of {@code prefix + K[n]} after {@code K} plus every {@code prefix + c}
 *       for the characters {@code c > K[n]} the layout allows there ({@code n} the prefix's
 *       length), each listed the same way, in parallel. A split is made only while it adds
 *       parallelism (fewer character branches in flight than the bound); past that a branch pages
 *       on, since more branches only add calls (S3Proxy reads the whole directory for each one).
 *       100,000 hex-named records become 16 branches of about 7 pages each.
 * </ul>
 *
 * Calls in flight are bounded by one gate however deep the walk. Stores that read a whole directory
 * per call whatever the limit (the filesystem store, {@link ObjectStore#keysPerListCall()} at least
 * {@link #LARGE_PAGE}) are listed in large pages one after another instead: splitting would only
 * re-read the directory.
 */
final class ParallelListing {
  /** Keys per call for stores that answer many per call; also the bound below which we split. */
  static final int LARGE_PAGE = 100_000;

  /**
   * Characters a key may hold (segments of {@code [A-Za-z0-9._-]} joined by {@code /}), in byte
   * order.
   */
  static final String KEY_CHARS =
      "-./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";

  private static final int MAX_KEY_LENGTH = 1024;

  private final ObjectStore store;
  private final BoundedCalls calls;

  /** Listing calls in flight, across all levels of the split (a waiting parent holds none). */
  private final Semaphore inFlight;

  private final LongAdder listCalls = new LongAdder();

  private final int parallelism;

  ParallelListing(ObjectStore store, int parallelism) {
    this.store = store;
    this.parallelism = parallelism;
    // Split levels each run their children through their own bound; the gate bounds the calls.
    this.calls = new BoundedCalls(Math.max(2, parallelism));
    this.inFlight = new Semaphore(parallelism);
  }

  /** How many listing calls this lister made so far (for the choice between stat and list). */
  long calls() {
    return listCalls.sum();
  }

  /** Every object under {@code prefix}, in key order; keys may hold any key character after it. */
  List<ListedObject> all(String prefix) throws IOException {
    return all(prefix, KEY_CHARS);
  }

  /**
   * Every object under {@code prefix}, in key order, where the layout promises that the keys hold
   * only {@code alphabet}'s characters after the prefix (hex digits under {@code blobs/sha256/}): a
   * split then probes only those, which matters where a probe is not free (S3Proxy reads the whole
   * parent directory for each call, even an empty one).
   */
  List<ListedObject> all(String prefix, String alphabet) throws IOException {
    int perCall = store.keysPerListCall();
    if (perCall >= LARGE_PAGE) {
      return sequential(prefix);
    }
    return new Walk(Math.max(1, perCall), sorted(alphabet), prefix.length()).node(prefix);
  }

  /**
   * Every object under each of {@code prefixes}, which no key is under twice (a layout's shards),
   * listed side by side; in the order of the prefixes, each in key order.
   */
  List<ListedObject> all(List<String> prefixes) throws IOException {
    List<ListedObject> out = new ArrayList<>();
    calls.map(prefixes, this::all).forEach(out::addAll);
    return out;
  }

  private static String sorted(String alphabet) {
    return alphabet
        .chars()
        .distinct()
        .sorted()
        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
        .toString();
  }

  private List<ListedObject> sequential(String prefix) throws IOException {
    List<ListedObject> out = new ArrayList<>();
    Optional<String> after = Optional.empty();
    while (true) {
      ListedPage page = page(prefix, after, LARGE_PAGE);
      out.addAll(page.objects());
      if (!page.truncated() || page.objects().isEmpty()) {
        return out;
      }
      after = page.lastKey();
    }
  }

  /**
   * One listing of a prefix: the page size and the alphabet the layout allows past {@code
   * alphabetFrom}.
   */
  private final class Walk {
    private final int perCall;
    private final String alphabet;
    private final int alphabetFrom;

    /** Listings of this walk's character splits that go on side by side. */
    private final AtomicInteger chains = new AtomicInteger(1);

    Walk(int perCall, String alphabet, int alphabetFrom) {
      this.perCall = perCall;
      this.alphabet = alphabet;
      this.alphabetFrom = alphabetFrom;
    }

    /**
     * Everything under {@code prefix}. A directory-like prefix (empty or ending in {@code /}) is
     * first read as one level of the tree: when the level fits one call, its deeper prefixes are
     * walked side by side (a repository's links are listed under its own prefix, never as part of
     * one big listing of {@code repositories/}). A level that does not fit one call and holds only
     * objects (a flat directory such as {@code blobs/sha256/}) is split by character.
     */
    List<ListedObject> node(String prefix) throws IOException {
      if (prefix.isEmpty() || prefix.endsWith("/")) {
        ListedLevel level = level(prefix, perCall);
        if (!level.truncated()) {
          TreeMap<String, List<ListedObject>> parts = new TreeMap<>();
          for (ListedObject object : level.objects()) {
            parts.put(object.key(), List.of(object));
          }
          List<List<ListedObject>> below = calls.map(level.prefixes(), this::node);
          for (int i = 0; i < below.size(); i++) {
            parts.put(level.prefixes().get(i), below.get(i));
          }
          List<ListedObject> out = new ArrayList<>();
          parts.values().forEach(out::addAll);
          return out;
        }
        if (level.prefixes().isEmpty() && !level.objects().isEmpty()) {
          // Only objects so far, in key order: exactly the first page of a plain listing.
          return split(prefix, new ListedPage(level.objects(), true));
        }
      }
      return from(prefix, Optional.empty());
    }

    /** Objects under {@code prefix} strictly after {@code after}, in key order. */
    private List<ListedObject> from(String prefix, Optional<String> after) throws IOException {
      ListedPage first = page(prefix, after, perCall);
      if (!first.truncated() || first.objects().isEmpty()) {
        return first.objects();
      }
      return split(prefix, first);
    }

    /**
     * The rest after a truncated page ending at key {@code K}: the keys of {@code prefix + K[n]}
     * after {@code K} (n the prefix's length), then every {@code prefix + c} for the characters
     * {@code c > K[n]}, each listed the same way.
     */
    private List<ListedObject> split(String prefix, ListedPage first) throws IOException {
      String last = first.lastKey().orElseThrow();
      List<Branch> branches = new ArrayList<>();
      int next = 0;
      String chars = prefix.length() >= alphabetFrom ? alphabet : KEY_CHARS;
      if (last.length() > prefix.length()) {
        char at = last.charAt(prefix.length());
        branches.add(new Branch(prefix + at, Optional.of(last)));
        while (next < chars.length() && chars.charAt(next) <= at) {
          next++;
        }
      } // else the last key is the prefix itself: every longer key is still to come
      for (int i = next; i < chars.length(); i++) {
        String child = prefix + chars.charAt(i);
        if (canPrefixAKey(child)) {
          branches.add(new Branch(child, Optional.empty()));
        }
      }
      List<ListedObject> out = new ArrayList<>(first.objects());
      int extra = branches.size() - 1;
      if (chains.addAndGet(extra) > parallelism) {
        // Enough listings run side by side already: more branches would add calls, not speed
        // (and on S3Proxy every call reads the whole directory), so page on from here.
        chains.addAndGet(-extra);
        ListedPage page = first;
        while (page.truncated() && !page.objects().isEmpty()) {
          page = page(prefix, page.lastKey(), perCall);
          out.addAll(page.objects());
        }
        return out;
      }
      try {
        for (List<ListedObject> part :
            calls.map(
                branches,
                b -> b.after().isPresent() ? from(b.prefix(), b.after()) : node(b.prefix()))) {
          out.addAll(part);
        }
      } finally {
        chains.addAndGet(-extra);
      }
      return out;
    }
  }

  private record Branch(String prefix, Optional<String> after) {}

  private ListedPage page(String prefix, Optional<String> after, int limit) throws IOException {
    try {
      inFlight.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("gc interrupted while listing");
    }
    try {
      listCalls.increment();
      return store.listWithInfo(prefix, after, limit);
    } finally {
      inFlight.release();
    }
  }

  private ListedLevel level(String prefix, int limit) throws IOException {
    try {
      inFlight.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("gc interrupted while listing");
    }
    try {
      listCalls.increment();
      return store.listLevel(prefix, Optional.empty(), limit);
    } finally {
      inFlight.release();
    }
  }

  /**
   * Whether some key could start with {@code prefix}: no empty, {@code .} or {@code ..} segment
   * before a slash, and not longer than a key may be. Prefixes no key can have are not listed (the
   * stores refuse them as invalid).
   */
  static boolean canPrefixAKey(String prefix) {
    if (prefix.length() > MAX_KEY_LENGTH) {
      return false;
    }
    if (!prefix.endsWith("/")) {
      return true;
    }
    int start = prefix.lastIndexOf('/', prefix.length() - 2) + 1;
    String segment = prefix.substring(start, prefix.length() - 1);
    return !segment.isEmpty() && !segment.equals(".") && !segment.equals("..");
  }
}
