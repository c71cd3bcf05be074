package dev.lading.server.http;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.model.ByteRange;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code Range} request header resolved against a blob's size: exactly one range of the
 * {@code bytes} unit ({@code a-b}, {@code a-}, {@code -n}). Anything else is refused with
 * {@code 416 RANGE_INVALID}, never answered with the whole blob: see the package documentation
 * for why (peer-to-peer caches corrupt their copy when a ranged request gets a 200). Several
 * ranges are refused too: no registry client asks for them, and a {@code multipart/byteranges}
 * answer would be one more thing for a cache to misread.
 */
final class ByteRangeHeader {
  private static final Pattern SINGLE =
      Pattern.compile("\\s*bytes\\s*=\\s*(?:(\\d{1,18})\\s*-\\s*(\\d{0,18})|-\\s*(\\d{1,18}))\\s*",
          Pattern.CASE_INSENSITIVE);

  private ByteRangeHeader() {}

  /**
   * @throws RegistryException {@code RANGE_INVALID} when the header is malformed, asks for several
   *     ranges, or no byte of it lies inside the blob
   */
  static ByteRange resolve(String header, long size) {
    if (header.indexOf(',') >= 0) {
      throw unsatisfiable("multiple ranges are not supported", header);
    }
    Matcher m = SINGLE.matcher(header);
    if (!m.matches()) {
      throw unsatisfiable("malformed Range header", header);
    }
    if (size == 0) {
      throw unsatisfiable("the blob is empty", header);
    }
    if (m.group(3) != null) {
      long suffix = Long.parseLong(m.group(3));
      if (suffix == 0) {
        throw unsatisfiable("a suffix range of zero bytes", header);
      }
      return new ByteRange(Math.max(0, size - suffix), size - 1);
    }
    long first = Long.parseLong(m.group(1));
    long last = m.group(2).isEmpty() ? size - 1 : Long.parseLong(m.group(2));
    if (first >= size) {
      throw unsatisfiable("the range starts after the blob ends", header);
    }
    if (last < first) {
      throw unsatisfiable("the range ends before it starts", header);
    }
    return new ByteRange(first, Math.min(last, size - 1));
  }

  private static RegistryException unsatisfiable(String why, String header) {
    return new RegistryException(ErrorCode.RANGE_INVALID, why, HeaderValues.shown(header));
  }
}
