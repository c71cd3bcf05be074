package dev.lading.conformance;

import dev.lading.storage.s3.EmbeddedS3Proxy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The real server, {@code registry-server/target/lading.jar}, as a child process on a free loopback
 * port with its own data directory, or its own prefix in the embedded S3Proxy's bucket when the run
 * tests the S3 store ({@code -Dlading.conformance.store=s3}, see {@link EmbeddedS3Proxy}). Register
 * it on a {@code static} field with {@code @RegisterExtension}: it starts before the class's first
 * test and is killed after its last, whether the tests passed or not, so every test class shares
 * one server.
 *
 * <p>The jar is never built here: a missing jar fails the class with a message saying how to build
 * it (CI builds it; skipping would hide a broken build).
 */
public final class RegistryProcess implements BeforeAllCallback, AfterAllCallback {
  private static final Duration START_DEADLINE = Duration.ofSeconds(60);
  private static final Duration STOP_GRACE = Duration.ofSeconds(20);

  private final List<String> extraEnvironment = new ArrayList<>();
  private final RegistryProcess sharedWith;
  private boolean s3 = "s3".equals(System.getProperty("lading.conformance.store", "filesystem"));
  private String maxHeap = "512m";

  /** Set when the server listens with TLS: the client side's trust in its certificate. */
  private SSLContext tlsTrust;

  private Path dataDir;
  private String s3Prefix;
  private Path logFile;
  private int port;
  private Process process;
  private Thread shutdownHook;

  private RegistryProcess(RegistryProcess sharedWith) {
    this.sharedWith = sharedWith;
  }

  /**
   * A server on its own store: the filesystem, or, when the run selects S3 ({@code
   * -Dlading.conformance.store=s3}), its own prefix in the bucket of the S3Proxy embedded in this
   * JVM ({@link EmbeddedS3Proxy}).
   */
  public static RegistryProcess create() {
    return new RegistryProcess(null);
  }

  /**
   * A second server on the same store as {@code first} (same data directory or same bucket prefix),
   * on its own port. Register it after {@code first}: JUnit starts extensions of static fields in
   * declaration order, and this one takes the store {@code first} prepared.
   */
  public static RegistryProcess sharingStoreWith(RegistryProcess first) {
    RegistryProcess second = new RegistryProcess(first);
    second.s3 = first.s3;
    return second;
  }

  /** Uses the embedded S3Proxy whatever the run selected (tests about S3 itself). */
  public RegistryProcess onS3() {
    if (sharedWith != null) {
      throw new IllegalStateException("a server sharing a store takes its kind from the first");
    }
    s3 = true;
    return this;
  }

  /** The child JVM's {@code -Xmx} (default 512m). */
  public RegistryProcess withMaxHeap(String value) {
    maxHeap = value;
    return this;
  }

  /** True when this server's store is S3. */
  public boolean onS3Store() {
    return s3;
  }

  /**
   * Listens with TLS on the PEM pair given (the environment's {@code LADING_HTTP_TLS_*}); the
   * readiness check and {@link #baseUri()} then speak HTTPS, trusting {@code trust}.
   */
  public RegistryProcess withTls(Path certFile, Path keyFile, SSLContext trust) {
    tlsTrust = trust;
    return withEnvironment("LADING_HTTP_TLS_CERT_FILE", certFile.toString())
        .withEnvironment("LADING_HTTP_TLS_KEY_FILE", keyFile.toString());
  }

  /** Adds an environment variable ({@code NAME=value}) to every start of this server. */
  public RegistryProcess withEnvironment(String name, String value) {
    extraEnvironment.add(name + "=" + value);
    return this;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    String owner = context.getRequiredTestClass().getSimpleName();
    if (sharedWith == null) {
      prepareStore(owner);
    } else {
      // JUnit does not promise to start the first server's extension before this one.
      sharedWith.prepareStore(owner);
      dataDir = sharedWith.dataDir;
      s3Prefix = sharedWith.s3Prefix;
      owner = owner + "-2";
    }
    Path logs = Path.of("target", s3 ? "registry-logs-s3" : "registry-logs");
    Files.createDirectories(logs);
    logFile = logs.resolve(owner + ".log");
    Files.deleteIfExists(logFile);
    port = freePort();
    start();
  }

