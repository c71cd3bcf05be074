package dev.lading.core.storage;

import java.util.List;

/**
 * One page of a listing with each object's size and time ({@link ObjectStore#listWithInfo}), in
 * ascending key order; {@code truncated} when more keys follow.
 */
public record ListedPage(List<ListedObject> objects, boolean truncated) {
  public ListedPage {
    objects = List.copyOf(objects);
  }

  /** The last key of the page, where the next page starts after. */
  public java.util.Optional<String> lastKey() {
    return objects.isEmpty()
        ? java.util.Optional.empty()
        : java.util.Optional.of(objects.get(objects.size() - 1).key());
  }
}
