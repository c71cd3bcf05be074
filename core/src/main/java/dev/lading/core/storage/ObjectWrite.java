package dev.lading.core.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One whole-object write of a batch ({@link ObjectStore#writeAll}): what {@link ObjectStore#write},
 * {@link ObjectStore#writeIfAbsent} or {@link ObjectStore#writeRevertible} would do alone. A write
 * made {@link #alongsidePrevious} needs nothing of the write before it in the batch (and that one
 * nothing of it): a store whose calls are round trips makes the two at the same time.
 */
public record ObjectWrite(String key, byte[] content, Mode mode, boolean withPrevious) {

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
    return new ObjectWrite(key, content, Mode.REPLACE, false);
  }

  public static ObjectWrite ifAbsent(String key, byte[] content) {
    return new ObjectWrite(key, content, Mode.IF_ABSENT, false);
  }

  public static ObjectWrite revertible(String key, byte[] content) {
    return new ObjectWrite(key, content, Mode.REVERTIBLE, false);
  }

  /**
   * This write, free to land before, with or after the one before it in its batch (and, by the same
   * token, alongside any that one is alongside): the caller's ordering argument holds when either
   * lands without the other.
   */
  public ObjectWrite alongsidePrevious() {
    return new ObjectWrite(key, content, mode, true);
  }

  /**
   * A batch cut into its steps: each write with the writes made {@link #alongsidePrevious} right
   * after it, in the batch's order.
   */
  public static List<List<ObjectWrite>> steps(List<ObjectWrite> writes) {
    List<List<ObjectWrite>> steps = new ArrayList<>();
    int start = 0;
    while (start < writes.size()) {
      int end = start + 1;
      while (end < writes.size() && writes.get(end).withPrevious()) {
        end++;
      }
      steps.add(writes.subList(start, end));
      start = end;
    }
    return steps;
  }
}
