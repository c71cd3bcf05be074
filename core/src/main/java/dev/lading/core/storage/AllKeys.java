package dev.lading.core.storage;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Every key under a prefix, page after page, for listings known to stay small (a repository's tags,
 * a subject's referrers, GC intents, event batches): the callers that must bound memory over huge
 * listings page themselves.
 */
public final class AllKeys {
  /** Keys per listing call. */
  static final int PAGE = 1000;

  private AllKeys() {}

  public static List<String> under(ObjectStore store, String prefix) throws IOException {
    List<String> keys = new ArrayList<>();
    Optional<String> after = Optional.empty();
    while (true) {
      KeyPage page = store.list(prefix, after, PAGE);
      keys.addAll(page.keys());
      if (!page.truncated() || page.keys().isEmpty()) {
        return keys;
      }
      after = Optional.of(page.keys().get(page.keys().size() - 1));
    }
  }
}
