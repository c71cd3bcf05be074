package dev.lading.gc;

import dev.lading.core.storage.ListedObject;
import dev.lading.core.storage.ListedPage;
import dev.lading.core.storage.ObjectStore;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;

/**
 * Every object under a prefix, with its size and time, listed as narrower prefixes side by side
 * when the store answers few keys a call (S3: 1,000).
 *
 * <p>Why split: a listing continued page after page is one round trip after another, and on some
 * servers each page costs as much as the whole prefix (S3Proxy's filesystem backend walks and
 * sorts every key under the prefix for every page, so 120,000 keys in 1,000-key pages cost 120
 * walks of 120,000). Splitting by the next character bounds what each call walks and lets calls
 * run in parallel. How: list the prefix; if the page is truncated at key {@code K}, the rest is
 * the keys of {@code prefix + K[n]} after {@code K} plus every {@code prefix + c} for the key
 * characters {@code c > K[n]} ({@code n} the prefix's length), each listed the same way. A
 * narrow prefix that holds no key costs one empty call. The split adapts to where keys are:
 * a prefix of 500 keys costs one call, one of 100,000 under a shared first character is split
 * as deep as needed, and no layout knowledge is built in.
 *
 * <p>Stores that read a whole directory per call whatever the limit (the filesystem store,
 * {@link ObjectStore#keysPerListCall()} at least {@link #LARGE_PAGE}) are listed in large pages,
 * one after another: splitting would only re-read the directory.
 */
final class ParallelListing {
  /** Keys per call for stores that answer many per call; also the bound below which we split. */
  static final int LARGE_PAGE = 100_000;
  /** Characters a key may hold (segments of {@code [A-Za-z0-9._-]} joined by {@code /}), in byte order. */
  static final String KEY_CHARS =
      "-./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
  private static final int MAX_KEY_LENGTH = 1024;

  private final ObjectStore store;
  private final BoundedCalls calls;
  /** Listing calls in flight, across all levels of the split (a waiting parent holds none). */
  private final Semaphore inFlight;
  private final LongAdder listCalls = new LongAdder();

  ParallelListing(ObjectStore store, int parallelism) {
    this.store = store;
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
   * Every object under {@code prefix}, in key order, where the layout promises that the keys
   * hold only {@code alphabet}'s characters after the prefix (hex digits under {@code blobs/sha256/}):
   * a split then probes only those, which matters where a probe is not free (S3Proxy reads the
   * whole parent directory for each call, even an empty one).
   */
  List<ListedObject> all(String prefix, String alphabet) throws IOException {
    int perCall = store.keysPerListCall();
    if (perCall >= LARGE_PAGE) {
      return sequential(prefix);
    }
    return from(prefix, Optional.empty(), Math.max(1, perCall), sorted(alphabet), prefix.length());
  }

  private static String sorted(String alphabet) {
    return alphabet.chars().distinct().sorted()
        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
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
   * Objects under {@code prefix} strictly after {@code after}, in key order. A truncated page
   * ending at key {@code K} leaves exactly the keys that leave {@code K}'s path at some depth
   * {@code d} with a greater character. The page's keys all share their common prefix
   * {@code L}, so nothing diverges there from a key of the page; the rest is, for each depth
   * {@code d} from the prefix's end to {@code L}'s end, the siblings {@code K[0,d) + c} with
   * {@code c > K[d]} (listed fresh), plus the keys under {@code K[0,|L|]} after {@code K} (the
   * continuation). Jumping to {@code L} matters on servers whose call walks the whole prefix:
   * {@code repositories/} of one bench repository is listed at {@code repositories/bench/repo-0/...}
   * straight away, not one character deeper per call.
   */
  private List<ListedObject> from(
      String prefix, Optional<String> after, int perCall, String alphabet, int alphabetFrom)
      throws IOException {
    ListedPage first = page(prefix, after, perCall);
    if (!first.truncated() || first.objects().isEmpty()) {
      return first.objects();
    }
    String head = first.objects().get(0).key();
    String last = first.lastKey().orElseThrow();
    int common = prefix.length();
    while (common < head.length() && common < last.length()
        && head.charAt(common) == last.charAt(common)) {
      common++;
    }
    List<Branch> branches = new ArrayList<>();
    if (common < last.length()) {
      branches.add(new Branch(last.substring(0, common + 1), Optional.of(last)));
    }
    for (int d = Math.min(common, last.length()); d >= prefix.length(); d--) {
      // Within the layout's fixed part (before alphabetFrom) any key character may follow.
      String chars = d >= alphabetFrom ? alphabet : KEY_CHARS;
      int next = 0;
      if (d < last.length()) {
        char at = last.charAt(d);
        while (next < chars.length() && chars.charAt(next) <= at) {
          next++;
        }
      }
      for (int i = next; i < chars.length(); i++) {
        String child = last.substring(0, d) + chars.charAt(i);
        if (canPrefixAKey(child)) {
          branches.add(new Branch(child, Optional.empty()));
        }
      }
    }
    // In key order: the continuation first, then siblings from the deepest level up.
    List<ListedObject> out = new ArrayList<>(first.objects());
    for (List<ListedObject> part : calls.map(branches,
        b -> from(b.prefix(), b.after(), perCall, alphabet, alphabetFrom))) {
      out.addAll(part);
    }
    return out;
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

  /**
   * Whether some key could start with {@code prefix}: no empty, {@code .} or {@code ..} segment
   * before a slash, and not longer than a key may be. Prefixes no key can have are not listed
   * (the stores refuse them as invalid).
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
