package dev.lading.core.registry;

import dev.lading.core.model.Digest;

/** What {@code HEAD} of a manifest answers. */
public record ManifestInfo(Digest digest, String mediaType, long size) {}
