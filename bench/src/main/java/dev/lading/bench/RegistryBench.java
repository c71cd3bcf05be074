package dev.lading.bench;

import dev.lading.bench.ComparedServers.Target;
import dev.lading.core.model.Digest;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Starts Lading's server jar and, when installed, CNCF Distribution as child processes, runs the
 * same scenarios against both over loopback, and prints a side-by-side table. Run from the
 * repository root after {@code ./mvnw -q -DskipTests package}:
 *
 * <pre>java -jar bench/target/lading-bench.jar [--quick] [--size-gib 4] [--scenarios push,pull]
 * </pre>
 */
@Command(
    name = "lading-bench",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description =
        "Benchmarks Lading against CNCF Distribution over loopback: push, pull, "
            + "HEAD/manifest load, and server memory.")
public final class RegistryBench implements Callable<Integer> {

  enum Scenario {
    ceilings,
    push,
    pull,
    head,
    manifest,
    memory,
    pipeline
  }

  @Mixin ComparedServers servers = new ComparedServers();

  @Option(names = "--quick", description = "Small sizes and short runs, for trying the bench out.")
  boolean quick;

  @Option(
      names = "--size-gib",
      description = "Blob size for push and pull (default 4; quick 0.25).")
  Double sizeGib;

  @Option(names = "--chunk-mib", description = "PATCH size of the chunked push (default 64).")
  int chunkMib = 64;

  @Option(
      names = "--memory-sizes-gib",
      split = ",",
      description =
          "Blob sizes pushed to a fresh server to compare peak RSS (default 1,8; quick 0.0625,0.5).")
  List<Double> memorySizesGib;

  @Option(
      names = "--push-rounds",
      description =
          "Rounds of each push (each after a fresh disk measurement) and of full against ranged pulls (default 3; quick 1).")
  Integer pushRounds;

  @Option(
      names = "--disk-gib",
      description = "File size of the disk ceiling (default 2; quick 0.25).")
  Double diskGib;

  @Option(
      names = "--duration-s",
      description = "Measured seconds of each load run (default 10; quick 3).")
  Double durationSeconds;

  // A JVM serves its hot paths interpreted or from C1 code until C2 has compiled them, which
  // under this load takes 20-30 s on 2 cores (blob HEAD measured 8,010 req/s after 2 s of
  // warm-up, 8,000-15,000 after 10 s, 29,300 after 30 s). A registry runs for days, so the
  // bench measures the steady state.
  @Option(
      names = "--warmup-s",
      description =
          "Unmeasured seconds before each load run and before the measured pushes (default 30; quick 1).")
  Double warmupSeconds;

  @Option(
      names = "--connections",
      description = "Keep-alive connections of the HEAD/GET load (default 64).")
  int connections = 64;

  @Option(names = "--readers", description = "Concurrent ranged readers of the pull (default 16).")
  int readers = 16;

  @Option(
      names = "--ranges-per-request",
      description =
          "Ranges in each GET of the multi-range pull, whose clients are the --readers (default 64).")
  int rangesPerRequest = 64;

  @Option(
      names = "--scenarios",
      split = ",",
      description = "Any of ${COMPLETION-CANDIDATES} (default all).")
  Set<Scenario> scenarios = EnumSet.allOf(Scenario.class);

  @Option(
      names = "--data-dir",
      description = "Bench data on the real disk (default bench/target/bench-data).")
  Path dataDir = Path.of("bench", "target", "bench-data");

  @Option(
      names = "--tmpfs-dir",
      description =
          "Where the pipeline scenario puts a store in memory; must be on tmpfs (default /dev/shm/lading-bench, always deleted after).")
  Path tmpfsDir = Path.of("/dev/shm", "lading-bench");

  private static final long GIB = 1L << 30;
  private static final long MIB = 1L << 20;
  private static final String BIG_REPO = "bench/big";
  private static final String CHUNKED_REPO = "bench/chunked";
  private static final String SMALL_REPO = "bench/small";
  private static final String WARMUP_REPO = "bench/warmup";
  private static final long WARMUP_BLOB = 256 * MIB;
  private static final String TAG = "latest";