  private synchronized void prepareStore(String owner) throws IOException {
    if (dataDir == null) {
      dataDir = Files.createTempDirectory("lading-conformance-" + owner + "-");
      s3Prefix = EmbeddedS3Proxy.freshPrefix(owner.toLowerCase(Locale.ROOT));
    }
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    try {
      stop();
    } finally {
      if (sharedWith == null) {
        deleteRecursively(dataDir);
      }
    }
  }

  /**
   * {@code http://127.0.0.1:<port>} ({@code https} with TLS): the base every request of the tests
   * goes to.
   */
  public URI baseUri() {
    return URI.create((tlsTrust != null ? "https" : "http") + "://127.0.0.1:" + port);
  }

  /** {@code localhost:<port>}: the registry host as container tools spell it. */
  public String hostAndPort() {
    return "localhost:" + port;
  }

  public int port() {
    return port;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The key prefix of this server's store in the embedded S3Proxy's bucket (S3 runs only). */
  public String s3Prefix() {
    return s3Prefix;
  }

  public Path logFile() {
    return logFile;
  }

  public RegistryClient client() {
    return new RegistryClient(baseUri());
  }

  /** Launches the jar and returns once {@code GET /v2/} answers 200. */
  public synchronized void start() {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("the registry is already running");
    }
    Path jar = locateJar();
    String java = ProcessHandle.current().info().command().orElse("java");
    ProcessBuilder builder =
        new ProcessBuilder(java, "-Xmx" + maxHeap, "-jar", jar.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
    builder.environment().putAll(environment());
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot launch " + jar, e);
    }
    Process started = process;
    shutdownHook = new Thread(started::destroyForcibly, "kill-lading-" + port);
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    awaitReady();
  }

