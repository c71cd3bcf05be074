package dev.lading.server.http;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.model.ByteRange;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code Range} request header resolved against a blob's size: exactly one range of the
 * {@code bytes} unit ({@code a-b}, {@code a-}, {@code -n}). A header in another unit
 * ({@code items=0-1}) is ignored, as RFC 9110 §14.2 requires: the client did not ask for bytes,
 * so the whole blob is the answer. A {@code bytes} header that cannot be honoured exactly is
 * refused with {@code 416 RANGE_INVALID}, never answered with the whole blob: see the package
 * documentation for why (peer-to-peer caches corrupt their copy when a ranged request gets a
 * 200). Several ranges are refused too: no registry client asks for them, and a
 * {@code multipart/byteranges} answer would be one more thing for a cache to misread.
 *
 * <p>Positions have no length limit in the RFC. One beyond what a {@code long} holds is past the
 * end of any blob, so it counts as {@link Long#MAX_VALUE}: a last position that large is cut at
 * the blob's end, a first one is unsatisfiable, a suffix that long is the whole blob.
 */
final class ByteRangeHeader {
  /** RFC 9110 §5.6.2's token: what a range unit must be. */
  private static final Pattern UNIT = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final Pattern SINGLE =
      Pattern.compile("\\s*(?:(\\d+)\\s*-\\s*(\\d*)|-\\s*(\\d+))\\s*");

  private ByteRangeHeader() {}

  /**
   * @return the range to send, or empty when the header is in a unit other than bytes and is to
   *     be ignored
   * @throws RegistryException {@code RANGE_INVALID} when a bytes header is malformed, asks for
   *     several ranges, or no byte of it lies inside the blob
   */
  static Optional<ByteRange> resolve(String header, long size) {
    int equals = header.indexOf('=');
    String unit = equals < 0 ? "" : header.substring(0, equals).strip();
    if (!UNIT.matcher(unit).matches()) {
      throw unsatisfiable("malformed Range header", header);
    }
    if (!unit.equalsIgnoreCase("bytes")) {
      return Optional.empty();
    }
    String set = header.substring(equals + 1);
    if (set.indexOf(',') >= 0) {
      throw unsatisfiable("multiple ranges are not supported", header);
    }
    Matcher m = SINGLE.matcher(set);
    if (!m.matches()) {
      throw unsatisfiable("malformed Range header", header);
    }
    if (size == 0) {
      throw unsatisfiable("the blob is empty", header);
    }
    if (m.group(3) != null) {
      long suffix = position(m.group(3));
      if (suffix == 0) {
        throw unsatisfiable("a suffix range of zero bytes", header);
      }
      return Optional.of(new ByteRange(Math.max(0, size - suffix), size - 1));
    }
    long first = position(m.group(1));
    long last = m.group(2).isEmpty() ? size - 1 : position(m.group(2));
    if (first >= size) {
      throw unsatisfiable("the range starts after the blob ends", header);
    }
    if (last < first) {
      throw unsatisfiable("the range ends before it starts", header);
    }
    return Optional.of(new ByteRange(first, Math.min(last, size - 1)));
  }

  /** Digits as a position; more than a {@code long} holds is {@link Long#MAX_VALUE}. */
  private static long position(String digits) {
    String d = digits.replaceFirst("^0+(?=\\d)", "");
    return d.length() > 18 ? Long.MAX_VALUE : Long.parseLong(d);
  }

  private static RegistryException unsatisfiable(String why, String header) {
    return ErrorCode.RANGE_INVALID.exception(why).withDetail(HeaderValues.shown(header));
  }
}
