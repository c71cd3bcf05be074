package dev.lading.core.storage;

import java.util.Objects;

/**
 * One whole-object write of a batch ({@link ObjectStore#writeAll}): what {@link ObjectStore#write},
 * {@link ObjectStore#writeIfAbsent} or {@link ObjectStore#writeRevertible} would do alone.
 */
public record ObjectWrite(String key, byte[] content, Mode mode) {

  /** Which single write this one stands for. */
  public enum Mode {
    /** {@link ObjectStore#write}: replaces what is there. */
    REPLACE,
    /** {@link ObjectStore#writeIfAbsent}: leaves an object already there as it was. */
    IF_ABSENT,
    /** {@link ObjectStore#writeRevertible}: a replacement a crash may undo. */
    REVERTIBLE
  }

  public ObjectWrite {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(content, "content");
    Objects.requireNonNull(mode, "mode");
  }

  public static ObjectWrite replace(String key, byte[] content) {
    return new ObjectWrite(key, content, Mode.REPLACE);
  }

  public static ObjectWrite ifAbsent(String key, byte[] content) {
    return new ObjectWrite(key, content, Mode.IF_ABSENT);
  }

  public static ObjectWrite revertible(String key, byte[] content) {
    return new ObjectWrite(key, content, Mode.REVERTIBLE);
  }
}
