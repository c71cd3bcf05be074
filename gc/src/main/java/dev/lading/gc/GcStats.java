package dev.lading.gc;

import java.util.List;

/**
 * What one run did (or, dry, would do): counters a metrics module can export as they are, and the
 * swept items for a dry-run's report.
 *
 * @param protectedByFence candidates a pusher marked or re-linked while the run went on, kept
 * @param retention what the retention policies removed, each with its policy and reason
 * @param abandonedWrites residue of dead multipart writes the store removed (S3: multipart uploads
 *     aborted, tail objects deleted), see {@code ObjectStore#sweepAbandonedWrites}
 */
public record GcStats(
    boolean dryRun,
    int repositories,
    int manifestsKept,
    int manifestsSwept,
    int referrerEntriesSwept,
    int layerLinksSwept,
    int blobsSwept,
    long bytesFreed,
    int strayDataSwept,
    int uploadsExpired,
    int abandonedWrites,
    int protectedByFence,
    long markMillis,
    long sweepMillis,
    List<SweptItem> items,
    List<RetentionAction> retention) {

  public GcStats {
    items = List.copyOf(items);
    retention = List.copyOf(retention);
  }

  /** Tags retention removed (or, dry, would remove). */
  public long tagsUntagged() {
    return retention.stream().filter(a -> a.kind() == RetentionAction.Kind.UNTAG).count();
  }

  /** Untagged manifests retention expired and the sweep removed (or, dry, would remove). */
  public long manifestsExpired() {
    return retention.stream().filter(a -> a.kind() == RetentionAction.Kind.DELETE_MANIFEST).count();
  }

  /** One object that went (or would go); {@code bytes} is the data it frees, 0 for links. */
  public record SweptItem(Kind kind, String what, long bytes) {}

  public enum Kind {
    MANIFEST,
    REFERRER_ENTRY,
    LAYER_LINK,
    BLOB,
    STRAY_DATA,
    UPLOAD,
    ABANDONED_WRITE
  }

  public String summary() {
    return (dryRun ? "dry-run: " : "")
        + (retention.isEmpty()
            ? ""
            : (dryRun ? "retention would untag " : "retention untagged ")
                + tagsUntagged()
                + " tags and expire"
                + (dryRun ? " " : "d ")
                + manifestsExpired()
                + " untagged manifests; ")
        + (dryRun ? "would sweep " : "swept ")
        + manifestsSwept
        + " manifests, "
        + layerLinksSwept
        + " layer links, "
        + referrerEntriesSwept
        + " referrer entries, "
        + blobsSwept
        + " blobs ("
        + ByteSize.human(bytesFreed)
        + "), "
        + strayDataSwept
        + " stray data objects, "
        + uploadsExpired
        + " expired uploads, "
        + abandonedWrites
        + " abandoned writes; kept "
        + manifestsKept
        + " manifests in "
        + repositories
        + " repositories; "
        + protectedByFence
        + " protected by the fence; mark "
        + markMillis
        + " ms, sweep "
        + sweepMillis
        + " ms";
  }
}
