package dev.lading.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * What {@link CrashSoak} and {@link GcSoak} are both told, as a picocli mixin: the seed and pace,
 * the server jar and heap, the fence delay, where the run's data goes, and the S3 to run on. The
 * defaults that must differ between the two, so both may run at once (bucket, S3Proxy port, data
 * directory), are the constructor's. What each command alone is told (GC grace, untagged deletes,
 * the load's length and shape) stays with the command.
 */
final class SoakOptions {

  @Option(
      names = "--seed",
      description = "Seeds every choice of the run (default: random, printed).")
  Long seed;

  @Option(
      names = "--think-ms",
      defaultValue = "100",
      description = "Mean pause between a client thread's operations.")
  long thinkMillis;

  @Option(
      names = "--gc-fence-delay-s",
      defaultValue = "6",
      description = "LADING_GC_FENCE_DELAY_SECONDS (at least 6).")
  int fenceDelaySeconds;

  @Option(names = "--heap", defaultValue = "256m", description = "Each server's -Xmx.")
  String heap;

  @Option(
      names = "--data-dir",
      description =
          "A run directory is made under it (store, server logs, S3Proxy) and deleted at the end"
              + " (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(
      names = "--keep",
      description =
          "Keep the run directory and the bucket prefix at the end; a failed run"
              + " keeps them anyway.")
  boolean keep;

  @Option(names = "--lading-jar", defaultValue = "registry-server/target/lading.jar")
  Path jar;

  @Option(
      names = "--s3-endpoint",
      description =
          "An S3 endpoint already running (e.g. a Ceph RGW); without it an S3Proxy is started.")
  URI s3Endpoint;

  @Option(names = "--s3-bucket", description = "Created when missing (default: ${DEFAULT-VALUE}).")
  String s3Bucket;

  @Option(names = "--s3-region", defaultValue = "us-east-1")
  String s3Region;

  @Option(names = "--s3-access-key", defaultValue = "local-access-key")
  String s3AccessKey;

  @Option(names = "--s3-secret-key", defaultValue = "local-secret-key")
  String s3SecretKey;

  @Option(
      names = "--s3-part-mib",
      defaultValue = "8",
      description = "LADING_STORAGE_S3_PART_SIZE_MIB.")
  int s3PartMib;

  @Option(
      names = "--s3proxy-port",
      description =
          "Where an S3Proxy started here listens (default: ${DEFAULT-VALUE}; each soak has its own).")
  int s3proxyPort;

  @Option(
      names = "--tools",
      defaultValue = "/work/shared/tools",
      description = "Where s3proxy-up.sh and s3proxy-down.sh are.")
  Path tools;

  /**
   * The defaults of the options that differ between the soaks (picocli keeps a field's initial
   * value).
   */
  SoakOptions(String s3Bucket, int s3proxyPort, Path dataDir) {
    this.s3Bucket = s3Bucket;
    this.s3proxyPort = s3proxyPort;
    this.dataDir = dataDir;
  }

  /** {@code --seed}, or a random one (printed by the run, so it can be repeated). */
  long seedOrRandom() {
    return seed != null ? seed : new SecureRandom().nextLong();
  }

  /**
   * The AWS SDK (bucket set-up, prefix clean-up) logs through SLF4J, which has no provider in the
   * bench jar and would say so in three lines of warnings: called first thing in {@code main}.
   */
  static void quietSdkLogging() {
    if (System.getProperty("slf4j.internal.verbosity") == null) {
      System.setProperty("slf4j.internal.verbosity", "ERROR");
    }
  }

  /** A new directory for this run under {@code --data-dir}: {@code <name>-<time>-<seed>}. */
  Path runDirectory(String name, long runSeed) throws IOException {
    return Files.createDirectories(
        dataDir.resolve(
            name
                + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
                + "-"
                + runSeed));
  }

  /**
   * A fresh prefix {@code <name>-<seed>-<millis>/} in the S3 bucket, on an S3Proxy started under
   * {@code runDir} without {@code --s3-endpoint}.
   */
  SoakStore s3Store(Path runDir, String name, long runSeed)
      throws IOException, InterruptedException {
    return SoakStore.s3(
        new SoakStore.S3Target(s3Endpoint, s3Bucket, s3Region, s3AccessKey, s3SecretKey),
        s3PartMib,
        runDir,
        s3proxyPort,
        tools,
        name + "-" + Long.toUnsignedString(runSeed, 36) + "-" + System.currentTimeMillis() + "/");
  }

  /**
   * A Lading process (not started yet) on {@code store}, its log under {@code dir}: loopback only,
   * GC on demand only (the soak asks for runs), with this grace, fence delay and policy.
   */
  SoakServer server(Path dir, SoakStore store, int graceMinutes, boolean deleteUntagged)
      throws IOException {
    Map<String, String> env = new LinkedHashMap<>(store.env());
    env.put("LADING_HTTP_HOST", "127.0.0.1");
    env.put("LADING_GC_INTERVAL_MINUTES", "0");
    env.put("LADING_GC_GRACE_MINUTES", Integer.toString(graceMinutes));
    env.put("LADING_GC_FENCE_DELAY_SECONDS", Integer.toString(fenceDelaySeconds));
    env.put("LADING_GC_DELETE_UNTAGGED", Boolean.toString(deleteUntagged));
    return new SoakServer(jar, List.of("-Xmx" + heap), dir, env);
  }
}
