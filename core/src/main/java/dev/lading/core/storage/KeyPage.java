package dev.lading.core.storage;

import java.util.List;

/** One page of a listing, in ascending key order; {@code truncated} when more keys follow. */
public record KeyPage(List<String> keys, boolean truncated) {
  public KeyPage {
    keys = List.copyOf(keys);
  }
}
