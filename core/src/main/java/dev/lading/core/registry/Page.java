package dev.lading.core.registry;

import dev.lading.core.error.ErrorCode;
import java.util.List;
import java.util.Map;

/**
 * One page of names (tags or repositories) in lexical order. {@code more} is true when names follow
 * the last one returned, so the server adds a {@code Link} header with {@code last=<last item>}.
 */
public record Page(List<String> items, boolean more) {
  public Page {
    items = List.copyOf(items);
  }

  /** A page size a client may ask for: {@code n=0} is an empty page, a negative one a refusal. */
  static void requireValidLimit(int limit) {
    if (limit < 0) {
      throw ErrorCode.PARAMETER_INVALID
          .exception("invalid number of results requested")
          .withDetail(Map.of("n", limit));
    }
  }
}