  private final PrintStream out = System.out;
  private final Results results = new Results(out);
  private GeneratedBlob monolithicBlob;
  private GeneratedBlob chunkedBlob;
  private final List<GeneratedBlob> memoryBlobs = new ArrayList<>();

  /** Median monolithic push to the disk, by target, for the pipeline scenario's comparison. */
  private final Map<String, Double> monolithicToDisk = new HashMap<>();

  public static void main(String[] args) {
    System.exit(
        new CommandLine(new RegistryBench())
            .setCaseInsensitiveEnumValuesAllowed(true)
            .execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Optional<String> refused = servers.refusedDataDir(dataDir, "disk numbers");
    if (refused.isPresent()) {
      System.err.println(refused.get());
      return 2;
    }
    long size = gib(sizeGib, 4, 0.25);
    out.printf(
        Locale.ROOT,
        "lading-bench: JDK %s, %d cores, data dir %s (%s)%n",
        Runtime.version(),
        Runtime.getRuntime().availableProcessors(),
        dataDir.toRealPath(),
        RegistryBench.fileSystemType(dataDir.toRealPath()));
    out.printf(
        Locale.ROOT,
        "  blob %s, chunks %d MiB, memory pushes %s, load %d connections for %.0f s "
            + "after %.0f s warm-up, %d ranged readers (multi-range: %d ranges each), scenarios %s%n",
        bytes(size),
        chunkMib,
        memorySizes().stream().map(RegistryBench::bytes).toList(),
        connections,
        seconds(durationSeconds, 10, 3),
        seconds(warmupSeconds, 30, 1),
        readers,
        rangesPerRequest,
        scenarios);

    if (scenarios.contains(Scenario.ceilings)) {
      runCeilings();
    }
    prepareBlobs(size);
    for (Target target : servers.targets) {
      runTarget(target);
    }
    results.printTable();
    return 0;
  }

  private void runCeilings() {
    out.println("Machine ceilings");
    long shaBytes = quick ? 256 * MIB : GIB;
    record(
        Results.MACHINE,
        "sha256",
        "1 core, 1 MiB updates",
        Unit.MB_PER_S,
        () -> MachineCeilings.sha256(shaBytes));
    long diskBytes = gib(diskGib, 2, 0.25);
    record(
        Results.MACHINE,
        "disk",
        "write " + bytes(diskBytes) + " + fsync",
        Unit.MB_PER_S,
        () -> MachineCeilings.diskWriteWithFsync(dataDir, diskBytes));
    record(
        Results.MACHINE,
        "disk",
        "write " + bytes(diskBytes) + " direct I/O + fsync",
        Unit.MB_PER_S,
        () -> MachineCeilings.diskWriteDirect(dataDir, diskBytes));
    long tcpBytes = quick ? 512 * MIB : 4 * GIB;
    record(
        Results.MACHINE,
        "loopback tcp",
        "one connection",
        Unit.MB_PER_S,
        () -> MachineCeilings.loopbackTcp(tcpBytes));
  }

  /** Digests are computed once, before any server runs, so hashing never competes with one. */
  private void prepareBlobs(long size) {
    boolean anyServerScenario = scenarios.stream().anyMatch(s -> s != Scenario.ceilings);
    if (!anyServerScenario) {
      return;
    }
    List<GeneratedBlob> toHash = new ArrayList<>();
    monolithicBlob = new GeneratedBlob(1, size);
    chunkedBlob = new GeneratedBlob(2, size);
    if (scenarios.contains(Scenario.push)
        || scenarios.contains(Scenario.pull)
        || scenarios.contains(Scenario.pipeline)) {
      toHash.add(monolithicBlob);
    }
    if (scenarios.contains(Scenario.push)) {
      toHash.add(chunkedBlob);
    }
    if (scenarios.contains(Scenario.memory)) {
      long seed = 10;
      for (long memorySize : memorySizes()) {
        GeneratedBlob blob = new GeneratedBlob(seed++, memorySize);
        memoryBlobs.add(blob);
        toHash.add(blob);
      }
    }
    long total = toHash.stream().mapToLong(GeneratedBlob::size).sum();
    out.printf(Locale.ROOT, "Hashing %s of generated blobs ...%n", bytes(total));
    long start = System.nanoTime();
    toHash.forEach(GeneratedBlob::digest);
    out.printf(
        Locale.ROOT,
        "  generated + hashed at %.0f MB/s%n",
        Measurement.megabytesPerSecond(total, System.nanoTime() - start));
  }

  private void runTarget(Target target) throws IOException {
    String name = target.name();
    out.println();
    out.println("Target " + name);
    Optional<String> missing = servers.missing(target);
    if (missing.isPresent()) {
      out.println("  skipped: " + missing.get());
      return;
    }
    Path directory = dataDir.resolve(name);
    boolean serverScenarios =
        scenarios.stream()
            .anyMatch(
                s ->
                    s == Scenario.push
                        || s == Scenario.pull
                        || s == Scenario.head
                        || s == Scenario.manifest);
    if (serverScenarios) {
      reset(directory);
      try (ServerProcess server = start(target, directory)) {
        out.printf(Locale.ROOT, "  started pid %d on port %d%n", server.pid(), server.port());
        runServerScenarios(server);
      } catch (IOException e) {
        results.add(Measurement.failed(name, "start", "server", Unit.SECONDS, e.getMessage()));
      }
      cleanUp(directory);
    }
    if (scenarios.contains(Scenario.memory)) {
      for (GeneratedBlob blob : memoryBlobs) {
        reset(directory);
        String scenario = "memory " + bytes(blob.size());
        try (ServerProcess server = start(target, directory)) {
          results.add(
              Measurement.of(
                  name,
                  scenario,
                  "peak RSS idle",
                  server.memory().peakBytes() / (double) MIB,
                  Unit.MIB));
          measure(
              server,
              scenario,
              "monolithic push",
              Unit.MB_PER_S,
              () ->
                  pushRate(
                      blob,
                      BIG_REPO,
                      repository -> server.client().pushMonolithic(repository, blob)));
        } catch (IOException e) {
          results.add(Measurement.failed(name, scenario, "server", Unit.SECONDS, e.getMessage()));
        }
        cleanUp(directory);
      }
    }
    if (scenarios.contains(Scenario.pipeline)) {
      runPipeline(target);
    }
  }

  /**
   * The monolithic push again, into a server whose store is on tmpfs: what the network, the hashing
   * and the copying allow on this machine's cores when no disk is in the way. On a 2-core machine
   * the client, the loopback and the server share the cores, and this number is the ceiling of the
   * push to the disk: when it is below the disk's own speed, no store change can bring the disk
   * push up to the disk. The store is deleted afterwards, whatever {@code --keep-data} says: it
   * holds memory.
   */
  private void runPipeline(Target target) throws IOException {
    String name = target.name();
    String scenario = "push into tmpfs";
    String unusable = unusableTmpfs(2 * monolithicBlob.size() + WARMUP_BLOB + 64 * MIB);
    if (unusable != null) {
      out.printf("  [%s] %s skipped: %s (choose --tmpfs-dir)%n", name, scenario, unusable);
      return;
    }
    Path directory = tmpfsDir.resolve(name);
    reset(directory);
    try (ServerProcess server = start(target, directory)) {
      warmUpPushes(server);
      double median =
          pushRounds(
              server,
              scenario,
              "POST + one PUT",
              monolithicBlob,
              repository -> server.client().pushMonolithic(repository, monolithicBlob),
              false);
      Double toDisk = monolithicToDisk.get(name);
      if (toDisk != null && !Double.isNaN(median)) {
        results.add(
            Measurement.of(
                name,
                scenario,
                "push to the disk / push into tmpfs, medians",
                100 * toDisk / median,
                Unit.PERCENT));
      }
    } catch (IOException e) {
      results.add(Measurement.failed(name, scenario, "server", Unit.SECONDS, e.getMessage()));
    } finally {
      DirectoryTrees.delete(directory);
    }
  }

  /** Why {@link #tmpfsDir} cannot take {@code needed} bytes in memory, or null when it can. */
  private String unusableTmpfs(long needed) {
    try {
      Files.createDirectories(tmpfsDir);
      Path real = tmpfsDir.toRealPath();
      String fileSystem = fileSystemType(real);
      if (!fileSystem.equals("tmpfs") && !fileSystem.equals("ramfs")) {
        return real + " is on " + fileSystem + ", not tmpfs";
      }
      if (Files.getFileStore(real).getUsableSpace() < needed) {
        return real + " has less than " + bytes(needed) + " free";
      }
      return null;
    } catch (IOException e) {
      return tmpfsDir + " is not usable: " + e;
    }
  }

  private void runServerScenarios(ServerProcess server) {
    RegistryClient client = server.client();
    if (scenarios.contains(Scenario.push)) {
      warmUpPushes(server);
      double monolithic =
          pushRounds(
              server,
              "push monolithic",
              "POST + one PUT",
              monolithicBlob,
              repository -> client.pushMonolithic(repository, monolithicBlob),
              true);
      if (!Double.isNaN(monolithic)) {
        monolithicToDisk.put(server.name(), monolithic);
      }
      pushRounds(
          server,
          "push chunked",
          "PATCH " + chunkMib + " MiB",
          chunkedBlob,
          repository -> client.pushChunked(repository, chunkedBlob, chunkMib * MIB),
          true);
    }
    if (scenarios.contains(Scenario.pull)) {
      if (!scenarios.contains(Scenario.push)) {
        out.println("  (pushing the pull blob first, unmeasured)");
        try {
          client.pushMonolithic(BIG_REPO, monolithicBlob);
        } catch (IOException e) {
          results.add(
              Measurement.failed(
                  server.name(), "pull", "setup push", Unit.MB_PER_S, e.getMessage()));
        }
      }
      pullRounds(server, monolithicBlob);
    }
    if (scenarios.contains(Scenario.head) || scenarios.contains(Scenario.manifest)) {
      Digest layer;
      try {
        layer = pushSmallImage(client);
      } catch (IOException e) {
        results.add(
            Measurement.failed(
                server.name(), "load", "setup image", Unit.REQUESTS_PER_S, e.getMessage()));
        return;
      }
      if (scenarios.contains(Scenario.head)) {
        hammer(
            server,
            "blob HEAD",
            new LoadHammer.Request(
                "HEAD", RegistryClient.blobPath(SMALL_REPO, layer), Map.of(), 200));
      }
      if (scenarios.contains(Scenario.manifest)) {
        hammer(
            server,
            "manifest GET",
            new LoadHammer.Request(
                "GET",
                RegistryClient.manifestPath(SMALL_REPO, TAG),
                Map.of("Accept", RegistryClient.OCI_MANIFEST),
                200));
      }
    }
  }

  /**
   * Pushes a small blob, monolithic and chunked by turns, for the warm-up time before the measured
   * pushes, so they measure the server's steady state as the load runs do. A cold JVM spends the
   * first pushes compiling: measured here, C2 compilation was 28 % of the Lading server's CPU over
   * a push-only run, and its first two 2 GiB pushes took 6.6-7.6 CPU seconds against 4.5 for the
   * third. The same blob goes again each time, so the warm-up stores it once.
   */
  private void warmUpPushes(ServerProcess server) {
    long until = System.nanoTime() + warmup().toNanos();
    GeneratedBlob blob = new GeneratedBlob(3, Math.min(WARMUP_BLOB, monolithicBlob.size()));
    RegistryClient client = server.client();
    int pushes = 0;
    try {
      do {
        if (pushes % 2 == 0) {
          client.pushMonolithic(WARMUP_REPO, blob);
        } else {
          client.pushChunked(WARMUP_REPO, blob, Math.min(chunkMib * MIB, blob.size()));
        }
        pushes++;
      } while (pushes < 2 || System.nanoTime() < until);
      out.printf(
          "  [%s] push warm-up: %d unmeasured pushes of %s%n",
          server.name(), pushes, bytes(blob.size()));
    } catch (IOException e) {
      results.add(
          Measurement.failed(server.name(), "push", "warm-up", Unit.MB_PER_S, e.getMessage()));
    }
  }

  /**
   * Pushes {@code blob} {@link #pushRounds} times, each into a repository of its own; returns the
   * median push, NaN when no round succeeded. With {@code againstDisk}, the disk's direct-I/O write
   * speed is measured just before each push: this machine's virtual disk varies by 2x from one
   * minute to the next (dd, 2 GiB, 1 MiB direct writes: 287 to 592 MiB/s within a minute), so a
   * push is only comparable with the disk as it was at that moment. Prints every round and the
   * median push, and with {@code againstDisk} the medians of the disk just before and of the
   * per-round ratios.
   */
  private double pushRounds(
      ServerProcess server,
      String scenario,
      String metric,
      GeneratedBlob blob,
      Push push,
      boolean againstDisk) {
    List<Double> pushes = new ArrayList<>();
    List<Double> disks = new ArrayList<>();
    List<Double> ratios = new ArrayList<>();
    for (int round = 1; round <= rounds(); round++) {
      String repository = roundRepository(round);
      double disk = Double.NaN;
      if (againstDisk) {
        try {
          disk = MachineCeilings.diskWriteDirect(dataDir, blob.size());
        } catch (IOException e) {
          results.add(
              Measurement.failed(
                  server.name(),
                  scenario,
                  "disk before round " + round,
                  Unit.MB_PER_S,
                  e.toString()));
          continue;
        }
      }
      double diskBefore = disk;
      measure(
          server,
          scenario,
          metric + ", round " + round,
          Unit.MB_PER_S,
          () -> {
            double pushed = pushRate(blob, repository, push);
            pushes.add(pushed);
            if (againstDisk) {
              disks.add(diskBefore);
              ratios.add(100 * pushed / diskBefore);
            }
            return pushed;
          });
    }
    if (pushes.isEmpty()) {
      return Double.NaN;
    }
    double median = Measurement.median(pushes);
    results.add(
        Measurement.of(server.name(), scenario, metric + ", median", median, Unit.MB_PER_S));
    if (againstDisk) {
      results.add(
          Measurement.of(
              server.name(),
              scenario,
              "disk direct+fsync just before, median",
              Measurement.median(disks),
              Unit.MB_PER_S));
      results.add(
          Measurement.of(
              server.name(),
              scenario,
              "push / disk just before, median",
              Measurement.median(ratios),
              Unit.PERCENT));
    }
    return median;
  }

  /** Pushes {@code blob} into {@code repository}; the push's MB/s. */
  private static double pushRate(GeneratedBlob blob, String repository, Push push)
      throws Exception {
    long begin = System.nanoTime();
    push.to(repository);
    return Measurement.megabytesPerSecond(blob.size(), System.nanoTime() - begin);
  }

  /** Each push round goes into a repository of its own. */
  private static String roundRepository(int round) {
    return round == 1 ? BIG_REPO : BIG_REPO + "-" + round;
  }

  /** One push of the bench's blob into {@code repository}. */
  @FunctionalInterface
  private interface Push {
    void to(String repository) throws Exception;
  }

  /**
   * The first GET after the push once (Lading wrote the blob with direct I/O, so it reads the
   * disk), then rounds of a full GET from the page cache and the ranged readers by turns, so the
   * two are compared under the same conditions: a GET of 2 GiB from the page cache lasts half a
   * second, and single ones measured 2.5 to 5.5 GB/s on the same machine. Unmeasured rounds go
   * first for the warm-up time, as before the load runs: after one warm-up round, three measured
   * rounds of 16 ranged readers still rose from 2.4 to 2.8 to 2.9 GB/s while the JIT compiled.
   * Prints each round, the medians and the median of the per-round ratios.
   */
  private void pullRounds(ServerProcess server, GeneratedBlob blob) {
    RegistryClient client = server.client();
    Digest digest = blob.digest();
    long size = blob.size();
    measure(
        server,
        "pull full",
        "first GET after the push",
        Unit.MB_PER_S,
        () -> fullPull(client, digest, size));
    long warmUntil = System.nanoTime() + warmup().toNanos();
    boolean multi = true;
    try {
      do {
        fullPull(client, digest, size);
        rangedPull(client, digest, size);
        if (multi) {
          try {
            multiRangePull(client, digest, size);
          } catch (Exception e) {
            // Measured below all the same, where the failure is printed; the other pulls go on.
            multi = false;
          }
        }
      } while (System.nanoTime() < warmUntil);
    } catch (Exception e) {
      results.add(
          Measurement.failed(
              server.name(), "pull ranged", "warm-up round", Unit.MB_PER_S, e.toString()));
      return;
    }
    int rounds = rounds();
    List<Double> fulls = new ArrayList<>();
    List<Double> ranged = new ArrayList<>();
    List<Double> ratios = new ArrayList<>();
    List<Double> multis = new ArrayList<>();
    List<Double> multiRatios = new ArrayList<>();
    String rangedMetric = readers + " readers, aggregate";
    String multiMetric = readers + " clients x " + rangesPerRequest + " ranges per GET, aggregate";
    for (int round = 1; round <= rounds; round++) {
      double[] full = {Double.NaN};
      measure(
          server,
          "pull full",
          "GET from the page cache, round " + round,
          Unit.MB_PER_S,
          () -> {
            full[0] = fullPull(client, digest, size);
            fulls.add(full[0]);
            return full[0];
          });
      measure(
          server,
          "pull ranged",
          rangedMetric + ", round " + round,
          Unit.MB_PER_S,
          () -> {
            double aggregate = rangedPull(client, digest, size);
            ranged.add(aggregate);
            if (!Double.isNaN(full[0])) {
              ratios.add(100 * aggregate / full[0]);
            }
            return aggregate;
          });
      measure(
          server,
          "pull multi-range",
          multiMetric + ", round " + round,
          Unit.MB_PER_S,
          () -> {
            double aggregate = multiRangePull(client, digest, size);
            multis.add(aggregate);
            if (!Double.isNaN(full[0])) {
              multiRatios.add(100 * aggregate / full[0]);
            }
            return aggregate;
          });
    }
    if (!fulls.isEmpty() && !ranged.isEmpty()) {
      results.add(
          Measurement.of(
              server.name(),
              "pull full",
              "GET from the page cache, median",
              Measurement.median(fulls),
              Unit.MB_PER_S));
      results.add(
          Measurement.of(
              server.name(),
              "pull ranged",
              rangedMetric + ", median",
              Measurement.median(ranged),
              Unit.MB_PER_S));
    }
    if (!ratios.isEmpty()) {
      results.add(
          Measurement.of(
              server.name(),
              "pull ranged",
              "ranged / full GET of the same round, median",
              Measurement.median(ratios),
              Unit.PERCENT));
    }
    if (!multis.isEmpty()) {
      results.add(
          Measurement.of(
              server.name(),
              "pull multi-range",
              multiMetric + ", median",
              Measurement.median(multis),
              Unit.MB_PER_S));
    }
    if (!multiRatios.isEmpty()) {
      results.add(
          Measurement.of(
              server.name(),
              "pull multi-range",
              "multi-range / full GET of the same round, median",
              Measurement.median(multiRatios),
              Unit.PERCENT));
    }
  }

  private static double fullPull(RegistryClient client, Digest digest, long size)
      throws IOException {
    long begin = System.nanoTime();
    long received = client.pull(BIG_REPO, digest);
    long nanos = System.nanoTime() - begin;
    if (received != size) {
      throw new IOException("GET returned " + received + " of " + size + " bytes");
    }
    return Measurement.megabytesPerSecond(size, nanos);
  }

  /** {@link #readers} concurrent GETs, each of an equal share of the blob; the aggregate MB/s. */
  private double rangedPull(RegistryClient client, Digest digest, long size) throws Exception {
    long begin = System.nanoTime();
    List<Future<Long>> parts = new ArrayList<>();
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < readers; i++) {
        long first = size * i / readers;
        long last = size * (i + 1) / readers - 1;
        parts.add(threads.submit(() -> client.pullRange(BIG_REPO, digest, first, last)));
      }
    }
    long received = 0;
    for (Future<Long> part : parts) {
      received += part.get();
    }
    long nanos = System.nanoTime() - begin;
    if (received != size) {
      throw new IOException("ranged readers received " + received + " of " + size + " bytes");
    }
    return Measurement.megabytesPerSecond(size, nanos);
  }

  /**
   * {@link #readers} concurrent GETs of {@link #rangesPerRequest} ranges each, as a lazy pull asks
   * for the chunks it lacks: the blob cut into readers x ranges slices, client {@code c} asking for
   * slices {@code c}, {@code c + readers}, {@code c + 2 readers}, ... so no two ranges of one GET
   * touch (none is merged) and together the clients read the blob once. Every answer is read as
   * multipart and checked part by part (ranges and order); the aggregate MB/s counts the parts'
   * bytes, not the framing, so it compares with the single-range pull's.
   */
  private double multiRangePull(RegistryClient client, Digest digest, long size) throws Exception {
    long slices = (long) readers * rangesPerRequest;
    long begin = System.nanoTime();
    List<Future<Long>> requests = new ArrayList<>();
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int c = 0; c < readers; c++) {
        List<long[]> ranges = new ArrayList<>();
        for (long k = c; k < slices; k += readers) {
          ranges.add(new long[] {size * k / slices, size * (k + 1) / slices - 1});
        }
        requests.add(threads.submit(() -> client.pullRanges(BIG_REPO, digest, ranges)));
      }
    }
    long received = 0;
    for (Future<Long> request : requests) {
      received += request.get();
    }
    long nanos = System.nanoTime() - begin;
    if (received != size) {
      throw new IOException("multi-range clients received " + received + " of " + size + " bytes");
    }
    return Measurement.megabytesPerSecond(size, nanos);
  }

  /** A config, a small layer and a manifest tagged {@code latest}; returns the layer's digest. */
  private static Digest pushSmallImage(RegistryClient client) throws IOException {
    byte[] config =
        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"
            .getBytes(StandardCharsets.UTF_8);
    byte[] layer = new byte[4096];
    new SplittableRandom(7).nextBytes(layer);
    client.pushSmall(SMALL_REPO, config);
    client.pushSmall(SMALL_REPO, layer);
    String manifest =
        """
        {"schemaVersion":2,"mediaType":"%s",\
        "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},\
        "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}"""
            .formatted(
                RegistryClient.OCI_MANIFEST,
                Digest.sha256(config),
                config.length,
                Digest.sha256(layer),
                layer.length);
    client.putManifest(SMALL_REPO, TAG, manifest.getBytes(StandardCharsets.UTF_8));
    return Digest.sha256(layer);
  }

  private void hammer(ServerProcess server, String scenario, LoadHammer.Request request) {
    String name = server.name();
    try {
      double cpuBefore = server.cpuSeconds();
      double clientBefore = clientCpuSeconds();
      LoadHammer.Summary s =
          LoadHammer.run(
              server.client(),
              request,
              connections,
              warmup(),
              Duration.ofMillis((long) (seconds(durationSeconds, 10, 3) * 1000)));
      double cpu = server.cpuSeconds() - cpuBefore;
      results.add(
          Measurement.of(
              name,
              scenario,
              connections + " connections",
              s.requestsPerSecond(),
              Unit.REQUESTS_PER_S));
      results.add(Measurement.of(name, scenario, "p50", s.p50Millis(), Unit.MILLISECONDS));
      results.add(Measurement.of(name, scenario, "p99", s.p99Millis(), Unit.MILLISECONDS));
      results.add(
          Measurement.of(name, scenario, "server CPU (incl. warm-up)", cpu, Unit.CPU_SECONDS));
      results.add(
          Measurement.of(
              name,
              scenario,
              "client CPU (incl. warm-up)",
              clientCpuSeconds() - clientBefore,
              Unit.CPU_SECONDS));
      results.add(
          Measurement.of(
              name,
              scenario,
              "server peak RSS so far",
              server.memory().peakBytes() / (double) MIB,
              Unit.MIB));
    } catch (Exception e) {
      results.add(
          Measurement.failed(
              name,
              scenario,
              connections + " connections",
              Unit.REQUESTS_PER_S,
              describe(e, server)));
    }
  }

  @FunctionalInterface
  private interface Work {
    double run() throws Exception;
  }

  /** Runs one transfer, then records its rate, the server's CPU time and its peak RSS so far. */
  private void measure(ServerProcess server, String scenario, String metric, Unit unit, Work work) {
    String name = server.name();
    double cpuBefore;
    double clientBefore = clientCpuSeconds();
    try {
      cpuBefore = server.cpuSeconds();
    } catch (IOException e) {
      results.add(Measurement.failed(name, scenario, metric, unit, describe(e, server)));
      return;
    }
    try {
      results.add(Measurement.of(name, scenario, metric, work.run(), unit));
    } catch (Exception e) {
      results.add(Measurement.failed(name, scenario, metric, unit, describe(e, server)));
    }
    try {
      // Named after the metric: a scenario may measure several things, each with its own CPU.
      results.add(
          Measurement.of(
              name,
              scenario,
              metric + ", server CPU",
              server.cpuSeconds() - cpuBefore,
              Unit.CPU_SECONDS));
      results.add(
          Measurement.of(
              name,
              scenario,
              metric + ", client CPU",
              clientCpuSeconds() - clientBefore,
              Unit.CPU_SECONDS));
      results.add(
          Measurement.of(
              name,
              scenario,
              "server peak RSS so far",
              server.memory().peakBytes() / (double) MIB,
              Unit.MIB));
    } catch (IOException e) {
      results.add(
          Measurement.failed(
              name,
              scenario,
              "server peak RSS so far",
              Unit.MIB,
              "server gone: " + e.getMessage()));
    }
  }

  private void record(String target, String scenario, String metric, Unit unit, Work work) {
    try {
      results.add(Measurement.of(target, scenario, metric, work.run(), unit));
    } catch (Exception e) {
      results.add(Measurement.failed(target, scenario, metric, unit, String.valueOf(e)));
    }
  }

  /** CPU time of this bench process, so a reader sees how much of the 2 cores the client took. */
  private static double clientCpuSeconds() {
    return ProcessHandle.current()
        .info()
        .totalCpuDuration()
        .map(d -> d.toNanos() / 1e9)
        .orElse(Double.NaN);
  }

  private ServerProcess start(Target target, Path directory) throws IOException {
    return servers.start(target, directory);
  }

  private static String describe(Exception e, ServerProcess server) {
    String message = e.getClass().getSimpleName() + ": " + e.getMessage();
    try {
      server.cpuSeconds();
      return message;
    } catch (IOException gone) {
      return message + "\n    server died; log tail:\n" + server.logTail().indent(6);
    }
  }

  private void reset(Path directory) throws IOException {
    DirectoryTrees.delete(directory);
    Files.createDirectories(directory);
  }

  private void cleanUp(Path directory) throws IOException {
    if (!servers.keepData) {
      DirectoryTrees.delete(directory.resolve("store"));
    }
  }

  private List<Long> memorySizes() {
    List<Double> sizes =
        memorySizesGib != null ? memorySizesGib : quick ? List.of(0.0625, 0.5) : List.of(1.0, 8.0);
    return sizes.stream().map(g -> (long) (g * GIB)).toList();
  }

  private long gib(Double chosen, double normal, double quickValue) {
    return (long) ((chosen != null ? chosen : quick ? quickValue : normal) * GIB);
  }

  /** Unmeasured time before each load run, the measured pushes and the measured pulls. */
  private Duration warmup() {
    return Duration.ofMillis((long) (seconds(warmupSeconds, 30, 1) * 1000));
  }

  /** Measured rounds of each push and of the full-against-ranged pulls. */
  private int rounds() {
    return pushRounds != null ? pushRounds : quick ? 1 : 3;
  }

  private double seconds(Double chosen, double normal, double quickValue) {
    return chosen != null ? chosen : quick ? quickValue : normal;
  }

  static String bytes(long n) {
    if (n >= GIB && n % (GIB / 4) == 0) {
      return String.format(Locale.ROOT, "%s GiB", trim(n / (double) GIB));
    }
    return String.format(Locale.ROOT, "%s MiB", trim(n / (double) MIB));
  }

  private static String trim(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.2f", v);
  }

  /** The type of the file system holding {@code path}: the longest mount point that contains it. */
  static String fileSystemType(Path path) throws IOException {
    String best = "";
    String type = "unknown";
    for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
      String[] fields = line.split(" ");
      if (fields.length < 3) {
        continue;
      }
      String mountPoint = fields[1].replace("\\040", " ");
      boolean contains =
          path.toString().equals(mountPoint)
              || mountPoint.equals("/")
              || path.toString().startsWith(mountPoint + "/");
      if (contains && mountPoint.length() >= best.length()) {
        best = mountPoint;
        type = fields[2];
      }
    }
    return type;
  }
}
