package dev.lading.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Where the soaked server keeps its data, as the LADING_STORAGE_* settings that say so: a
 * directory, or a fresh prefix in a bucket, on an S3 endpoint given by the caller (a Ceph RGW) or
 * on an S3Proxy started here out of process with {@code s3proxy-up.sh} (a separate JVM, so killing
 * Lading never touches the store's own process). Closing removes what the run wrote unless it is to
 * be kept.
 */
abstract sealed class SoakStore implements AutoCloseable {

  abstract Map<String, String> env();

  abstract String describe();

  /**
   * The S3 endpoint, bucket and keys reached (an S3Proxy started here: its own), or null for a
   * directory; for a program that starts servers of its own on the same bucket.
   */
  S3Target s3Target() {
    return null;
  }

  /** Removes the run's data ({@code keep}: leaves it, but still stops an S3Proxy started here). */
  abstract void close(boolean keep) throws IOException, InterruptedException;

  @Override
  public void close() throws IOException, InterruptedException {
    close(false);
  }

  static SoakStore filesystem(Path root) throws IOException {
    return new Filesystem(Files.createDirectories(root));
  }

  /** The S3 connection: endpoint, bucket, region, keys. */
  record S3Target(URI endpoint, String bucket, String region, String accessKey, String secretKey) {}

  /**
   * On {@code target}, or with no endpoint on an S3Proxy started on {@code s3proxyPort} under
   * {@code dir}.
   */
  static SoakStore s3(
      S3Target target, int partMib, Path dir, int s3proxyPort, Path tools, String prefix)
      throws IOException, InterruptedException {
    Path proxyDir = target.endpoint() == null ? dir.resolve("s3proxy") : null;
    S3Target reached =
        proxyDir == null ? target : startS3Proxy(tools, s3proxyPort, proxyDir, target);
    S3Client s3 = client(reached);
    try {
      s3.headBucket(b -> b.bucket(reached.bucket()));
    } catch (NoSuchBucketException e) {
      s3.createBucket(b -> b.bucket(reached.bucket()));
    }
    return new S3(reached, s3, prefix, partMib, proxyDir, tools);
  }

  private static final class Filesystem extends SoakStore {
    private final Path root;

    Filesystem(Path root) {
      this.root = root;
    }

    @Override
    Map<String, String> env() {
      return Map.of("LADING_STORAGE_FILESYSTEM_ROOT", root.toAbsolutePath().toString());
    }

    @Override
    String describe() {
      return "filesystem at " + root.toAbsolutePath();
    }

    @Override
    void close(boolean keep) {
      // The data directory goes with the run's directory.
    }
  }

  private static final class S3 extends SoakStore {
    private final S3Target target;
    private final S3Client s3;
    private final String prefix;
    private final int partMib;
    private final Path proxyDir;
    private final Path tools;

    S3(S3Target target, S3Client s3, String prefix, int partMib, Path proxyDir, Path tools) {
      this.target = target;
      this.s3 = s3;
      this.prefix = prefix;
      this.partMib = partMib;
      this.proxyDir = proxyDir;
      this.tools = tools;
    }

    @Override
    S3Target s3Target() {
      return target;
    }

    @Override
    Map<String, String> env() {
      Map<String, String> env = new LinkedHashMap<>();
      env.put("LADING_STORAGE_TYPE", "s3");
      env.put("LADING_STORAGE_S3_ENDPOINT", target.endpoint().toString());
      env.put("LADING_STORAGE_S3_BUCKET", target.bucket());
      env.put("LADING_STORAGE_S3_REGION", target.region());
      env.put("LADING_STORAGE_S3_PREFIX", prefix);
      env.put("LADING_STORAGE_S3_ACCESS_KEY", target.accessKey());
      env.put("LADING_STORAGE_S3_SECRET_KEY", target.secretKey());
      // Small parts: a 64 MiB blob becomes several parts, so kills land between parts too.
      env.put("LADING_STORAGE_S3_PART_SIZE_MIB", Integer.toString(partMib));
      return env;
    }

    @Override
    String describe() {
      return "s3 "
          + target.endpoint()
          + " bucket "
          + target.bucket()
          + " prefix "
          + prefix
          + (proxyDir != null ? " (S3Proxy started here, data " + proxyDir + ")" : "")
          + ", "
          + partMib
          + " MiB parts";
    }

    @Override
    void close(boolean keep) throws IOException, InterruptedException {
      try {
        if (!keep && proxyDir == null) {
          deletePrefix();
        }
      } finally {
        s3.close();
        if (proxyDir != null) {
          run(
              List.of(tools.resolve("s3proxy-down.sh").toString(), proxyDir.toString()),
              Duration.ofMinutes(1));
        }
      }
    }

    /**
     * Aborts the prefix's multipart uploads and deletes its objects (an S3Proxy's go with its
     * directory).
     */
    private void deletePrefix() {
      s3.listMultipartUploadsPaginator(b -> b.bucket(target.bucket()).prefix(prefix))
          .uploads()
          .forEach(
              u ->
                  s3.abortMultipartUpload(
                      b -> b.bucket(target.bucket()).key(u.key()).uploadId(u.uploadId())));
      List<ObjectIdentifier> keys = new ArrayList<>();
      for (S3Object o :
          s3.listObjectsV2Paginator(b -> b.bucket(target.bucket()).prefix(prefix)).contents()) {
        keys.add(ObjectIdentifier.builder().key(o.key()).build());
        if (keys.size() == 1000) {
          deleteKeys(keys);
        }
      }
      deleteKeys(keys);
    }

    private void deleteKeys(List<ObjectIdentifier> keys) {
      if (!keys.isEmpty()) {
        List<ObjectIdentifier> batch = List.copyOf(keys);
        s3.deleteObjects(b -> b.bucket(target.bucket()).delete(d -> d.objects(batch).quiet(true)));
        keys.clear();
      }
    }
  }

  /** Runs s3proxy-up.sh and reads the endpoint and keys from the export lines it prints. */
  private static S3Target startS3Proxy(Path tools, int port, Path dir, S3Target defaults)
      throws IOException, InterruptedException {
    Files.createDirectories(dir);
    String out =
        run(
            List.of(
                tools.resolve("s3proxy-up.sh").toString(), Integer.toString(port), dir.toString()),
            Duration.ofMinutes(5));
    Map<String, String> exports = new LinkedHashMap<>();
    for (String line : out.split("\n")) {
      if (line.startsWith("export ") && line.contains("=")) {
        String assignment = line.substring("export ".length());
        int eq = assignment.indexOf('=');
        exports.put(assignment.substring(0, eq), assignment.substring(eq + 1).trim());
      }
    }
    if (!exports.containsKey("S3_ENDPOINT")) {
      throw new IOException("s3proxy-up.sh printed no endpoint:\n" + out);
    }
    return new S3Target(
        URI.create(exports.get("S3_ENDPOINT")),
        defaults.bucket(),
        exports.getOrDefault("AWS_REGION", defaults.region()),
        exports.getOrDefault("AWS_ACCESS_KEY_ID", defaults.accessKey()),
        exports.getOrDefault("AWS_SECRET_ACCESS_KEY", defaults.secretKey()));
  }

  private static String run(List<String> command, Duration timeout)
      throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(
          String.join(" ", command) + " failed:\n" + new String(out, StandardCharsets.UTF_8));
    }
    return new String(out, StandardCharsets.UTF_8);
  }

  /** Configured as Lading's own S3 client: path style, checksums only when required (Ceph RGW). */
  private static S3Client client(S3Target t) {
    return S3Client.builder()
        .region(Region.of(t.region()))
        .endpointOverride(t.endpoint())
        .forcePathStyle(true)
        .credentialsProvider(
            StaticCredentialsProvider.create(
                AwsBasicCredentials.create(t.accessKey(), t.secretKey())))
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .httpClientBuilder(ApacheHttpClient.builder())
        .build();
  }
}
