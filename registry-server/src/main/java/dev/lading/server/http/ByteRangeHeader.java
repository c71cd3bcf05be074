package dev.lading.server.http;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.model.ByteRange;
import dev.lading.server.config.LadingConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code Range} request header resolved against a blob's size: one or more ranges of the {@code
 * bytes} unit ({@code a-b}, {@code a-}, {@code -n}), RFC 9110 §14.1-14.2. A header in another unit
 * ({@code items=0-1}) is ignored, as RFC 9110 §14.2 requires: the client did not ask for bytes, so
 * the whole blob is the answer. A {@code bytes} header that cannot be honoured is refused with
 * {@code 416 UNSUPPORTED}, never answered with the whole blob: see the package documentation for
 * why (peer-to-peer caches corrupt their copy when a ranged request gets a 200).
 *
 * <p>Several ranges ({@code bytes=0-9,100-109}, what lazy pulls send: containers/storage's
 * zstd:chunked and eStargz) resolve to the parts of a {@code multipart/byteranges} answer:
 *
 * <ul>
 *   <li>A range-spec that is malformed, or whose last position is before its first, makes the whole
 *       header invalid (§14.1.1): refused, as one such range alone is. Empty list elements ({@code
 *       0-1,,5-6}) are skipped, as §5.6.1 requires.
 *   <li>More range-specs than {@code maxRanges} are refused with 416 before any is resolved: RFC
 *       9110 §15.5.17 names 416 for "an excessive number of small or overlapping ranges", and
 *       §17.15 lets a server reject them. Not a whole-body 200 (the package documentation says
 *       why), and not coalescing down to the cap either: containers/image, which reads the parts of
 *       its own multi-range requests, takes them in order and fails when it gets fewer parts than
 *       it asked for, so a merged answer would break it halfway through the body where a 416 fails
 *       before any byte. The default cap is what containers/storage asks for at most in one request
 *       (its {@code maxNumberMissingChunks}, 1024).
 *   <li>Unsatisfiable ranges (starting at or after the end, a zero-length suffix) are dropped and
 *       the rest served (§14.2); when none is left the header is refused.
 *   <li>Ranges that overlap (share at least one byte) are coalesced into one part (§15.3.7.2 allows
 *       it), so no byte is ever sent twice however the ranges are stacked: the answer is never
 *       larger than the blob plus one part header per part, which is what makes {@code
 *       bytes=0-,0-,0-,...} harmless (§17.15). Ranges that only touch ({@code 0-9,10-19}) stay two
 *       parts, and ranges with bytes between them are never merged, not even across a gap smaller
 *       than a part header, which §15.3.7.2 would allow: containers/image counts the parts (see
 *       above), and containers/storage asks for touching ranges itself. Its zstd:chunked pulls
 *       (storage 1.43, podman 4.3) ask for one range per missing file, each ending where the next
 *       file's begins ({@code bytes=161-300384,300385-600648,...}); one merged part for those made
 *       podman give up the partial pull ("invalid number of chunks returned by the server") and
 *       download the whole layer again. Touching parts cost a part header each and never a byte
 *       twice; {@code limits.max_ranges} bounds how many there are.
 *   <li>Parts go out in the order of the header (§15.3.7.2: SHOULD), a coalesced part where the
 *       first of its ranges was: containers/image matches parts to its ranges by position, not by
 *       their {@code Content-Range}, and it asks in ascending order, so for it the parts are sorted
 *       too.
 * </ul>
 *
 * <p>Positions have no length limit in the RFC. One beyond what a {@code long} holds is past the
 * end of any blob, so it counts as {@link Long#MAX_VALUE}: a last position that large is cut at the
 * blob's end, a first one is unsatisfiable, a suffix that long is the whole blob.
 */
final class ByteRangeHeader {
  /** The default of {@code limits.max_ranges}: containers/storage's largest request. */
  static final int DEFAULT_MAX_RANGES = LadingConfig.Limits.DEFAULT_MAX_RANGES;

  /** RFC 9110 §5.6.2's token: what a range unit must be. */
  private static final Pattern UNIT = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  private static final Pattern SINGLE =
      Pattern.compile("\\s*(?:(\\d+)\\s*-\\s*(\\d*)|-\\s*(\\d+))\\s*");

  private ByteRangeHeader() {}

  /**
   * What a {@code bytes} header asks for: the parts to send, in the order to send them, and whether
   * the answer is {@code multipart/byteranges} (the header named more than one range, even when one
   * part is left; RFC 9110 §15.3.7.2 allows that, and such a client said it reads multipart) or a
   * plain {@code 206} (exactly one range, §15.3.7.2 forbids multipart then).
   */
  record Ranges(List<ByteRange> parts, boolean multipart) {
    Ranges {
      parts = List.copyOf(parts);
      if (parts.isEmpty() || !multipart && parts.size() != 1) {
        throw new IllegalArgumentException("a single range is one part");
      }
    }

    /** The one part of a single-range answer. */
    ByteRange single() {
      return parts.get(0);
    }
  }

  /** Resolves a header with the default cap on the number of ranges. */
  static Optional<Ranges> resolve(String header, long size) {
    return resolve(header, size, DEFAULT_MAX_RANGES);
  }

  /**
   * @return the parts to send, or empty when the header is in a unit other than bytes and is to be
   *     ignored
   * @throws RegistryException {@code RANGE_NOT_SATISFIABLE} when a bytes header is malformed, names
   *     more than {@code maxRanges} ranges, or no byte of it lies inside the blob
   */
  static Optional<Ranges> resolve(String header, long size, int maxRanges) {
    int equals = header.indexOf('=');
    String unit = equals < 0 ? "" : header.substring(0, equals).strip();
    if (!UNIT.matcher(unit).matches()) {
      throw unsatisfiable("malformed Range header", header);
    }
    if (!unit.equalsIgnoreCase("bytes")) {
      return Optional.empty();
    }
    List<String> specs = specs(header.substring(equals + 1));
    if (specs.isEmpty()) {
      throw unsatisfiable("malformed Range header", header);
    }
    if (specs.size() > maxRanges) {
      throw unsatisfiable("more than " + maxRanges + " ranges", header);
    }
    List<Indexed> satisfiable = new ArrayList<>(specs.size());
    String firstUnsatisfiable = null;
    for (int i = 0; i < specs.size(); i++) {
      Matcher m = SINGLE.matcher(specs.get(i));
      if (!m.matches()) {
        throw unsatisfiable("malformed Range header", header);
      }
      String why = null;
      ByteRange range = null;
      if (m.group(3) != null) {
        long suffix = position(m.group(3));
        if (size == 0) {
          why = "the blob is empty";
        } else if (suffix == 0) {
          why = "a suffix range of zero bytes";
        } else {
          range = new ByteRange(Math.max(0, size - suffix), size - 1);
        }
      } else {
        long first = position(m.group(1));
        long last = m.group(2).isEmpty() ? Long.MAX_VALUE : position(m.group(2));
        if (last < first) {
          // Invalid, not just unsatisfiable (§14.1.1): the whole header is.
          throw unsatisfiable("the range ends before it starts", header);
        }
        if (size == 0) {
          why = "the blob is empty";
        } else if (first >= size) {
          why = "the range starts after the blob ends";
        } else {
          range = new ByteRange(first, Math.min(last, size - 1));
        }
      }
      if (range != null) {
        satisfiable.add(new Indexed(i, range));
      } else if (firstUnsatisfiable == null) {
        firstUnsatisfiable = why;
      }
    }
    if (satisfiable.isEmpty()) {
      throw unsatisfiable(
          specs.size() == 1 ? firstUnsatisfiable : "no range lies inside the blob", header);
    }
    if (specs.size() == 1) {
      return Optional.of(new Ranges(List.of(satisfiable.get(0).range()), false));
    }
    return Optional.of(new Ranges(coalesce(satisfiable), true));
  }

  /**
   * True when the header asks for several byte ranges: a blob GET must then be answered here, not
   * redirected to the store, since S3 serves one range per GET (several get the whole object).
   */
  static boolean asksForSeveral(String header) {
    int equals = header.indexOf('=');
    return equals >= 0
        && header.substring(0, equals).strip().equalsIgnoreCase("bytes")
        && specs(header.substring(equals + 1)).size() > 1;
  }

  /** The non-empty elements of a range-set list (RFC 9110 §5.6.1: empty ones are skipped). */
  private static List<String> specs(String set) {
    List<String> specs = new ArrayList<>();
    int start = 0;
    while (start <= set.length()) {
      int comma = set.indexOf(',', start);
      int end = comma < 0 ? set.length() : comma;
      String element = set.substring(start, end);
      if (!element.isBlank()) {
        specs.add(element);
      }
      start = end + 1;
    }
    return specs;
  }

  /**
   * Merges ranges that overlap: sorted by position, each group of ranges sharing bytes becomes one
   * part, and the parts keep the order of the header (a group where its earliest range in the
   * header was). Ranges that only touch stay apart (see the class documentation). Linear after the
   * sort, however the ranges are stacked.
   */
  private static List<ByteRange> coalesce(List<Indexed> ranges) {
    List<Indexed> byPosition = new ArrayList<>(ranges);
    byPosition.sort(
        Comparator.comparingLong((Indexed r) -> r.range().first())
            .thenComparingInt(Indexed::index));
    List<Indexed> groups = new ArrayList<>();
    Indexed open = byPosition.get(0);
    for (int i = 1; i < byPosition.size(); i++) {
      Indexed next = byPosition.get(i);
      if (next.range().first() <= open.range().last()) {
        open =
            new Indexed(
                Math.min(open.index(), next.index()),
                new ByteRange(
                    open.range().first(), Math.max(open.range().last(), next.range().last())));
      } else {
        groups.add(open);
        open = next;
      }
    }
    groups.add(open);
    groups.sort(Comparator.comparingInt(Indexed::index));
    return groups.stream().map(Indexed::range).toList();
  }

  /** A resolved range and the place of its range-spec in the header. */
  private record Indexed(int index, ByteRange range) {}

  /** Digits as a position; more than a {@code long} holds is {@link Long#MAX_VALUE}. */
  private static long position(String digits) {
    String d = digits.replaceFirst("^0+(?=\\d)", "");
    return d.length() > 18 ? Long.MAX_VALUE : Long.parseLong(d);
  }

  private static RegistryException unsatisfiable(String why, String header) {
    return ErrorCode.RANGE_NOT_SATISFIABLE.exception(why).withDetail(HeaderValues.shown(header));
  }
}
