package dev.lading.core.storage;

import java.util.List;
import java.util.Optional;

/**
 * One page of a listing with each object's size and time ({@link ObjectStore#listWithInfo}), in
 * ascending key order; {@code truncated} when more keys follow.
 */
public record ListedPage(List<ListedObject> objects, boolean truncated) {
  public ListedPage {
    objects = List.copyOf(objects);
  }

  /** The last key of the page, where the next page starts after. */
  public Optional<String> lastKey() {
    return objects.isEmpty()
        ? Optional.empty()
        : Optional.of(objects.get(objects.size() - 1).key());
  }
}
