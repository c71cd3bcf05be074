package dev.lading.bench;

import dev.lading.core.model.Digest;
import dev.lading.storage.s3.S3StoreConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.ToDoubleFunction;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.LegacyMd5Plugin;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Lading on the S3 store against the AWS SDK alone, into the same S3 server with the same part
 * size: push MB/s of big layers (one streamed PATCH, then the closing PUT, whose time is the
 * commit), pull MB/s (whole, and 16 readers of ranges at once) and the server's peak RSS. One
 * server process per size and round at the given heap, so each peak belongs to one push.
 *
 * <p>With ROUNDS above 1, the SDK-alone push and Lading's push alternate, ROUNDS times each per
 * size, and a median row follows: on a 2-core machine where the S3 server shares the cores, one
 * pair of pushes varied by 15 points of ratio from one minute to the next.
 *
 * <pre>
 * java -cp bench/target/lading-bench.jar dev.lading.bench.S3Bench \
 *   ENDPOINT BUCKET ACCESS_KEY SECRET_KEY SIZES_MIB(comma) [PART_MIB=32] [LABEL=s3] [HEAP=256m] [ROUNDS=1]
 * </pre>
 *
 * The bucket must exist. Everything the run writes goes under a fresh prefix and is deleted.
 */
public final class S3Bench {
  private static final double MB = 1_000_000.0;
  private static final String REPO = "bench/s3";

  public static void main(String[] args) throws Exception {
    if (args.length < 5) {
      System.err.println(
          "usage: S3Bench ENDPOINT BUCKET ACCESS_KEY SECRET_KEY SIZES_MIB [PART_MIB] [LABEL] [HEAP] [ROUNDS]");
      System.exit(2);
    }
    URI endpoint = URI.create(args[0]);
    String bucket = args[1];
    String accessKey = args[2];
    String secretKey = args[3];
    List<Long> sizes = new ArrayList<>();
    for (String s : args[4].split(",")) {
      sizes.add(Long.parseLong(s.trim()) * S3StoreConfig.MIB);
    }
    long part = (args.length > 5 ? Long.parseLong(args[5]) : 32) * S3StoreConfig.MIB;
    String label = args.length > 6 ? args[6] : "s3";
    String heap = args.length > 7 ? args[7] : "256m";
    int rounds = args.length > 8 ? Integer.parseInt(args[8]) : 1;
    Path jar = Path.of(System.getProperty("lading.jar", "registry-server/target/lading.jar"));
    Path work =
        Files.createDirectories(
            Path.of("bench", "target", "s3bench-" + System.currentTimeMillis()));

    S3Client sdk = client(endpoint, accessKey, secretKey);
    System.out.printf(
        "# S3Bench %s: endpoint %s, part %d MiB, server -Xmx%s%n",
        label, endpoint, part >> 20, heap);
    System.out.println(
        "| store | layer | SDK-alone push MB/s | Lading push MB/s | ratio | Lading commit s | pull MB/s | 16 ranged readers MB/s | server peak RSS MiB |");
    System.out.println("|---|---|---|---|---|---|---|---|---|");
    for (long size : sizes) {
      GeneratedBlob blob = new GeneratedBlob(size, size);
      blob.digest(); // outside every timing
      List<Row> rows = new ArrayList<>();
      for (int round = 1; round <= rounds; round++) {
        Row row =
            round(
                sdk,
                endpoint,
                bucket,
                accessKey,
                secretKey,
                blob,
                part,
                heap,
                jar,
                work.resolve(label + "-" + (size >> 20) + "-" + round));
        rows.add(row);
        row.print(label + (rounds > 1 ? " round " + round : ""), size);
      }
      if (rounds > 1) {
        new Row(
                median(rows, Row::sdkMbps),
                median(rows, Row::pushMbps),
                median(rows, Row::ratio),
                median(rows, Row::commitSeconds),
                median(rows, Row::pullMbps),
                median(rows, Row::rangedMbps),
                (long) median(rows, Row::peakMib))
            .print(label + " median of " + rounds, size);
      }
    }
    sdk.close();
  }

