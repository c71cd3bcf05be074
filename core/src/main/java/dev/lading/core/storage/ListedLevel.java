package dev.lading.core.storage;

import java.util.List;
import java.util.Optional;

/**
 * One page of one level of the key tree ({@link ObjectStore#listLevel}): the objects directly under
 * the prefix and the deeper prefixes ({@code <prefix><segment>/}), each in key order; {@code
 * truncated} when more entries of either kind follow.
 */
public record ListedLevel(List<String> prefixes, List<ListedObject> objects, boolean truncated) {
  public ListedLevel {
    prefixes = List.copyOf(prefixes);
    objects = List.copyOf(objects);
  }

  /** The greatest entry of the page (a key or a prefix), where the next page starts after. */
  public Optional<String> lastEntry() {
    String last = null;
    if (!prefixes.isEmpty()) {
      last = prefixes.get(prefixes.size() - 1);
    }
    if (!objects.isEmpty()) {
      String key = objects.get(objects.size() - 1).key();
      if (last == null || key.compareTo(last) > 0) {
        last = key;
      }
    }
    return Optional.ofNullable(last);
  }
}
