package dev.lading.bench;

import dev.lading.core.model.Digest;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * A large model pushed and pulled as ML teams move them (issue #20): a ModelPack-style artifact
 * ({@code artifactType application/vnd.cncf.model.manifest.v1+json}) of {@code --layers} weight
 * layers ({@code application/vnd.cncf.model.weight.v1.raw}, each with its {@code
 * org.cncf.model.filepath}) totalling {@code --total-gib}, against Lading on the filesystem store
 * and on S3 (an S3Proxy started here, on the same disk).
 *
 * <p>The push sends the layers with {@code --clients} concurrent uploads (session {@code POST},
 * then one {@code PUT} with the whole layer), then the config and the manifest. The pull fetches
 * every layer in {@code --range-mib} ranges with {@code --clients} keep-alive connections, each
 * taking the next range of any layer, as parallel downloaders (ollama, Hugging Face style tools,
 * {@code oras} with concurrency) do; every byte received is compared with the generated content.
 * Layer content is generated on demand ({@link GeneratedBlob}), so the client holds no layer. It
 * prints MB/s of each (bytes over the wall time), the server's CPU seconds, and its peak resident
 * memory ({@code VmHWM}) after the push and after the pull. Client, server (and S3Proxy) share the
 * machine's cores.
 *
 * <pre>
 * java -cp bench/target/lading-bench.jar dev.lading.bench.ModelBench                 # 100 layers, 20 GiB
 * java -cp bench/target/lading-bench.jar dev.lading.bench.ModelBench --total-gib 1 --stores fs
 * </pre>
 */
@Command(
    name = "model-bench",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description =
        "Push and pull of a many-layer ModelPack-style model with parallel clients and ranged"
            + " reads: MB/s, server CPU and peak RSS, on the filesystem store and on S3.")
public final class ModelBench implements Callable<Integer> {

  enum Store {
    fs,
    s3
  }

  static final String ARTIFACT_TYPE = "application/vnd.cncf.model.manifest.v1+json";
  static final String CONFIG_TYPE = "application/vnd.cncf.model.config.v1+json";
  static final String WEIGHT_TYPE = "application/vnd.cncf.model.weight.v1.raw";

  @Option(names = "--layers", description = "Weight layers (default ${DEFAULT-VALUE}).")
  int layers = 100;

  @Option(names = "--total-gib", description = "Size of all layers (default ${DEFAULT-VALUE}).")
  double totalGib = 20;

  @Option(names = "--clients", description = "Parallel connections (default ${DEFAULT-VALUE}).")
  int clients = 16;

  @Option(names = "--range-mib", description = "Size of one ranged GET (default ${DEFAULT-VALUE}).")
  int rangeMib = 64;

  @Option(
      names = "--stores",
      split = ",",
      description = "Any of ${COMPLETION-CANDIDATES} (default both).")
  Set<Store> stores = EnumSet.allOf(Store.class);

  @Mixin LadingJar lading = new LadingJar();

  @Option(
      names = "--data-dir",
      description = "Where stores and logs go, on the disk to measure (default /var/tmp).")
  Path dataDir = Path.of("/var/tmp", "lading-model-bench");

  @Option(names = "--tools", description = "Where s3proxy-up.sh and s3proxy-down.sh are.")
  Path tools = Path.of("/work/shared/tools");

  @Option(names = "--s3proxy-port", description = "Port of the S3Proxy (default ${DEFAULT-VALUE}).")
  int s3proxyPort = 15277;

  @Option(
      names = "--s3-endpoint",
      description = "An S3 endpoint already running (Ceph RGW, MinIO) instead of an S3Proxy.")
  URI s3Endpoint;

  @Option(names = "--s3-bucket", description = "Created when missing (default ${DEFAULT-VALUE}).")
  String s3Bucket = "lading-model-bench";

  @Option(names = "--s3-region", description = "(default ${DEFAULT-VALUE})")
  String s3Region = "us-east-1";

  @Option(names = "--s3-access-key")
  String s3AccessKey;

  @Option(names = "--s3-secret-key")
  String s3SecretKey;

  @Option(names = "--keep-data", description = "Keep the stores after the run.")
  boolean keepData;

  private final PrintStream out = System.out;

  public static void main(String[] args) {
    System.exit(new CommandLine(new ModelBench()).execute(args));
  }

  /** One weight layer: its generated content and the file name it carries. */
  private record Layer(String fileName, GeneratedBlob blob) {}

  /** One ranged read of the pull. */
  private record Piece(Layer layer, long offset, long length) {}

  @Override
  public Integer call() throws Exception {
    long total = (long) (totalGib * (1L << 30));
    List<Layer> model = new ArrayList<>();
    for (int i = 0; i < layers; i++) {
      long size = total / layers + (i < total % layers ? 1 : 0);
      String name = String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", i + 1, layers);
      model.add(new Layer(name, new GeneratedBlob(0x5EED_0000L + i, size)));
    }
    out.printf(
        "model-bench: %d layers, %.2f GiB, %d clients, %d MiB ranges, %d cores, data dir %s%n",
        layers,
        total / (double) (1L << 30),
        clients,
        rangeMib,
        Runtime.getRuntime().availableProcessors(),
        dataDir);
    long hashing = System.nanoTime();
    parallel(model.stream().map(l -> (Callable<Object>) () -> l.blob().digest()).toList());
    out.printf(
        "  layer digests computed by the client in %.1f s (before any timing)%n",
        (System.nanoTime() - hashing) / 1e9);
    for (Store store : stores) {
      Path directory = dataDir.resolve(store.name());
      DirectoryTrees.delete(directory);
      Files.createDirectories(directory);
      SoakStore s3 = null;
      try {
        ServerProcess server;
        if (store == Store.fs) {
          server = ServerProcess.lading(lading.jar, lading.jvmOptions, directory);
        } else {
          // A prefix of the run's own: on an endpoint already running, only it is deleted after.
          String prefix = "model-bench-" + System.currentTimeMillis() + "/";
          s3 =
              SoakStore.s3(
                  new SoakStore.S3Target(s3Endpoint, s3Bucket, s3Region, s3AccessKey, s3SecretKey),
                  8,
                  directory,
                  s3proxyPort,
                  tools,
                  prefix);
          server =
              ServerProcess.ladingOnS3(lading.jar, lading.jvmOptions, directory, s3Env(s3, prefix));
        }
        try (server) {
          run(store, server, model, total);
        }
      } finally {
        if (s3 != null) {
          s3.close(keepData);
        }
        if (!keepData) {
          DirectoryTrees.delete(directory);
        }
      }
    }
    return 0;
  }

  /** The server's S3 settings, under the run's {@code prefix} of the bucket. */
  private static Map<String, String> s3Env(SoakStore store, String prefix) {
    SoakStore.S3Target s3 = store.s3Target();
    Map<String, String> env = new LinkedHashMap<>();
    env.put("LADING_STORAGE_S3_ENDPOINT", s3.endpoint().toString());
    env.put("LADING_STORAGE_S3_BUCKET", s3.bucket());
    env.put("LADING_STORAGE_S3_REGION", s3.region());
    env.put("LADING_STORAGE_S3_PREFIX", prefix);
    env.put("LADING_STORAGE_S3_ACCESS_KEY", s3.accessKey());
    env.put("LADING_STORAGE_S3_SECRET_KEY", s3.secretKey());
    env.put("LADING_STORAGE_S3_PATH_STYLE", "true");
    return env;
  }

  private void run(Store store, ServerProcess server, List<Layer> model, long total)
      throws Exception {
    RegistryClient client = server.client();
    String repository = "models/bench";
    out.printf("%nLading on %s (port %d)%n", store, server.port());

    double cpuStart = server.cpuSeconds();
    long pushStart = System.nanoTime();
    parallel(
        model.stream()
            .map(
                layer ->
                    (Callable<Object>)
                        () -> {
                          client.pushMonolithic(repository, layer.blob());
                          return null;
                        })
            .toList());
    GeneratedBlob config = new GeneratedBlob(0xC0F1L, 512);
    client.pushMonolithic(repository, config);
    byte[] manifest = manifest(model, config).getBytes(StandardCharsets.UTF_8);
    try (HttpConnection c = client.connect()) {
      RegistryClient.expect(
          c.exchange(
              "PUT",
              RegistryClient.manifestPath(repository, "v1"),
              Map.of("Content-Type", RegistryClient.OCI_MANIFEST),
              manifest.length,
              o -> o.write(manifest),
              true),
          201,
          "manifest PUT");
    }
    double pushSeconds = (System.nanoTime() - pushStart) / 1e9;
    double cpuPushed = server.cpuSeconds();
    ServerProcess.Memory afterPush = server.memory();
    report(store, "push", total, pushSeconds, cpuPushed - cpuStart, afterPush);

    ConcurrentLinkedQueue<Piece> pieces = new ConcurrentLinkedQueue<>();
    long range = (long) rangeMib << 20;
    for (Layer layer : model) {
      for (long offset = 0; offset < layer.blob().size(); offset += range) {
        pieces.add(new Piece(layer, offset, Math.min(range, layer.blob().size() - offset)));
      }
    }
    int requests = pieces.size();
    AtomicLong received = new AtomicLong();
    long pullStart = System.nanoTime();
    List<Callable<Object>> pullers = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      pullers.add(
          () -> {
            try (HttpConnection c = client.connect()) {
              for (Piece p = pieces.poll(); p != null; p = pieces.poll()) {
                Digest digest = p.layer().blob().digest();
                HttpConnection.Response r =
                    c.exchange(
                        "GET",
                        RegistryClient.blobPath(repository, digest),
                        Map.of(
                            "Range", "bytes=" + p.offset() + "-" + (p.offset() + p.length() - 1)),
                        p.layer().blob().checker(p.offset()));
                RegistryClient.expect(r, 206, "ranged GET of " + p.layer().fileName());
                if (r.bodyLength() != p.length()) {
                  throw new IllegalStateException(
                      "range of " + p.length() + " bytes answered with " + r.bodyLength());
                }
                received.addAndGet(r.bodyLength());
              }
            }
            return null;
          });
    }
    parallel(pullers);
    double pullSeconds = (System.nanoTime() - pullStart) / 1e9;
    if (received.get() != total) {
      throw new IllegalStateException("pulled " + received.get() + " of " + total + " bytes");
    }
    report(
        store,
        "pull (" + requests + " ranged GETs)",
        total,
        pullSeconds,
        server.cpuSeconds() - cpuPushed,
        server.memory());
  }

  private void report(
      Store store,
      String what,
      long bytes,
      double seconds,
      double serverCpu,
      ServerProcess.Memory memory) {
    out.printf(
        Locale.ROOT,
        "  %-3s %-26s %,10.1f MB/s  (%,.0f MB in %.1f s)  server CPU %.1f s  server peak RSS %,d"
            + " MiB%n",
        store,
        what,
        bytes / 1e6 / seconds,
        bytes / 1e6,
        seconds,
        serverCpu,
        memory.peakBytes() >> 20);
  }

  private static String manifest(List<Layer> model, GeneratedBlob config) {
    StringBuilder json = new StringBuilder(256 + 256 * model.size());
    json.append("{\"schemaVersion\":2,\"mediaType\":\"")
        .append(RegistryClient.OCI_MANIFEST)
        .append("\",\"artifactType\":\"")
        .append(ARTIFACT_TYPE)
        .append("\",\"config\":")
        .append(descriptor(CONFIG_TYPE, config, null))
        .append(",\"layers\":[");
    for (int i = 0; i < model.size(); i++) {
      Layer layer = model.get(i);
      json.append(i == 0 ? "" : ",")
          .append(descriptor(WEIGHT_TYPE, layer.blob(), layer.fileName()));
    }
    return json.append("]}").toString();
  }

  private static String descriptor(String mediaType, GeneratedBlob blob, String filePath) {
    return "{\"mediaType\":\""
        + mediaType
        + "\",\"digest\":\""
        + blob.digest()
        + "\",\"size\":"
        + blob.size()
        + (filePath == null
            ? ""
            : ",\"annotations\":{\"org.cncf.model.filepath\":\"" + filePath + "\"}")
        + "}";
  }

  /** Runs {@code tasks} on {@code --clients} threads; the first failure fails the run. */
  private void parallel(List<Callable<Object>> tasks) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, clients));
    try {
      List<Future<Object>> done = new ArrayList<>();
      for (Callable<Object> task : tasks) {
        done.add(pool.submit(task));
      }
      for (Future<Object> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