  /** One push by the SDK alone, then one through a fresh Lading server, into fresh prefixes. */
  private static Row round(
      S3Client sdk,
      URI endpoint,
      String bucket,
      String accessKey,
      String secretKey,
      GeneratedBlob blob,
      long part,
      String heap,
      Path jar,
      Path work)
      throws Exception {
    long size = blob.size();
    String prefix = "s3bench-" + System.nanoTime() + "/";
    double sdkMbps = sdkPush(sdk, bucket, prefix + "sdk-alone", blob, part);
    deletePrefix(sdk, bucket, prefix);

    Map<String, String> env =
        Map.of(
            "LADING_STORAGE_S3_ENDPOINT", endpoint.toString(),
            "LADING_STORAGE_S3_BUCKET", bucket,
            "LADING_STORAGE_S3_PREFIX", prefix,
            "LADING_STORAGE_S3_ACCESS_KEY", accessKey,
            "LADING_STORAGE_S3_SECRET_KEY", secretKey,
            "LADING_STORAGE_S3_PART_SIZE_MIB", Long.toString(part >> 20));
    try (ServerProcess server = ServerProcess.ladingOnS3(jar, List.of("-Xmx" + heap), work, env)) {
      RegistryClient client = server.client();
      long[] phases = pushTimed(server, blob);
      double pushMbps = size / MB / (phases[0] / 1e9);
      long t0 = System.nanoTime();
      long got = client.pull(REPO, blob.digest());
      double pullMbps = got / MB / ((System.nanoTime() - t0) / 1e9);
      if (got != size) {
        throw new IOException("pulled " + got + " of " + size + " bytes");
      }
      double rangedMbps = rangedPull(client, blob.digest(), size, 16);
      return new Row(
          sdkMbps,
          pushMbps,
          100 * pushMbps / sdkMbps,
          phases[1] / 1e9,
          pullMbps,
          rangedMbps,
          server.memory().peakBytes() >> 20);
    } finally {
      deletePrefix(sdk, bucket, prefix);
    }
  }

  /** One line of the table: MB/s of both pushes, their ratio in percent, and the rest. */
  private record Row(
      double sdkMbps,
      double pushMbps,
      double ratio,
      double commitSeconds,
      double pullMbps,
      double rangedMbps,
      long peakMib) {
    void print(String label, long size) {
      System.out.printf(
          Locale.ROOT,
          "| %s | %d MiB | %.1f | %.1f | %.0f %% | %.2f | %.1f | %.1f | %d |%n",
          label,
          size >> 20,
          sdkMbps,
          pushMbps,
          ratio,
          commitSeconds,
          pullMbps,
          rangedMbps,
          peakMib);
    }
  }

  private static double median(List<Row> rows, ToDoubleFunction<Row> value) {
    return Measurement.median(rows.stream().map(value::applyAsDouble).toList());
  }

  /** The whole blob in one streamed PATCH, then the closing PUT: {total, commit} nanoseconds. */
  private static long[] pushTimed(ServerProcess server, GeneratedBlob blob) throws IOException {
    try (HttpConnection c = server.client().connect()) {
      long t0 = System.nanoTime();
      HttpConnection.Response started =
          c.exchange("POST", "/v2/" + REPO + "/blobs/uploads/", Map.of(), true);
      RegistryClient.expect(started, 202, "upload POST");
      String location = URI.create(started.header("Location")).getRawPath();
      HttpConnection.Response patched =
          c.exchange(
              "PATCH",
              location,
              Map.of("Content-Type", "application/octet-stream"),
              blob.size(),
              out -> blob.writeTo(out, 0, blob.size()),
              true);
      RegistryClient.expect(patched, 202, "PATCH");
      URI next = URI.create(patched.header("Location"));
      String path =
          next.getRawPath() + (next.getRawQuery() == null ? "" : "?" + next.getRawQuery());
      long t1 = System.nanoTime();
      HttpConnection.Response done =
          c.exchange(
              "PUT",
              path + (path.contains("?") ? "&" : "?") + "digest=" + blob.digest(),
              Map.of(),
              0,
              HttpConnection.Body.EMPTY,
              true);
      RegistryClient.expect(done, 201, "closing PUT");
      long t2 = System.nanoTime();
      return new long[] {t2 - t0, t2 - t1};
    }
  }

