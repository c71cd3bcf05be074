package dev.lading.core.model;

import dev.lading.core.error.ErrorCode;

/** What follows {@code /manifests/} in a URL: a tag or a digest. */
public sealed interface Reference permits Tag, Digest {

  /** A reference with a colon is a digest, otherwise a tag; each is validated by its grammar. */
  static Reference parse(String wire) {
    if (wire == null || wire.isEmpty()) {
      throw ErrorCode.MANIFEST_INVALID.exception("empty reference");
    }
    return wire.indexOf(':') >= 0 ? Digest.parse(wire) : Tag.parse(wire);
  }
}
