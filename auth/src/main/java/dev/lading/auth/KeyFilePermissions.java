package dev.lading.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * The check that a file holding private signing keys is the owner's alone. A key readable by others
 * (or by a group, unless the operator allowed that) lets whoever else is on the machine, or whoever
 * restores a backup of it with its modes, mint tokens; so such a key stops the start instead of
 * being used. Symbolic links are followed: a Kubernetes Secret's files are links into its {@code
 * ..data} directory, and the target's mode is what protects the key.
 *
 * <p>On a filesystem without POSIX modes (Windows) there is nothing to check, and nothing is.
 */
public final class KeyFilePermissions {
  private static final Set<PosixFilePermission> OTHERS =
      EnumSet.of(
          PosixFilePermission.OTHERS_READ,
          PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_EXECUTE);
  private static final Set<PosixFilePermission> GROUP_BEYOND_READ =
      EnumSet.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE);

  private KeyFilePermissions() {}

  /**
   * @param groupReadable whether the file's group may read it (never write it)
   * @param fix what the operator should do, appended to the message
   * @throws IOException naming the file, its mode and {@code fix} when others, or the group beyond
   *     what {@code groupReadable} allows, have any access
   */
  public static void requireOwnerOnly(Path file, boolean groupReadable, String fix)
      throws IOException {
    Set<PosixFilePermission> mode;
    try {
      mode = Files.getPosixFilePermissions(file);
    } catch (UnsupportedOperationException e) {
      return;
    }
    Set<PosixFilePermission> forbidden = EnumSet.copyOf(OTHERS);
    forbidden.addAll(GROUP_BEYOND_READ);
    if (!groupReadable) {
      forbidden.add(PosixFilePermission.GROUP_READ);
    }
    forbidden.retainAll(mode);
    if (!forbidden.isEmpty()) {
      throw new IOException(
          file
              + " holds private signing keys but its mode is "
              + PosixFilePermissions.toString(mode)
              + " ("
              + octal(mode)
              + "): "
              + (groupReadable ? "others" : "its group or others")
              + " may access it; "
              + fix);
    }
  }

  static String octal(Set<PosixFilePermission> mode) {
    int bits = 0;
    for (PosixFilePermission p : mode) {
      bits |= 1 << (8 - p.ordinal());
    }
    return String.format("0%03o", bits);
  }
}