  /** What every start of this server and every command run with {@link #runJar} gets. */
  private Map<String, String> environment() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("LADING_HTTP_PORT", Integer.toString(port));
    env.put("LADING_STORAGE_FILESYSTEM_ROOT", dataDir.toString());
    // Tests stop servers nobody routes to: no drain delay (DrainOnSigtermIT sets its own).
    env.put("LADING_HTTP_DRAIN_DELAY_SECONDS", "0");
    if (s3) {
      EmbeddedS3Proxy proxy = EmbeddedS3Proxy.shared();
      env.put("LADING_STORAGE_TYPE", "s3");
      env.put("LADING_STORAGE_S3_ENDPOINT", proxy.endpoint().toString());
      env.put("LADING_STORAGE_S3_BUCKET", EmbeddedS3Proxy.BUCKET);
      env.put("LADING_STORAGE_S3_PREFIX", s3Prefix);
      env.put("LADING_STORAGE_S3_ACCESS_KEY", EmbeddedS3Proxy.ACCESS_KEY);
      env.put("LADING_STORAGE_S3_SECRET_KEY", EmbeddedS3Proxy.SECRET_KEY);
      // S3's smallest part, so the tests' small blobs cross part boundaries and tails.
      env.put("LADING_STORAGE_S3_PART_SIZE_MIB", "5");
    }
    for (String entry : extraEnvironment) {
      int eq = entry.indexOf('=');
      env.put(entry.substring(0, eq), entry.substring(eq + 1));
    }
    return env;
  }

  /**
   * Runs {@code java -jar lading.jar ARGS} (a subcommand such as {@code gc}) as its own process on
   * this server's store with this server's environment, and waits for it to exit.
   */
  public Command.Result runJar(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-Xmx256m");
    command.add("-jar");
    command.add(locateJar().toString());
    command.addAll(List.of(args));
    return Command.run(
        command,
        environment(),
        logFile.resolveSibling(logFile.getFileName() + "-" + args[0] + ".log"),
        Duration.ofMinutes(2));
  }

  /** Stops the server (SIGTERM, then SIGKILL after a grace period) and waits for it to exit. */
  public synchronized void stop() throws InterruptedException {
    if (process == null) {
      return;
    }
    process.destroy();
    if (!process.waitFor(STOP_GRACE.toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor();
    }
    forgetProcess();
  }

  private void forgetProcess() {
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // The JVM is exiting; the hook runs anyway and finds the process gone.
    }
    process = null;
  }

  /**
   * Sends SIGTERM, as Kubernetes does to stop a pod, and returns at once; {@link #awaitExit} then
   * waits for the process to end.
   */
  public synchronized void terminate() {
    if (process == null) {
      throw new IllegalStateException("the registry is not running");
    }
    process.destroy(); // SIGTERM on Linux
  }

  /**
   * Waits up to {@code limit} for the process to exit after {@link #terminate}; its exit status, or
   * -1 on timeout.
   */
  public synchronized int awaitExit(Duration limit) throws InterruptedException {
    if (process == null) {
      throw new IllegalStateException("the registry is not running");
    }
    if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      return -1;
    }
    int status = process.exitValue();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // The JVM is exiting; the hook runs anyway and finds the process gone.
    }
    process = null;
    return status;
  }

  /**
   * The child's peak resident set so far ({@code VmHWM} of {@code /proc/<pid>/status}), in KiB; -1
   * where there is no such file.
   */
  public synchronized long peakRssKib() {
    if (process == null) {
      return -1;
    }
    try {
      for (String line :
          Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }

  /**
   * Kills the server as a power failure would ({@code SIGKILL}: no shutdown hook, no drain, no
   * flush) and waits for it to be gone; {@link #start} then opens the same data as a new process.
   */
  public synchronized void kill() throws InterruptedException {
    if (process == null) {
      return;
    }
    process.destroyForcibly();
    process.waitFor();
    forgetProcess();
  }

  /** Stops the server and starts it again on the same port and data directory. */
  public synchronized void restart() throws InterruptedException {
    stop();
    start();
  }

  private void awaitReady() {
    HttpClient.Builder clientBuilder =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1));
    if (tlsTrust != null) {
      clientBuilder.sslContext(tlsTrust);
    }
    HttpClient http = clientBuilder.build();
    HttpRequest ping =
        HttpRequest.newBuilder(baseUri().resolve("/v2/"))
            .timeout(Duration.ofSeconds(2))
            .GET()
            .build();
    Instant deadline = Instant.now().plus(START_DEADLINE);
    String lastProblem = "no answer yet";
    while (Instant.now().isBefore(deadline)) {
      try {
        HttpResponse<Void> answer = http.send(ping, HttpResponse.BodyHandlers.discarding());
        // 401: token auth is on, and the server is serving.
        if (answer.statusCode() == 200 || answer.statusCode() == 401) {
          return;
        }
        lastProblem = "GET /v2/ answered " + answer.statusCode();
      } catch (IOException e) {
        lastProblem = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the registry", e);
      }
      try {
        // Waits for the process to exit, at most a tenth of a second: the pause between polls
        // that also notices a server that died on start.
        if (process.waitFor(100, TimeUnit.MILLISECONDS)) {
          throw new IllegalStateException(
              "the registry exited with status "
                  + process.exitValue()
                  + " before it was ready;"
                  + " its output:\n"
                  + logTail());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the registry", e);
      }
    }
    process.destroyForcibly();
    throw new IllegalStateException(
        "the registry did not answer GET /v2/ with 200 within "
            + START_DEADLINE
            + " ("
            + lastProblem
            + "); its output:\n"
            + logTail());
  }

  private static Path locateJar() {
    String configured = System.getProperty("lading.jar");
    Path jar =
        configured != null && !configured.isBlank()
            ? Path.of(configured)
            : Path.of("..", "registry-server", "target", "lading.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          "the server jar "
              + jar.toAbsolutePath().normalize()
              + " does not exist; build it first"
              + " with `./mvnw -pl registry-server -am -DskipTests package`, or run the"
              + " conformance tests through the reactor: `./mvnw -pl conformance -am verify`");
    }
    return jar;
  }

  private String logTail() {
    try {
      List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    } catch (IOException e) {
      return "(cannot read " + logFile + ": " + e + ")";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  static void deleteRecursively(Path root) throws IOException {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
