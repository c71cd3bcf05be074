package dev.lading.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A registry running as a child process on a free loopback port, with its store under a bench
 * directory, so the bench measures the real jar or binary as users run it, and can read the child's
 * peak memory and CPU time from {@code /proc}.
 */
final class ServerProcess implements AutoCloseable {

  private static final Duration STARTUP = Duration.ofSeconds(60);
  private static final long CLOCK_TICKS = clockTicksPerSecond();

  private final String name;
  private final Process process;
  private final int port;
  private final Path log;

  private ServerProcess(String name, Process process, int port, Path log) {
    this.name = name;
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /** Peak and current resident memory of the child, in bytes, from /proc/<pid>/status. */
  record Memory(long peakBytes, long currentBytes) {}

  /** Starts Lading's server jar with the given JVM options (e.g. -Xmx256m). */
  static ServerProcess lading(Path jar, List<String> jvmOptions, Path directory)
      throws IOException {
    Path root = Files.createDirectories(directory.resolve("store"));
    return startLading(
        "lading",
        jar,
        jvmOptions,
        directory,
        Map.of("LADING_STORAGE_FILESYSTEM_ROOT", root.toAbsolutePath().toString()));
  }

  /**
   * Starts Lading's server jar on an S3 store: {@code env} holds the LADING_STORAGE_S3_* settings.
   */
  static ServerProcess ladingOnS3(
      Path jar, List<String> jvmOptions, Path directory, Map<String, String> env)
      throws IOException {
    Files.createDirectories(directory);
    Map<String, String> all = new LinkedHashMap<>();
    all.put("LADING_HTTP_HOST", "127.0.0.1");
    all.put("LADING_STORAGE_TYPE", "s3");
    all.putAll(env);
    return startLading("lading-s3", jar, jvmOptions, directory, all);
  }

  /** The jar as a child JVM on a free port, configured by {@code env} (LADING_* variables). */
  private static ServerProcess startLading(
      String name, Path jar, List<String> jvmOptions, Path directory, Map<String, String> env)
      throws IOException {
    return startLading(name, jar, jvmOptions, directory, freePort(), env, false);
  }

  /**
   * Starts the jar on {@code port} with only {@code env} as its LADING_* settings, appending to
   * {@code directory/server.log}: a restart after a kill comes back where clients expect it, on the
   * same store, and the log keeps every incarnation.
   */
  static ServerProcess ladingOnPort(
      Path jar, List<String> jvmOptions, Path directory, int port, Map<String, String> env)
      throws IOException {
    Files.createDirectories(directory);
    return startLading("lading", jar, jvmOptions, directory, port, env, true);
  }

  private static ServerProcess startLading(
      String name,
      Path jar,
      List<String> jvmOptions,
      Path directory,
      int port,
      Map<String, String> env,
      boolean appendLog)
      throws IOException {
    if (!Files.isRegularFile(jar)) {
      throw new IOException(
          "no server jar at "
              + jar.toAbsolutePath()
              + "; build it with ./mvnw -q -DskipTests package");
    }
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(jvmOptions);
    command.add("-jar");
    command.add(jar.toAbsolutePath().toString());
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("LADING_HTTP_PORT", Integer.toString(port));
    builder.environment().putAll(env);
    return start(name, builder, port, directory, appendLog);
  }

  /**
   * Starts CNCF Distribution (Debian's docker-registry) with a generated filesystem config. Its
   * logging is left as Debian ships it (info level, access log on), as Lading's is: both pay for
   * one log line or so per request.
   */
  static ServerProcess distribution(Path binary, Path directory) throws IOException {
    Path root = Files.createDirectories(directory.resolve("store"));
    String storage =
        """
          filesystem:
            rootdirectory: %s
        """
            .formatted(root.toAbsolutePath());
    return startDistribution("distribution", binary, directory, storage);
  }

  /**
   * Starts CNCF Distribution on its S3 driver, against {@code s3} (an S3-compatible endpoint over
   * plain HTTP, SigV4), keeping everything under {@code rootDirectory} in the bucket. Version 2.8
   * has no {@code forcepathstyle} parameter: its driver uses path-style requests whenever {@code
   * regionendpoint} is set, which is what a local endpoint needs. Blob GETs are served, not
   * redirected to the store, as Lading's are by default.
   */
  static ServerProcess distributionOnS3(
      Path binary, Path directory, SoakStore.S3Target s3, String rootDirectory) throws IOException {
    Files.createDirectories(directory);
    String storage =
        """
          s3:
            regionendpoint: %s
            region: %s
            bucket: %s
            accesskey: %s
            secretkey: %s
            secure: false
            v4auth: true
            rootdirectory: %s
          redirect:
            disable: true
        """
            .formatted(
                yaml(s3.endpoint().toString()),
                yaml(s3.region()),
                yaml(s3.bucket()),
                yaml(s3.accessKey()),
                yaml(s3.secretKey()),
                yaml(rootDirectory));
    return startDistribution("distribution-s3", binary, directory, storage);
  }

  /** Distribution with {@code storage} (indented YAML of its storage driver) and a fixed rest. */
  private static ServerProcess startDistribution(
      String name, Path binary, Path directory, String storage) throws IOException {
    int port = freePort();
    String config =
        """
        version: 0.1
        log:
          fields:
            service: registry
        storage:
        %s  delete:
            enabled: true
          cache:
            blobdescriptor: inmemory
        http:
          addr: 127.0.0.1:%d
        """
            .formatted(storage, port);
    Path configFile = directory.resolve("config.yml");
    Files.writeString(configFile, config, StandardCharsets.UTF_8);
    ProcessBuilder builder =
        new ProcessBuilder(binary.toString(), "serve", configFile.toAbsolutePath().toString());
    // The S3 driver's AWS SDK reads AWS_* variables too; the config says all it needs. With
    // AWS_CA_BUNDLE set (some machines set it globally) 2.8.2 panics at start ("unable to load
    // custom CA bundle, HTTPClient's transport unsupported type"), though the endpoint is plain
    // HTTP.
    builder.environment().keySet().removeIf(variable -> variable.startsWith("AWS_"));
    return start(name, builder, port, directory, false);
  }

  /** A YAML double-quoted scalar. */
  private static String yaml(String value) {
    return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static ServerProcess start(
      String name, ProcessBuilder builder, int port, Path directory, boolean appendLog)
      throws IOException {
    Path log = directory.resolve("server.log");
    builder
        .redirectErrorStream(true)
        .redirectOutput(
            appendLog
                ? ProcessBuilder.Redirect.appendTo(log.toFile())
                : ProcessBuilder.Redirect.to(log.toFile()));
    ServerProcess server = new ServerProcess(name, builder.start(), port, log);
    server.awaitReady();
    return server;
  }

  String name() {
    return name;
  }

  int port() {
    return port;
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Waits at most {@code atMost} for the process to end; true when it has. */
  boolean awaitExit(Duration atMost) throws InterruptedException {
    return process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The exit status, once the process has ended. */
  int exitValue() {
    return process.exitValue();
  }

  /**
   * SIGKILL on Linux ({@link Process#destroyForcibly}): no shutdown hook, no drain, no flush, the
   * way a crashed or OOM-killed server ends. Returns once the process is gone.
   */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException(name + " (pid " + pid() + ") still alive 30 s after SIGKILL");
    }
  }

  RegistryClient client() {
    return new RegistryClient("127.0.0.1", port);
  }

  Memory memory() throws IOException {
    long peak = -1;
    long current = -1;
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
      if (line.startsWith("VmHWM:")) {
        peak = kibibytes(line);
      } else if (line.startsWith("VmRSS:")) {
        current = kibibytes(line);
      }
    }
    return new Memory(peak * 1024, current * 1024);
  }

  /** User plus system CPU seconds the child has used so far. */
  double cpuSeconds() throws IOException {
    return cpuSeconds(pid());
  }

  /** User plus system CPU seconds process {@code pid} has used so far (one read of its stat). */
  static double cpuSeconds(long pid) throws IOException {
    long[] ticks = userAndSystemTicks(Path.of("/proc", Long.toString(pid), "stat"));
    return (ticks[0] + ticks[1]) / (double) CLOCK_TICKS;
  }

  /**
   * CPU seconds the child has used so far, split by mode, with the share of the JIT compiler
   * threads. A JVM that has just started still compiles its hot paths for minutes on two cores; a
   * registry that runs for days does not, so per-request figures leave the compilers' time out and
   * report it beside. The split is by thread from {@code /proc/<pid>/task}: a compiler thread that
   * exits between two readings takes its time out of the compilers' sum, so the figures can only
   * charge requests with more, never less, than they cost.
   */
  Cpu cpu() throws IOException {
    return Cpu.of(pid());
  }

  /** Seconds of CPU time: user and system of the whole child, and of that its JIT compilers. */
  record Cpu(double user, double system, double compiler) {
    /** The CPU time process {@code pid} has used so far, from {@code /proc}. */
    static Cpu of(long pid) throws IOException {
      long[] process = userAndSystemTicks(Path.of("/proc", Long.toString(pid), "stat"));
      long compiler = 0;
      try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
        for (Path task : (Iterable<Path>) tasks::iterator) {
          String stat;
          try {
            stat = Files.readString(task.resolve("stat"));
          } catch (IOException e) {
            continue; // The thread exited since the listing.
          }
          if (isCompilerThread(stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')))) {
            long[] ticks = userAndSystemTicks(stat);
            compiler += ticks[0] + ticks[1];
          }
        }
      }
      return new Cpu(
          process[0] / (double) CLOCK_TICKS,
          process[1] / (double) CLOCK_TICKS,
          compiler / (double) CLOCK_TICKS);
    }

    double total() {
      return user + system;
    }

    /** Everything but the JIT compilers: the requests' own cost. */
    double withoutCompiler() {
      return total() - compiler;
    }

    Cpu since(Cpu earlier) {
      return new Cpu(user - earlier.user, system - earlier.system, compiler - earlier.compiler);
    }
  }

  /** HotSpot names them "C1 CompilerThread0", "C2 CompilerThread1"; the kernel keeps 15 chars. */
  static boolean isCompilerThread(String comm) {
    return comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre");
  }

  private static long[] userAndSystemTicks(Path stat) throws IOException {
    return userAndSystemTicks(Files.readString(stat));
  }

  /** utime and stime of a proc(5) stat line, in clock ticks. */
  static long[] userAndSystemTicks(String stat) {
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // fields[0] is field 3 (state) of proc(5); utime and stime are fields 14 and 15.
    return new long[] {Long.parseLong(fields[11]), Long.parseLong(fields[12])};
  }

  private void awaitReady() throws IOException {
    long deadline = System.nanoTime() + STARTUP.toNanos();
    RegistryClient client = client();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException(
            name + " exited with " + process.exitValue() + " at start:\n" + logTail());
      }
      if (client.answers()) {
        return;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for " + name, e);
      }
    }
    close();
    throw new IOException(name + " did not answer GET /v2/ within " + STARTUP + ":\n" + logTail());
  }

  String logTail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static long kibibytes(String statusLine) {
    String[] parts = statusLine.trim().split("\\s+");
    return Long.parseLong(parts[1]);
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static long clockTicksPerSecond() {
    try {
      Process getconf = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out =
          new String(getconf.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
      getconf.waitFor(5, TimeUnit.SECONDS);
      return Long.parseLong(out);
    } catch (IOException | NumberFormatException e) {
      return 100;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 100;
    }
  }
}
