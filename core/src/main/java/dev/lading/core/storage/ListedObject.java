package dev.lading.core.storage;

import java.util.Objects;

/** One key of a listing with what the store knows of its object, as the listing told it. */
public record ListedObject(String key, ObjectInfo info) {
  public ListedObject {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(info, "info");
  }
}
