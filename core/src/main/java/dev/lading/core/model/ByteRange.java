package dev.lading.core.model;

/**
 * An inclusive byte range {@code [first, last]} already resolved against a known length, as a
 * {@code Content-Range} header states it. Parsing of {@code Range} headers lives in the server;
 * this type only guarantees the range is inside the object.
 */
public record ByteRange(long first, long last) {
  public ByteRange {
    if (first < 0 || last < first) {
      throw new IllegalArgumentException("invalid range " + first + "-" + last);
    }
  }

  public static ByteRange whole(long size) {
    if (size <= 0) {
      throw new IllegalArgumentException("an empty object has no byte range");
    }
    return new ByteRange(0, size - 1);
  }

  public long length() {
    return last - first + 1;
  }

  public boolean fitsIn(long size) {
    return last < size;
  }
}
