package dev.lading.server.http;

import dev.lading.core.error.ErrorCode;

/** Strict parsing of numeric header and query values: digits only, bounded, never echoed raw. */
final class HeaderValues {
  private HeaderValues() {}

  /** A length header's value; one that is no length is the spec's {@code SIZE_INVALID}. */
  static long nonNegativeLong(String value, String name) {
    String v = value.strip();
    if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw ErrorCode.SIZE_INVALID
          .exception("invalid " + name + " header")
          .withDetail(shown(value));
    }
    return Long.parseLong(v);
  }

  /** A client value cut to a length safe to show in an error detail (JSON escapes the rest). */
  static String shown(String value) {
    return value.length() > 64 ? value.substring(0, 64) + "..." : value;
  }
}
