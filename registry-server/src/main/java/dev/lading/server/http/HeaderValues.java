package dev.lading.server.http;

import dev.lading.core.error.ErrorCode;

/** Strict parsing of numeric header and query values: digits only, bounded, never echoed raw. */
final class HeaderValues {
  private HeaderValues() {}

  static long nonNegativeLong(String value, String name) {
    String v = value.strip();
    if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw ErrorCode.BAD_REQUEST.exception("invalid " + name + " header").withDetail(shown(value));
    }
    return Long.parseLong(v);
  }

  /** A client value cut to a length safe to show in an error detail (JSON escapes the rest). */
  static String shown(String value) {
    return value.length() > 64 ? value.substring(0, 64) + "..." : value;
  }
}
