package dev.lading.conformance;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A podman command line confined to one test's directory: its own storage root, run root and
 * temporary directory, cgroups without systemd and events to a file, so tests run side by side and
 * leave nothing in the machine's podman.
 */
final class PodmanCommand {
  private PodmanCommand() {}

  /** {@code podman <confinement> <globalOptions> <args>}, everything under {@code home}. */
  static List<String> of(Path home, List<String> globalOptions, String... args) {
    List<String> command =
        new ArrayList<>(
            List.of(
                "podman",
                "--root",
                home.resolve("root").toString(),
                "--runroot",
                home.resolve("runroot").toString(),
                "--cgroup-manager",
                "cgroupfs",
                "--events-backend",
                "file",
                "--tmpdir",
                home.resolve("tmp").toString()));
    command.addAll(globalOptions);
    command.addAll(List.of(args));
    return command;
  }
}
