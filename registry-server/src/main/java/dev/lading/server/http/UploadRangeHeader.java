package dev.lading.server.http;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code Content-Range} of an upload chunk: {@code <start>-<end>} inclusive as the spec writes
 * it, also accepted with the RFC's {@code bytes } prefix and a {@code /<total>} suffix (some
 * clients send them). A header that does not parse, ends before it starts, or ends at or past its
 * own total is {@code 400 BLOB_UPLOAD_INVALID}: it is checked before any body byte is taken, so the
 * session stays as it was. A well-formed range that does not start at the session's offset is the
 * core's {@code 416} (spec: chunks out of order).
 */
record UploadRangeHeader(long start, long end) {
  private static final Pattern GRAMMAR =
      Pattern.compile("\\s*(?:bytes[ =]\\s*)?(\\d{1,18})-(\\d{1,18})(?:/(?:(\\d{1,18})|\\*))?\\s*");

  static UploadRangeHeader parse(String header) {
    Matcher m = GRAMMAR.matcher(header);
    if (!m.matches()) {
      throw invalid("malformed Content-Range header", header);
    }
    long start = Long.parseLong(m.group(1));
    long end = Long.parseLong(m.group(2));
    if (end < start) {
      throw invalid("Content-Range ends before it starts", header);
    }
    if (m.group(3) != null && end >= Long.parseLong(m.group(3))) {
      throw invalid("Content-Range ends past its own total", header);
    }
    return new UploadRangeHeader(start, end);
  }

  private static RegistryException invalid(String why, String header) {
    return ErrorCode.BLOB_UPLOAD_INVALID.exception(why).withDetail(HeaderValues.shown(header));
  }

  long length() {
    return end - start + 1;
  }
}
