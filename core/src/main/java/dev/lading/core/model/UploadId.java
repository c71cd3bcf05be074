package dev.lading.core.model;

import dev.lading.core.error.ErrorCode;
import java.util.UUID;
import java.util.regex.Pattern;

/** An upload session's id: a random UUID, validated so it is safe inside a storage key. */
public record UploadId(String value) {
  private static final Pattern GRAMMAR =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

  public UploadId {
    if (value == null || !GRAMMAR.matcher(value).matches()) {
      throw ErrorCode.BLOB_UPLOAD_UNKNOWN.exception();
    }
  }

  public static UploadId random() {
    return new UploadId(UUID.randomUUID().toString());
  }

  public static UploadId parse(String wire) {
    return new UploadId(wire);
  }

  @Override
  public String toString() {
    return value;
  }
}