  private static double rangedPull(RegistryClient client, Digest digest, long size, int readers)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(readers);
    try {
      long slice = (size + readers - 1) / readers;
      List<Future<Long>> done = new ArrayList<>();
      long t0 = System.nanoTime();
      for (int i = 0; i < readers; i++) {
        long first = i * slice;
        long last = Math.min(size, first + slice) - 1;
        done.add(pool.submit(() -> client.pullRange(REPO, digest, first, last)));
      }
      long total = 0;
      for (Future<Long> f : done) {
        total += f.get();
      }
      return total / MB / ((System.nanoTime() - t0) / 1e9);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Create, UploadPart one at a time from the generated content, Complete: MB/s of the whole. */
  private static double sdkPush(
      S3Client s3, String bucket, String key, GeneratedBlob blob, long part) throws Exception {
    long t0 = System.nanoTime();
    String id = s3.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
    List<CompletedPart> parts = new ArrayList<>();
    int number = 0;
    for (long at = 0; at < blob.size(); at += part) {
      int n = ++number;
      long from = at;
      long length = Math.min(part, blob.size() - at);
      String etag =
          s3.uploadPart(
                  b -> b.bucket(bucket).key(key).uploadId(id).partNumber(n).contentLength(length),
                  RequestBody.fromContentProvider(
                      () -> rangeStream(blob, from, length), length, "application/octet-stream"))
              .eTag();
      parts.add(CompletedPart.builder().partNumber(n).eTag(etag).build());
    }
    s3.completeMultipartUpload(
        b -> b.bucket(bucket).key(key).uploadId(id).multipartUpload(m -> m.parts(parts)));
    return blob.size() / MB / ((System.nanoTime() - t0) / 1e9);
  }

  /** Bytes {@code [from, from+length)} of the blob as a stream, generated on a virtual thread. */
  private static InputStream rangeStream(GeneratedBlob blob, long from, long length) {
    try {
      PipedInputStream in = new PipedInputStream(1 << 20);
      PipedOutputStream out = new PipedOutputStream(in);
      Thread.ofVirtual()
          .start(
              () -> {
                try (OutputStream o = out) {
                  blob.writeTo(o, from, length);
                } catch (IOException e) {
                  // the reader went away
                }
              });
      return in;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deletePrefix(S3Client s3, String bucket, String prefix) {
    s3.listMultipartUploadsPaginator(b -> b.bucket(bucket).prefix(prefix))
        .uploads()
        .forEach(
            u ->
                s3.abortMultipartUpload(b -> b.bucket(bucket).key(u.key()).uploadId(u.uploadId())));
    List<ObjectIdentifier> keys = new ArrayList<>();
    for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
      keys.add(ObjectIdentifier.builder().key(o.key()).build());
      if (keys.size() == 1000) {
        List<ObjectIdentifier> batch = List.copyOf(keys);
        s3.deleteObjects(b -> b.bucket(bucket).delete(d -> d.objects(batch).quiet(true)));
        keys.clear();
      }
    }
    if (!keys.isEmpty()) {
      s3.deleteObjects(b -> b.bucket(bucket).delete(d -> d.objects(keys).quiet(true)));
    }
  }

  /** Configured as the S3 store configures its part client: chunk-signed bodies, when_required. */
  private static S3Client client(URI endpoint, String accessKey, String secretKey) {
    return S3Client.builder()
        .serviceConfiguration(c -> c.chunkedEncodingEnabled(true))
        .region(Region.US_EAST_1)
        .endpointOverride(endpoint)
        .forcePathStyle(true)
        .credentialsProvider(
            StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .addPlugin(LegacyMd5Plugin.create())
        .httpClientBuilder(ApacheHttpClient.builder().socketTimeout(Duration.ofMinutes(10)))
        .build();
  }
}
