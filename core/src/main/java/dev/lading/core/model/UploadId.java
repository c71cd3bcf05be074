package dev.lading.core.model;

import dev.lading.core.error.ErrorCode;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * An upload session's id, validated so it is safe inside a storage key: a random UUID, optionally
 * followed by {@code .<start>.<end>.<signature>} (epoch milliseconds in hex, and 32 hex digits) for
 * a session whose state is not stored until it holds something. {@code
 * dev.lading.core.registry.SignedUploadIds} makes those parts and checks the signature; this type
 * only reads them.
 */
public record UploadId(String value) {
  private static final Pattern GRAMMAR =
      Pattern.compile(
          "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
              + "(\\.[0-9a-f]{1,15}\\.[0-9a-f]{1,15}\\.[0-9a-f]{32})?");

  private static final int UUID_LENGTH = 36;

  public UploadId {
    if (value == null || value.length() > 120 || !GRAMMAR.matcher(value).matches()) {
      throw ErrorCode.BLOB_UPLOAD_UNKNOWN.exception();
    }
  }

  /** The parts of a signed id, as written (the signature covers exactly these strings). */
  public record Signed(String uuid, String start, String end, String signature) {
    public Instant startedAt() {
      return Instant.ofEpochMilli(Long.parseLong(start, 16));
    }

    /** When the session ends unless it completed before; after it, the id names nothing. */
    public Instant endsAt() {
      return Instant.ofEpochMilli(Long.parseLong(end, 16));
    }
  }

  public static UploadId random() {
    return new UploadId(UUID.randomUUID().toString());
  }

  public static UploadId parse(String wire) {
    return new UploadId(wire);
  }

  /** A signed id of these parts (epoch milliseconds; the signature as 32 hex digits). */
  public static UploadId signed(String uuid, long start, long end, String signature) {
    return new UploadId(
        uuid + "." + Long.toHexString(start) + "." + Long.toHexString(end) + "." + signature);
  }

  /** The random UUID the id starts with. */
  public String uuid() {
    return value.substring(0, UUID_LENGTH);
  }

  /** The start, end and signature after the UUID, for a signed id. */
  public Optional<Signed> signed() {
    if (value.length() == UUID_LENGTH) {
      return Optional.empty();
    }
    String[] parts = value.split("\\.", -1);
    return Optional.of(new Signed(parts[0], parts[1], parts[2], parts[3]));
  }

  /** Whether the id carries a start, an end and a signature after its UUID. */
  public boolean isSigned() {
    return value.length() > UUID_LENGTH;
  }

  @Override
  public String toString() {
    return value;
  }
}
