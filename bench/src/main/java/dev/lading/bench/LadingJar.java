package dev.lading.bench;

import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** Which server jar a bench starts, and with which JVM options: shared by the benches' CLIs. */
final class LadingJar {
  @Option(
      names = "--lading-jar",
      description = "Lading's server jar (default registry-server/target/lading.jar).")
  Path jar = Path.of("registry-server", "target", "lading.jar");

  @Option(
      names = "--lading-jvm-options",
      split = " ",
      description = "JVM options of the Lading child (default -Xmx256m).")
  List<String> jvmOptions = List.of("-Xmx256m");
}
