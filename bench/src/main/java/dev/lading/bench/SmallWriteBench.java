package dev.lading.bench;

import dev.lading.bench.ComparedServers.Target;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Small pushes against Lading and CNCF Distribution in the same run, on the filesystem store and,
 * when asked, on S3 (issue #19, "small writes at database speed"). Each registry runs as a child
 * process with a fresh store; the bench pushes over loopback as a client does (see {@link
 * SmallImage}) and prints a side-by-side table with the ratio Lading / Distribution.
 *
 * <p>Scenarios, each run once per entry of {@code --clients} (every client has its own keep-alive
 * connection and its own repositories):
 *
 * <ul>
 *   <li><b>tiny</b>: {@code --images} images of a 1 KiB random layer and a config of a few hundred
 *       bytes, per blob {@code HEAD} (404), session {@code POST}, closing {@code PUT ?digest=} with
 *       the bytes; then the manifest {@code PUT} by tag. Client {@code k} pushes into its own
 *       repository, each image under its own tag.
 *   <li><b>mono</b>: the same images, each blob in one monolithic {@code POST ?digest=}.
 *   <li><b>ci</b>: {@code --ci-pushes} pushes, each into a fresh repository, of a 30-layer image
 *       whose first 28 layers are in another repository (pushed there before any timing): per layer
 *       {@code HEAD} (404), a {@code POST ?mount=&from=} (201) for the 28, session and closing
 *       {@code PUT} for the 2 new layers (1 KiB to 64 KiB) and the config, then the manifest.
 * </ul>
 *
 * <p>Before the scenarios, each server takes unmeasured pushes of all kinds, with each client count
 * of the passes, for {@code --warmup-s} seconds and on until its JIT compilers use under 5% of a
 * core (at most three times as long), so Lading's JIT has compiled its push path (a registry runs
 * for days); Distribution, compiled ahead of time, loses nothing by it. Then, per scenario and
 * client count, three passes:
 *
 * <ol>
 *   <li><b>Timed pass.</b> The images pushed whole, clients concurrently: images/s is images over
 *       the wall time from the start of the first push to the end of the last; p50 and p99 are the
 *       nearest-rank percentiles of the per-image times (first {@code HEAD} to the manifest's 201);
 *       the server's CPU time (user + system, {@link ServerProcess#cpu()}) over the pass per image,
 *       without its JIT compiler threads, whose time is the next row (a JVM two minutes old still
 *       compiles; one that has served for days does not); on S3, the store requests per image.
 *   <li><b>CPU per request kind.</b> One request's CPU time is far below what {@code /proc} can
 *       resolve, and in a whole push the kinds mix. So fresh images ({@code --phase-images}, {@code
 *       --phase-ci-pushes}) are pushed phase by phase: first every {@code HEAD} of every image,
 *       then every mount, then every session {@code POST}, then every closing {@code PUT} (into the
 *       sessions the previous phase opened), or every monolithic {@code POST}, then every manifest,
 *       with the same clients, connections and image-to-client assignment as the timed pass. Each
 *       request meets the server in the state it would in a whole push (blob absent, session open,
 *       blobs present). The server's CPU delta over a phase, without its JIT compiler threads,
 *       divided by the phase's requests is that kind's CPU per request; the phase's line shows the
 *       user, system and compiler seconds. {@code /proc} counts in clock ticks (10 ms at 100 Hz),
 *       so a phase must take well over 100 ms of CPU time for 10 % accuracy; the phase sizes are
 *       chosen for that, and each phase's request count and CPU seconds are printed as it runs.
 *       Anything the server does in the background during a phase is charged to it.
 *   <li><b>Store operations.</b> On the filesystem store, a short extra pass of {@code
 *       --fsync-images} whole pushes (as many clients) with {@code strace -f -c -e
 *       trace=fsync,fdatasync} attached to the server ({@link SyncCounter}): fsync and fdatasync
 *       calls per image. Tracing stops the server at every system call, so these passes are never
 *       timed, and they run after every timed and per-kind pass of the server, so whatever tracing
 *       does to it cannot reach those numbers. (perf's in-kernel counting would not stop the
 *       server, but on the development machine's kernel a perf event attached to a running process
 *       counts nothing.) Without strace installed the row says n/a. On S3 the servers talk to the
 *       S3 endpoint through a {@link CountingProxy} inside the bench, which counts their requests
 *       by method while streaming them through: requests per image in the timed pass, and per
 *       request of each kind in the phases. The proxy is in the path of both servers alike, all the
 *       time.
 * </ol>
 *
 * <p>Run from the repository root after {@code ./mvnw -B -ntp -o -DskipTests package}:
 *
 * <pre>
 * java -cp bench/target/lading-bench.jar dev.lading.bench.SmallWriteBench [--quick] [--clients 1,8]
 * java -cp bench/target/lading-bench.jar dev.lading.bench.SmallWriteBench --s3   # also on an S3Proxy it starts
 * </pre>
 */
@Command(
    name = "small-write-bench",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description =
        "Small pushes (tiny images, CI-like pushes with mounts) against Lading and CNCF "
            + "Distribution: images/s, latency, server CPU per request kind, fsyncs or S3 "
            + "requests per image.")
public final class SmallWriteBench implements Callable<Integer> {

  enum Scenario {
    tiny("tiny"),
    mono("tiny-mono"),
    ci("ci");

    private final String title;

    Scenario(String title) {
      this.title = title;
    }
  }

  enum Store {
    fs,
    s3
  }

  @Mixin ComparedServers servers = new ComparedServers();

  @Option(names = "--quick", description = "Few images and a short warm-up, to try the bench out.")
  boolean quick;

  @Option(names = "--images", description = "Images of tiny and mono (default 200; quick 40).")
  Integer images;

  @Option(names = "--ci-pushes", description = "Pushes of the ci scenario (default 50; quick 10).")
  Integer ciPushes;

  @Option(
      names = "--clients",
      split = ",",
      description = "Concurrent clients, one run per entry (default 1,8).")
  List<Integer> clients = List.of(1, 8);

  @Option(
      names = "--scenarios",
      split = ",",
      description = "Any of ${COMPLETION-CANDIDATES} (default all).")
  Set<Scenario> scenarios = EnumSet.allOf(Scenario.class);

  @Option(
      names = "--stores",
      split = ",",
      description =
          "Any of ${COMPLETION-CANDIDATES} (default fs; fs,s3 with --s3 or --s3-endpoint).")
  Set<Store> stores;

  @Option(
      names = "--s3",
      description = "Also run on S3: an S3Proxy started here, or --s3-endpoint.")
  boolean s3;

  @Option(
      names = "--s3-endpoint",
      description = "An S3 endpoint already running; without it --s3 starts an S3Proxy.")
  URI s3Endpoint;

  @Option(names = "--s3-bucket", description = "Created when missing (default ${DEFAULT-VALUE}).")
  String s3Bucket = "lading-smallbench";

  @Option(names = "--s3-region")
  String s3Region = "us-east-1";

  @Option(names = "--s3-access-key")
  String s3AccessKey = "local-access-key";

  @Option(names = "--s3-secret-key")
  String s3SecretKey = "local-secret-key";

  @Option(
      names = "--s3proxy-port",
      description = "Where the S3Proxy started here listens (default ${DEFAULT-VALUE}).")
  int s3proxyPort = 15276;

  @Option(names = "--tools", description = "Where s3proxy-up.sh and s3proxy-down.sh are.")
  Path tools = Path.of("/work/shared/tools");

  @Option(
      names = "--phase-images",
      description = "Images per request-kind CPU pass of tiny and mono (default 1000; quick 100).")
  Integer phaseImages;

  @Option(
      names = "--phase-ci-pushes",
      description = "Pushes per request-kind CPU pass of ci (default 200; quick 20).")
  Integer phaseCiPushes;

  @Option(
      names = "--fsync-images",
      description =
          "Images (ci: pushes) of the strace pass on the filesystem (default 40; quick 16).")
  Integer fsyncImages;

  @Option(
      names = "--warmup-s",
      description = "Unmeasured pushes after each server start, seconds (default 30; quick 3).")
  Double warmupSeconds;

  @Option(names = "--seed", description = "Seed of the blobs' random bytes (default: the time).")
  Long seed;

  @Option(
      names = "--data-dir",
      description = "Stores and server logs (default bench/target/smallbench-data).")
  Path dataDir = Path.of("bench", "target", "smallbench-data");

  /**
   * The warm-up goes on past {@code --warmup-s} while the JIT compilers used more than this share
   * of a core in its last round (a registry that has run for days compiles nothing), up to {@link
   * #WARMUP_LIMIT_FACTOR} times {@code --warmup-s}.
   */
  private static final double WARM_JIT_SHARE = 0.05;

  private static final double WARMUP_LIMIT_FACTOR = 3;

  private static final String CI_BASE = "ci/base";
  private static final int CI_LAYERS = 30;
  private static final int CI_MOUNTED = 28;
  private static final int LAYER_BYTES = 1024;
  private static final int CI_NEW_MIN = 1024;
  private static final int CI_NEW_MAX = 64 * 1024;

  private final PrintStream out = System.out;
  private final Results results = new Results(out).groupedByScenario();
  private SplittableRandom random;

  /** The layers every ci push mounts from {@link #CI_BASE}; the same for every server. */
  private List<SmallImage.Blob> ciBaseLayers;

  /** Numbers each pass, so no two passes on one server share a repository or a config. */
  private int passes;

  public static void main(String[] args) {
    SoakOptions.quietSdkLogging();
    System.exit(
        new CommandLine(new SmallWriteBench())
            .setCaseInsensitiveEnumValuesAllowed(true)
            .execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Optional<String> refused = servers.refusedDataDir(dataDir, "fsync numbers");
    if (refused.isPresent()) {
      System.err.println(refused.get());
      return 2;
    }
    long runSeed = seed != null ? seed : System.nanoTime();
    random = new SplittableRandom(runSeed);
    ciBaseLayers = new ArrayList<>();
    for (int i = 0; i < CI_MOUNTED; i++) {
      ciBaseLayers.add(newCiLayer());
    }
    Set<Store> chosenStores = chosenStores();
    out.printf(
        Locale.ROOT,
        "small-write-bench: JDK %s, %d cores, data dir %s (%s), seed %d%n"
            + "  tiny/mono %d images, ci %d pushes, clients %s, stores %s, scenarios %s,"
            + " warm-up %.0f s%n"
            + "  per-kind CPU passes: %d images, %d ci pushes; fsync pass: %d images (%s)%n",
        Runtime.version(),
        Runtime.getRuntime().availableProcessors(),
        dataDir.toRealPath(),
        RegistryBench.fileSystemType(dataDir.toRealPath()),
        runSeed,
        count(images, 200, 40),
        count(ciPushes, 50, 10),
        clients,
        chosenStores,
        scenarios,
        warmup(),
        count(phaseImages, 1000, 100),
        count(phaseCiPushes, 200, 20),
        count(fsyncImages, 40, 16),
        SyncCounter.available() ? "strace" : "no strace");
    try {
      for (Store store : chosenStores) {
        if (store == Store.fs) {
          for (Target target : servers.targets) {
            runTarget(target, store, null);
          }
        } else {
          runOnS3();
        }
      }
      results.printTable();
    } finally {
      for (Path finished : finishedStores) {
        DirectoryTrees.delete(finished);
      }
    }
    return 0;
  }

  /**
   * Stores of finished targets, deleted only when the whole run is over: ext4 without a journal
   * (this VM's) skips inodes deleted in the last half minute (minutes, while their blocks are
   * dirty) when it allocates new ones, so deleting one target's tens of thousands of files would
   * slow the file creation of the target measured next.
   */
  private final List<Path> finishedStores = new ArrayList<>();

  private Set<Store> chosenStores() {
    if (stores != null) {
      return stores;
    }
    return s3 || s3Endpoint != null ? EnumSet.allOf(Store.class) : EnumSet.of(Store.fs);
  }

  /** Both targets on one S3 store (bucket created when missing), each under its own prefix. */
  private void runOnS3() throws Exception {
    Path s3Dir = dataDir.resolve("s3");
    String prefix = "smallbench-" + System.currentTimeMillis() + "/";
    SoakStore store;
    try {
      store =
          SoakStore.s3(
              new SoakStore.S3Target(s3Endpoint, s3Bucket, s3Region, s3AccessKey, s3SecretKey),
              8,
              s3Dir,
              s3proxyPort,
              tools,
              prefix);
    } catch (IOException e) {
      for (Target target : servers.targets) {
        results.add(Measurement.failed(target.name(), "s3", "store", Unit.SECONDS, e.getMessage()));
      }
      return;
    }
    try {
      out.println();
      out.println("S3: " + store.describe());
      for (Target target : servers.targets) {
        runTarget(target, Store.s3, new S3Place(store.s3Target(), prefix));
      }
    } finally {
      store.close(servers.keepData);
      if (!servers.keepData && s3Endpoint == null) {
        finishedStores.add(s3Dir);
      }
    }
  }

  /** Where a target's S3 data goes: the endpoint reached, and the run's prefix in the bucket. */
  private record S3Place(SoakStore.S3Target target, String prefix) {}

  private void runTarget(Target target, Store store, S3Place place) throws IOException {
    String name = target.name();
    out.println();
    out.printf("Target %s on %s%n", name, store);
    Optional<String> missing = servers.missing(target);
    if (missing.isPresent()) {
      out.println("  skipped: " + missing.get());
      return;
    }
    Path directory = dataDir.resolve(store + "-" + name);
    DirectoryTrees.delete(directory);
    Files.createDirectories(directory);
    CountingProxy proxy = place == null ? null : CountingProxy.start(place.target().endpoint());
    boolean died = false;
    try (ServerProcess server = start(target, directory, place, proxy)) {
      out.printf(Locale.ROOT, "  started pid %d on port %d%n", server.pid(), server.port());
      Run run = new Run(server, name, store, directory, proxy);
      run.prepare();
      for (Scenario scenario : scenarios) {
        for (int n : clients) {
          run.scenario(scenario, n);
        }
      }
      // Last, so that whatever tracing does to a server cannot touch the timed numbers.
      if (store == Store.fs) {
        for (Scenario scenario : scenarios) {
          for (int n : clients) {
            run.syncs(scenario, n);
          }
        }
      }
      died = !server.isAlive();
    } catch (Exception e) {
      results.add(Measurement.failed(name, store.name(), "server", Unit.SECONDS, e.toString()));
    } finally {
      if (proxy != null) {
        proxy.close();
      }
      if (died) {
        out.println("  the server died during the run: its store and log stay in " + directory);
      } else if (!servers.keepData) {
        finishedStores.add(directory);
      }
    }
  }

  private ServerProcess start(Target target, Path directory, S3Place place, CountingProxy proxy)
      throws IOException {
    if (place == null) {
      return servers.start(target, directory);
    }
    SoakStore.S3Target s3 = place.target();
    SoakStore.S3Target throughProxy =
        new SoakStore.S3Target(
            proxy.endpoint(), s3.bucket(), s3.region(), s3.accessKey(), s3.secretKey());
    return switch (target) {
      case lading -> {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("LADING_STORAGE_S3_ENDPOINT", throughProxy.endpoint().toString());
        env.put("LADING_STORAGE_S3_BUCKET", s3.bucket());
        env.put("LADING_STORAGE_S3_REGION", s3.region());
        env.put("LADING_STORAGE_S3_PREFIX", place.prefix() + "lading/");
        env.put("LADING_STORAGE_S3_ACCESS_KEY", s3.accessKey());
        env.put("LADING_STORAGE_S3_SECRET_KEY", s3.secretKey());
        env.put("LADING_STORAGE_S3_PATH_STYLE", "true");
        yield ServerProcess.ladingOnS3(
            servers.lading.jar, servers.lading.jvmOptions, directory, env);
      }
      case distribution ->
          ServerProcess.distributionOnS3(
              servers.distributionBinary,
              directory,
              throughProxy,
              "/" + place.prefix() + "distribution");
    };
  }

  /** The passes against one running server. */
  private final class Run {
    private final ServerProcess server;
    private final String name;
    private final Store store;
    private final Path directory;
    private final CountingProxy proxy;

    /** Set when the server answers a monolithic POST with a session (202): mono is n/a. */
    private boolean monolithicRefused;

    Run(ServerProcess server, String name, Store store, Path directory, CountingProxy proxy) {
      this.server = server;
      this.name = name;
      this.store = store;
      this.directory = directory;
      this.proxy = proxy;
    }

    /** Seeds the repository ci mounts from, then warms the server up; neither is measured. */
    void prepare() throws Exception {
      int most = clients.stream().mapToInt(Integer::intValue).max().orElse(1);
      try (Clients c = new Clients(server.client(), most)) {
        if (scenarios.contains(Scenario.ci)) {
          SmallImage base =
              new SmallImage(
                  CI_BASE, "base", null, List.of(), ciBaseLayers, SmallImage.config("base"), false);
          c.run(List.of(base), SmallImage::push, null);
        }
        if (scenarios.contains(Scenario.mono)) {
          try {
            c.run(images(Scenario.mono, 1, 1), SmallImage::push, null);
          } catch (ExecutionException e) {
            if (!(e.getCause() instanceof SmallImage.MonolithicRefused refused)) {
              throw e;
            }
            monolithicRefused = true;
            out.println("  " + refused.getMessage());
          }
        }
        long start = System.nanoTime();
        long until = start + (long) (warmup() * 1e9);
        long limit = start + (long) (WARMUP_LIMIT_FACTOR * warmup() * 1e9);
        int rounds = 0;
        double jitShare;
        do {
          ServerProcess.Cpu before = server.cpu();
          long roundStart = System.nanoTime();
          // Every client count the passes use: one client's requests meet the server alone, and
          // the JIT compiles what they run as well.
          for (int n : clients) {
            try (Clients round = new Clients(server.client(), n)) {
              for (Scenario scenario : scenarios) {
                if (scenario != Scenario.mono || !monolithicRefused) {
                  int count = scenario == Scenario.ci ? n : 4 * n;
                  round.run(images(scenario, count, n), SmallImage::push, null);
                }
              }
            }
          }
          jitShare =
              server.cpu().since(before).compiler() / ((System.nanoTime() - roundStart) / 1e9);
          rounds++;
        } while (System.nanoTime() < until
            || (jitShare > WARM_JIT_SHARE && System.nanoTime() < limit));
        out.printf(
            Locale.ROOT,
            "  warm-up: %d rounds of every scenario and client count in %.1f s, JIT compilers at"
                + " %.0f%% of a core in the last%n",
            rounds,
            (System.nanoTime() - start) / 1e9,
            100 * jitShare);
      }
    }

    void scenario(Scenario scenario, int n) {
      String label = scenario.title + " " + store + " x" + n;
      if (scenario == Scenario.mono && monolithicRefused) {
        results.add(
            Measurement.unavailable(
                name,
                label,
                "images per second",
                Unit.IMAGES_PER_S,
                SmallImage.MonolithicRefused.MESSAGE));
        return;
      }
      String pass = "timed pass";
      try (Clients c = new Clients(server.client(), n)) {
        timed(c, scenario, label);
        pass = "per-kind CPU pass";
        perKind(c, scenario, label);
      } catch (Exception e) {
        results.add(Measurement.failed(name, label, pass, Unit.COUNT, why(e)));
      }
    }

    private void timed(Clients c, Scenario scenario, String label) throws Exception {
      int count = scenario == Scenario.ci ? count(ciPushes, 50, 10) : count(images, 200, 40);
      List<SmallImage> pushes = images(scenario, count, c.size());
      long[] nanos = new long[count];
      Map<String, Long> s3Before = s3Counts();
      ServerProcess.Cpu cpuBefore = server.cpu();
      long wall = c.run(pushes, SmallImage::push, nanos);
      ServerProcess.Cpu cpu = server.cpu().since(cpuBefore);
      Map<String, Long> s3 = RequestCounter.difference(s3Counts(), s3Before);
      Arrays.sort(nanos);
      add(label, "images per second", count / (wall / 1e9), Unit.IMAGES_PER_S);
      add(label, "p50 per image", Measurement.percentile(nanos, 0.50) / 1e6, Unit.MILLISECONDS);
      add(label, "p99 per image", Measurement.percentile(nanos, 0.99) / 1e6, Unit.MILLISECONDS);
      add(
          label,
          "server CPU per image",
          cpu.withoutCompiler() * 1000 / count,
          Unit.CPU_MILLISECONDS);
      add(
          label,
          "JIT compiler CPU per image",
          cpu.compiler() * 1000 / count,
          Unit.CPU_MILLISECONDS);
      if (proxy != null) {
        add(label, "S3 requests per image", RequestCounter.total(s3) / (double) count, Unit.COUNT);
        out.printf(Locale.ROOT, "    S3 requests of %d images by method: %s%n", count, s3);
      }
    }

    private void perKind(Clients c, Scenario scenario, String label) throws Exception {
      int count =
          scenario == Scenario.ci ? count(phaseCiPushes, 200, 20) : count(phaseImages, 1000, 100);
      List<SmallImage> pushes = images(scenario, count, c.size());
      for (SmallImage.Kind kind : SmallImage.Kind.values()) {
        long requests = pushes.stream().mapToLong(image -> image.requests(kind)).sum();
        if (requests == 0) {
          continue;
        }
        Map<String, Long> s3Before = s3Counts();
        ServerProcess.Cpu cpuBefore = server.cpu();
        long wall = c.run(pushes, (image, connection) -> image.send(connection, kind), null);
        ServerProcess.Cpu cpu = server.cpu().since(cpuBefore);
        Map<String, Long> s3 = RequestCounter.difference(s3Counts(), s3Before);
        out.printf(
            Locale.ROOT,
            "    phase %-18s %,6d requests in %6.2f s (%,8.0f req/s), server CPU %.2f s (user"
                + " %.2f, system %.2f), JIT compilers %.2f s%s%n",
            kind.label(),
            requests,
            wall / 1e9,
            requests / (wall / 1e9),
            cpu.total(),
            cpu.user(),
            cpu.system(),
            cpu.compiler(),
            proxy == null ? "" : ", S3 " + s3);
        add(
            label,
            "server CPU per " + kind.label(),
            cpu.withoutCompiler() * 1000 / requests,
            Unit.CPU_MILLISECONDS);
        if (proxy != null) {
          add(
              label,
              "S3 requests per " + kind.label(),
              RequestCounter.total(s3) / (double) requests,
              Unit.COUNT);
        }
      }
    }

    /** The strace pass of one scenario and client count: whole pushes, never timed. */
    void syncs(Scenario scenario, int n) {
      String label = scenario.title + " " + store + " x" + n;
      String metric = "fsync+fdatasync per image";
      if (scenario == Scenario.mono && monolithicRefused) {
        return;
      }
      if (!SyncCounter.available()) {
        results.add(Measurement.unavailable(name, label, metric, Unit.COUNT, "no strace"));
        return;
      }
      int count = count(fsyncImages, 40, 16);
      Path summary = directory.resolve("strace-" + label.replace(' ', '-') + ".txt");
      try (Clients c = new Clients(server.client(), n)) {
        List<SmallImage> pushes = images(scenario, count, c.size());
        long calls;
        try (SyncCounter counter = SyncCounter.attach(server.pid(), summary)) {
          c.run(pushes, SmallImage::push, null);
          calls = counter.stop();
        }
        add(label, metric, calls / (double) count, Unit.COUNT);
      } catch (Exception e) {
        results.add(Measurement.failed(name, label, metric, Unit.COUNT, why(e)));
      }
    }

    /**
     * {@code count} new images of {@code scenario} for {@code clients} clients: image {@code i}
     * goes to client {@code i % clients}, into that client's repository (tiny, mono) or into a
     * repository of its own (ci).
     */
    private List<SmallImage> images(Scenario scenario, int count, int clients) {
      String pass = "p" + ++passes;
      List<SmallImage> list = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        String unique = pass + "-" + i;
        list.add(
            switch (scenario) {
              case tiny, mono ->
                  SmallImage.tiny(
                      "small/" + pass + "/c" + (i % clients),
                      "i" + i,
                      random,
                      LAYER_BYTES,
                      unique,
                      scenario == Scenario.mono);
              case ci ->
                  new SmallImage(
                      "ci/" + pass + "/r" + i,
                      "v1",
                      CI_BASE,
                      ciBaseLayers,
                      newCiLayers(CI_LAYERS - CI_MOUNTED),
                      SmallImage.config(unique),
                      false);
            });
      }
      return list;
    }

    private Map<String, Long> s3Counts() throws IOException {
      if (proxy == null) {
        return Map.of();
      }
      if (proxy.counter().unparsable() > 0) {
        throw new IOException("the counting proxy could not parse a connection: counts are short");
      }
      return proxy.counter().snapshot();
    }

    private void add(String scenario, String metric, double value, Unit unit) {
      results.add(Measurement.of(name, scenario, metric, value, unit));
    }

    private String why(Exception e) {
      Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      String message = cause.getClass().getSimpleName() + ": " + cause.getMessage();
      boolean exited = false;
      try {
        // A dying server has closed its sockets a moment before it is gone.
        exited = server.awaitExit(Duration.ofSeconds(2));
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
      }
      if (exited) {
        return message
            + "\n    server exited with "
            + server.exitValue()
            + "; log tail:\n"
            + server.logTail().indent(6);
      }
      return message;
    }
  }

  private List<SmallImage.Blob> newCiLayers(int n) {
    List<SmallImage.Blob> layers = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      layers.add(newCiLayer());
    }
    return layers;
  }

  private SmallImage.Blob newCiLayer() {
    return SmallImage.Blob.random(random, random.nextInt(CI_NEW_MIN, CI_NEW_MAX + 1));
  }

  private int count(Integer chosen, int normal, int quickValue) {
    return chosen != null ? chosen : quick ? quickValue : normal;
  }

  private double warmup() {
    return warmupSeconds != null ? warmupSeconds : quick ? 3 : 30;
  }

  /**
   * {@code size()} clients, each on its own keep-alive connection and thread; image {@code i} of a
   * run always goes to client {@code i % size()}, so the phases of one set of images meet the same
   * connections in the same order as its whole pushes would.
   */
  private static final class Clients implements AutoCloseable {
    private final RegistryClient registry;
    private final HttpConnection[] connections;
    private final ExecutorService threads;

    Clients(RegistryClient registry, int n) throws IOException {
      this.registry = registry;
      this.connections = new HttpConnection[n];
      this.threads = Executors.newFixedThreadPool(n);
      for (int k = 0; k < n; k++) {
        connections[k] = registry.connect();
      }
    }

    int size() {
      return connections.length;
    }

    /**
     * Runs {@code work} on every image, the clients at once; returns the nanoseconds from the start
     * to the end of the last image, and puts each image's own time into {@code nanos} (if given).
     */
    long run(List<SmallImage> images, Work work, long[] nanos) throws Exception {
      int n = connections.length;
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>(n);
      for (int k = 0; k < n; k++) {
        int client = k;
        done.add(
            threads.submit(
                () -> {
                  go.await();
                  for (int i = client; i < images.size(); i += n) {
                    if (!connections[client].isOpen()) {
                      connections[client] = registry.connect();
                    }
                    long begin = System.nanoTime();
                    work.run(images.get(i), connections[client]);
                    if (nanos != null) {
                      nanos[i] = System.nanoTime() - begin;
                    }
                  }
                  return null;
                }));
      }
      long start = System.nanoTime();
      go.countDown();
      for (Future<?> f : done) {
        f.get();
      }
      return System.nanoTime() - start;
    }

    @Override
    public void close() {
      threads.shutdownNow();
      for (HttpConnection c : connections) {
        c.close();
      }
    }
  }

  /** What a client does with one image on its connection. */
  @FunctionalInterface
  interface Work {
    void run(SmallImage image, HttpConnection connection) throws IOException;
  }
}
