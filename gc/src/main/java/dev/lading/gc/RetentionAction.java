package dev.lading.gc;

import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import java.util.Optional;

/**
 * One thing retention removed (or, dry, would remove), and why: a tag no policy keeps, or an
 * untagged manifest past its policy's {@code untagged_for} that nothing kept needs.
 *
 * @param tag the tag removed; empty for a manifest
 * @param digest the manifest the tag named, or the manifest removed
 * @param policy the policy that decided ({@link RetentionPolicy#name()})
 * @param reason the rule, in words ({@code beyond keep_last 5 (7th newest)})
 * @param bytes for a manifest: the bytes of blobs the run sweeps because it went (the manifest and
 *     the layers no other kept image shares; a blob two removed manifests shared is counted once,
 *     with the first); 0 for a tag, whose bytes go with its manifest
 */
public record RetentionAction(
    Kind kind,
    RepositoryName repository,
    Optional<String> tag,
    Digest digest,
    String policy,
    String reason,
    long bytes) {

  /** What retention removes. */
  public enum Kind {
    UNTAG,
    DELETE_MANIFEST
  }

  RetentionAction withBytes(long value) {
    return new RetentionAction(kind, repository, tag, digest, policy, reason, value);
  }

  /** One line for the dry-run report and the log. */
  public String describe() {
    String what =
        kind == Kind.UNTAG
            ? "untag " + repository + ":" + tag.orElse("?") + " (" + digest + ")"
            : "delete " + repository + "@" + digest;
    return what
        + " by "
        + policy
        + ": "
        + reason
        + (kind == Kind.DELETE_MANIFEST ? "; frees " + ByteSize.human(bytes) : "");
  }
}
