package dev.lading.server.http;

import dev.lading.core.model.ByteRange;
import java.util.ArrayList;
import java.util.List;

/**
 * Which parts of a {@code multipart/byteranges} answer a stream store (S3) reads with one ranged
 * read. Lazy pulls ask for many small ranges close together (zstd:chunked asks for one range per
 * file, most of them touching or a few KiB apart), and one GET per part makes a 1024-range request
 * 1024 round trips to the bucket. So parts that follow each other in the answer, each starting less
 * than {@link #GAP_LIMIT_BYTES} after the previous one ended, are one group while the group spans
 * at most {@link #MAX_SPAN_BYTES}; the group is read once, front to back, the gaps read and
 * dropped.
 *
 * <p>What it costs is bounded both ways: under 64 KiB of unwanted bytes per gap (far less than a
 * round trip's worth of bandwidth), and nothing is buffered: the read streams at the client's pace
 * with the gap skipped through a small scratch buffer. Parts in descending order, or farther apart,
 * start a new group; so do parts past the span bound, which is the S3 store's default read window
 * (one group is then one GET). The parts themselves are never changed: the answer has exactly the
 * parts asked for.
 */
final class PartGroups {
  /** Gaps between two parts shorter than this are read through rather than with a new request. */
  static final long GAP_LIMIT_BYTES = 64 * 1024;

  /** The most bytes one group spans, first byte of its first part to last of its last. */
  static final long MAX_SPAN_BYTES = 8L * 1024 * 1024;

  private PartGroups() {}

  /**
   * For each part, in order, the range its group covers (parts of one group get equal ranges; a
   * part alone gets itself).
   */
  static List<ByteRange> plan(List<ByteRange> parts) {
    List<ByteRange> out = new ArrayList<>(parts.size());
    int start = 0;
    while (start < parts.size()) {
      int end = start + 1; // exclusive
      long first = parts.get(start).first();
      while (end < parts.size()) {
        ByteRange previous = parts.get(end - 1);
        ByteRange next = parts.get(end);
        boolean after = next.first() > previous.last();
        if (!after
            || next.first() - previous.last() - 1 >= GAP_LIMIT_BYTES
            || next.last() - first + 1 > MAX_SPAN_BYTES) {
          break;
        }
        end++;
      }
      ByteRange covering = new ByteRange(first, parts.get(end - 1).last());
      for (int i = start; i < end; i++) {
        out.add(covering);
      }
      start = end;
    }
    return out;
  }

  /** Every part its own group: what a store that hands out files gets. */
  static List<ByteRange> eachAlone(List<ByteRange> parts) {
    return List.copyOf(parts);
  }
}
