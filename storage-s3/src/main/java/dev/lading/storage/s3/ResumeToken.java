package dev.lading.storage.s3;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * What a suspended S3 multipart write needs to continue anywhere, small enough for an upload
 * session's state (under 200 bytes): no part ETags, which ListParts gives back at complete.
 *
 * <p>The write's bytes are {@code parts} full parts of {@code partSize} in the multipart upload
 * (none, and no upload yet, while everything still fits in the tail), then {@code tailSize} bytes
 * in the tail object of {@code generation}. Each suspend that adds bytes writes the tail of the
 * next generation, so the token it replaces stays whole until the session has moved on; the one
 * before that ({@code olderTail}) is deleted then.
 *
 * @param uploadId the S3 multipart upload id, empty until the first full part
 * @param partSize bytes of every part but the last; fixed for the life of the upload
 * @param parts full parts uploaded, numbered 1 to {@code parts}
 * @param tailSize bytes after the parts, kept in the tail object
 * @param generation how many suspends added bytes; names the tail object
 * @param olderTail whether generation {@code generation - 1} left a tail object to delete
 */
record ResumeToken(
    Optional<String> uploadId,
    long partSize,
    int parts,
    long tailSize,
    int generation,
    boolean olderTail) {
  private static final String MAGIC = "s3mp1";

  ResumeToken {
    if (uploadId.isPresent() && uploadId.get().isEmpty()) {
      throw new IllegalArgumentException("empty upload id");
    }
    if (partSize < S3StoreConfig.MIN_PART_SIZE || partSize > S3StoreConfig.MAX_PART_SIZE) {
      throw new IllegalArgumentException("part size out of range");
    }
    if (parts < 0 || parts > S3StoreConfig.MAX_PARTS) {
      throw new IllegalArgumentException("part count out of range");
    }
    if (parts > 0 && uploadId.isEmpty()) {
      throw new IllegalArgumentException("parts without an upload id");
    }
    if (tailSize < 0 || tailSize >= partSize) {
      throw new IllegalArgumentException("tail size out of range");
    }
    if (generation < 0) {
      throw new IllegalArgumentException("negative generation");
    }
  }

  static ResumeToken fresh(long partSize) {
    return new ResumeToken(Optional.empty(), partSize, 0, 0, 0, false);
  }

  /** Bytes the token makes durable. */
  long size() {
    return parts * partSize + tailSize;
  }

  String encode() {
    String id =
        uploadId
            .map(
                u ->
                    Base64.getUrlEncoder()
                        .withoutPadding()
                        .encodeToString(u.getBytes(StandardCharsets.UTF_8)))
            .orElse("");
    return String.join(
        ":",
        MAGIC,
        id,
        Long.toString(partSize),
        Integer.toString(parts),
        Long.toString(tailSize),
        Integer.toString(generation),
        olderTail ? "1" : "0");
  }

  static ResumeToken parse(String token) {
    if (token == null || token.length() > 4096) {
      throw new IllegalArgumentException("not a resume token of the S3 store");
    }
    String[] fields = token.split(":", -1);
    if (fields.length != 7
        || !fields[0].equals(MAGIC)
        || !(fields[6].equals("0") || fields[6].equals("1"))) {
      throw new IllegalArgumentException("not a resume token of the S3 store");
    }
    try {
      Optional<String> id =
          fields[1].isEmpty()
              ? Optional.empty()
              : Optional.of(
                  new String(Base64.getUrlDecoder().decode(fields[1]), StandardCharsets.UTF_8));
      return new ResumeToken(
          id,
          Long.parseLong(fields[2]),
          Integer.parseInt(fields[3]),
          Long.parseLong(fields[4]),
          Integer.parseInt(fields[5]),
          fields[6].equals("1"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a resume token of the S3 store: " + e.getMessage());
    }
  }
}
