package dev.lading.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What the benches that run Lading and Distribution side by side ({@link RegistryBench}, {@link
 * SmallWriteBench}) are both told, as a picocli mixin: the two servers to start, whether a data
 * directory in memory is allowed, and whether the stores stay after the run.
 */
final class ComparedServers {

  enum Target {
    lading,
    distribution
  }

  @Option(
      names = "--targets",
      split = ",",
      description = "Any of ${COMPLETION-CANDIDATES} (default both).")
  Set<Target> targets = EnumSet.allOf(Target.class);

  @Mixin LadingJar lading = new LadingJar();

  @Option(
      names = "--distribution-binary",
      description = "CNCF Distribution (default /usr/bin/docker-registry).")
  Path distributionBinary = Path.of("/usr/bin/docker-registry");

  @Option(
      names = "--allow-tmpfs",
      description = "Run even if the data dir is on tmpfs (numbers will lie).")
  boolean allowTmpfs;

  @Option(
      names = "--keep-data",
      description = "Keep the registries' stores and logs after the run.")
  boolean keepData;

  /** Why {@code target} cannot run (no jar, no binary), or empty. */
  Optional<String> missing(Target target) {
    return switch (target) {
      case lading ->
          Files.isRegularFile(lading.jar)
              ? Optional.empty()
              : Optional.of("no jar at " + lading.jar.toAbsolutePath());
      case distribution ->
          Files.isExecutable(distributionBinary)
              ? Optional.empty()
              : Optional.of("no binary at " + distributionBinary);
    };
  }

  /** {@code target} on the filesystem store under {@code directory}. */
  ServerProcess start(Target target, Path directory) throws IOException {
    return switch (target) {
      case lading -> ServerProcess.lading(lading.jar, lading.jvmOptions, directory);
      case distribution -> ServerProcess.distribution(distributionBinary, directory);
    };
  }

  /**
   * Why {@code dataDir} may not hold the run (it is in memory, so {@code what} would be memory
   * numbers, and {@code --allow-tmpfs} was not given), or empty.
   */
  Optional<String> refusedDataDir(Path dataDir, String what) throws IOException {
    Files.createDirectories(dataDir);
    String fileSystem = RegistryBench.fileSystemType(dataDir.toRealPath());
    if ((fileSystem.equals("tmpfs") || fileSystem.equals("ramfs")) && !allowTmpfs) {
      return Optional.of(
          dataDir.toRealPath()
              + " is on "
              + fileSystem
              + ": "
              + what
              + " would be memory numbers. Choose --data-dir on a disk, or --allow-tmpfs.");
    }
    return Optional.empty();
  }
}
