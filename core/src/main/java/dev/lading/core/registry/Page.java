package dev.lading.core.registry;

import java.util.List;

/**
 * One page of names (tags or repositories) in lexical order. {@code more} is true when names
 * follow the last one returned, so the server adds a {@code Link} header with
 * {@code last=<last item>}.
 */
public record Page(List<String> items, boolean more) {
  public Page {
    items = List.copyOf(items);
  }
}
