package dev.lading.events;

import java.util.Locale;

/**
 * The kinds of event, each a CloudEvents {@code type} under {@code dev.lading.}. The short name
 * ({@code manifest.pushed}) is what endpoint filters match.
 */
public enum EventType {
  /** A blob was committed (upload closed, or monolithic push). */
  BLOB_PUSHED,
  /** A blob already in the registry was linked into a repository without an upload. */
  BLOB_MOUNTED,
  /** A manifest was pushed, by digest or with its tags. */
  MANIFEST_PUSHED,
  /** An existing tag now names another manifest (besides its {@code manifest.pushed}). */
  TAG_MOVED,
  TAG_DELETED,
  /** A manifest revision was deleted by digest (with the tags naming it). */
  MANIFEST_DELETED,
  BLOB_DELETED,
  /** A manifest was pulled; sampled, off unless {@code events.pull_sample_rate} is set. */
  MANIFEST_PULLED,
  /** A GC run ended (also a dry run), with its counts. */
  GC_FINISHED;

  /** {@code manifest.pushed}. */
  public String shortName() {
    return name().toLowerCase(Locale.ROOT).replaceFirst("_", ".");
  }

  /** {@code dev.lading.manifest.pushed}, the CloudEvents {@code type}. */
  public String cloudEventType() {
    return "dev.lading." + shortName();
  }
}
