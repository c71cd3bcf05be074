package dev.lading.core.registry;

import dev.lading.core.model.Digest;

/** A stored manifest, byte for byte as it was pushed, with the media type it was pushed as. */
public record ManifestContent(Digest digest, String mediaType, byte[] body) {
  public ManifestInfo info() {
    return new ManifestInfo(digest, mediaType, body.length);
  }
}
