package dev.lading.server.http;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code Content-Range} of an upload chunk: {@code <start>-<end>} inclusive as the spec
 * writes it, also accepted with the RFC's {@code bytes } prefix (some clients send it).
 */
record UploadRangeHeader(long start, long end) {
  private static final Pattern GRAMMAR =
      Pattern.compile("\\s*(?:bytes[ =]\\s*)?(\\d{1,18})-(\\d{1,18})(?:/(?:\\d{1,18}|\\*))?\\s*");

  static UploadRangeHeader parse(String header) {
    Matcher m = GRAMMAR.matcher(header);
    if (!m.matches()) {
      throw new RegistryException(ErrorCode.BAD_REQUEST, "malformed Content-Range header", HeaderValues.shown(header));
    }
    long start = Long.parseLong(m.group(1));
    long end = Long.parseLong(m.group(2));
    if (end < start) {
      throw new RegistryException(ErrorCode.RANGE_INVALID, "Content-Range ends before it starts", HeaderValues.shown(header));
    }
    return new UploadRangeHeader(start, end);
  }

  long length() {
    return end - start + 1;
  }
}
